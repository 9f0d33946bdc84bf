"""Who did or saw what, and when."""
