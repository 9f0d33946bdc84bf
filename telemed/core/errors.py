"""Domain errors raised by services; views and the API turn them into readable answers."""

from __future__ import annotations


class DomainError(Exception):
    """A refused operation, with a message meant for the user."""

    status_code = 400

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class NotFound(DomainError):
    """The object does not exist or the user may not know it exists (answered as 404)."""

    status_code = 404


class Forbidden(DomainError):
    status_code = 403


class InvalidTransition(DomainError):
    status_code = 409


class InputError(DomainError):
    """Validation failed; ``errors`` maps each field to its messages (answered as 422)."""

    status_code = 422

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items()))
        self.errors = errors
