"""The minutes (minuta) of a session: draft from the live record, final, addenda, PDF."""
