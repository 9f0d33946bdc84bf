"""Telling a person, on the next page, why their action was refused."""

from __future__ import annotations

from flask import flash

from telemed.core import transaction
from telemed.core.errors import DomainError, InputError


def flash_error(err: DomainError) -> None:
    """Undo the refused action and flash every message of it (an ``InputError`` may hold
    several) for the page the browser is sent to."""
    transaction.rollback()
    if isinstance(err, InputError):
        for messages in err.errors.values():
            for message in messages:
                flash(message, "danger")
    else:
        flash(err.message, "danger")


def refused(err: InputError) -> dict[str, list[str]]:
    """Undo the refused action; its field errors, for the form shown again (answered 422)."""
    transaction.rollback()
    return err.errors
