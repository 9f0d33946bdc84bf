"""Fixtures this folder borrows: a board whose first session has a case and sent invites."""

from tests.invites.helpers import (  # noqa: F401  (fixtures for this folder)
    guest,
    invited,
    member,
    panel,
)
