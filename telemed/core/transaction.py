"""One transaction per operation: the request, the job run or the command commits.

Services change the session and ``flush()``; they never commit. The outermost caller owns
the transaction, so that two services called together are atomic (an extraordinary session
and the placement of its case, a move and the invitations it sends) and a refusal half-way
leaves nothing behind:

- an HTTP request commits after its view answered below 400 and rolls back otherwise
  (``init_app``); a view that refuses an operation but answers with a redirect or a form
  calls ``rollback`` (through ``core.flashing``); one that answers with an error but must
  keep what it recorded (a failed login's audit entry) says so with ``keep_on_error``;
- a scheduler job run or a command-line command runs inside ``unit_of_work``;
- a bulk job that must keep its progress (assignment per board, roll-ups per month, the
  generator per chunk, email delivery per message) commits through ``commit_chunk``, and
  gives up a failed chunk with ``rollback``.

These are the only places that commit.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import ParamSpec, TypeVar

from flask import Flask, Response, g

from telemed.extensions import db

P = ParamSpec("P")
R = TypeVar("R")


def init_app(app: Flask) -> None:
    app.after_request(end_request)


def end_request(response: Response) -> Response:
    """Commit what the request did if it succeeded; an error answer changes nothing.

    A failing commit raises here, so the client gets the error page, never a success for
    work that was not saved.
    """
    if response.status_code < 400 or g.pop("keep_on_error", False):
        db.session.commit()
    else:
        db.session.rollback()
    return response


def keep_on_error() -> None:
    """This request answers with an error, yet what it recorded is the point of it (the audit
    entry of a refused login): commit it all the same."""
    g.keep_on_error = True


def rollback() -> None:
    """Undo everything the current operation did (a refused action, a failed chunk)."""
    db.session.rollback()


def commit_chunk() -> None:
    """Keep a bulk job's progress so far (a board placed, a month rolled up, a message
    sent): what follows may fail without undoing it."""
    db.session.commit()


@contextmanager
def unit_of_work() -> Iterator[None]:
    """Run a job or a command as one transaction: commit at the end, roll back on any
    error (``SystemExit`` and ``KeyboardInterrupt`` too) and let it propagate."""
    try:
        yield
    except BaseException:
        db.session.rollback()
        raise
    db.session.commit()


def in_transaction(fn: Callable[P, R]) -> Callable[P, R]:
    """``unit_of_work`` around a whole function (command-line commands)."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with unit_of_work():
            return fn(*args, **kwargs)

    return wrapper
