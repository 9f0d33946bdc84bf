"""The case page's timeline: every step of a case, from every domain, in one list."""
