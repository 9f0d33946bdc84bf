"""Telling a person, on the next page, why their action was refused."""

from __future__ import annotations

from flask import flash

from telemed.core.errors import DomainError, InputError
from telemed.extensions import db


def flash_error(err: DomainError) -> None:
    """Roll back and flash every message of a refused action (an ``InputError`` may hold
    several)."""
    db.session.rollback()
    if isinstance(err, InputError):
        for messages in err.errors.values():
            for message in messages:
                flash(message, "danger")
    else:
        flash(err.message, "danger")
