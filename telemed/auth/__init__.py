"""Accounts, roles, login and personal API tokens."""
