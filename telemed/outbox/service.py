"""Queue emails in the caller's transaction; deliver due ones with retries and back-off.

Each message is claimed with a conditional UPDATE just before it is sent, under a random
token; only the holder of the token records the outcome, so two delivery runs that overlap,
however slow the mail server, never send a message twice.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from flask_babel import force_locale
from sqlalchemy import or_, select, update

from telemed.auth.models import User
from telemed.core import transaction
from telemed.core.clock import now_utc
from telemed.core.sql import insert, rowcount
from telemed.extensions import db
from telemed.jobs import checkpoint
from telemed.outbox.mail import Email, Transport
from telemed.outbox.models import OutboxMessage, OutboxStatus
from telemed.outbox.transports import transport_from_config

log = logging.getLogger(__name__)


MAX_ATTEMPTS = 8


CLAIM_FOR = timedelta(minutes=5)


ICS_METHODS = ("REQUEST", "CANCEL")


# Rows per multi-row INSERT (well under SQLite's and PostgreSQL's parameter limits).
ENQUEUE_CHUNK = 500


@dataclass(frozen=True)
class Queued:
    """An email ready to queue (``enqueue_many``): its dedupe key, kind, recipient and text,
    and the iTIP calendar it carries, if any (``itip``)."""

    dedupe_key: str
    kind: str
    user: User
    subject: str
    body_text: str
    body_html: str | None = None
    ics: str | None = None
    ics_method: str | None = None


def itip(ics: bytes | str | None, ics_method: str | None) -> tuple[str | None, str | None]:
    """A calendar to send along as text, and its method (``REQUEST`` unless ``CANCEL``)."""
    if ics is None:
        return None, None
    if isinstance(ics, bytes):
        ics = ics.decode("utf-8")
    method = (ics_method or "REQUEST").upper()
    if method not in ICS_METHODS:
        raise ValueError(f"ics_method must be one of {', '.join(ICS_METHODS)}")
    return ics, method


def enqueue(
    dedupe_key: str,
    kind: str,
    user: User,
    subject: str,
    body_text: str,
    *,
    body_html: str | None = None,
    ics: bytes | str | None = None,
    ics_method: str | None = None,
) -> bool:
    """Add a message to the current transaction unless the same key was queued before.

    ``ics`` is an iTIP calendar (``ics_method`` REQUEST, the default, or CANCEL) that goes
    out inline and as an ``invite.ics`` attachment. Returns whether this call queued it, so a
    caller can do something else exactly once with it (e.g. a timeline event).
    """
    ics, ics_method = itip(ics, ics_method)
    message = Queued(dedupe_key, kind, user, subject, body_text, body_html, ics, ics_method)
    statement = insert(OutboxMessage).values(row_values(message))
    # RETURNING says whether a row went in (an ORM-enabled insert's rowcount does not).
    result = db.session.execute(
        statement.on_conflict_do_nothing(index_elements=["dedupe_key"]).returning(OutboxMessage.id)
    )
    return result.first() is not None


def enqueue_many(messages: Sequence[Queued]) -> set[str]:
    """Queue many messages, ``ENQUEUE_CHUNK`` rows per INSERT, each unless its key was queued
    before (the same ``ON CONFLICT DO NOTHING`` as ``enqueue``); returns the keys this call
    queued (a bulk job does the rest once for exactly those)."""
    if not messages:
        return set()
    table = OutboxMessage.__table__
    statement = (
        insert(table)
        .on_conflict_do_nothing(index_elements=["dedupe_key"])
        .returning(table.c.dedupe_key)
    )
    # One statement compiled once; SQLAlchemy sends the rows as multi-row INSERTs
    # ("insertmanyvalues"), ENQUEUE_CHUNK rows each, and gathers what each returned.
    rows = [row_values(message) for message in messages]
    result = db.session.execute(
        statement.execution_options(insertmanyvalues_page_size=ENQUEUE_CHUNK), rows
    )
    return set(result.scalars())


def row_values(message: Queued) -> dict[str, Any]:
    now = now_utc()
    return {
        "dedupe_key": message.dedupe_key, "kind": message.kind, "to_user_id": message.user.id,
        "to_address": message.user.email, "subject": message.subject,
        "body_text": message.body_text, "body_html": message.body_html, "ics": message.ics,
        "ics_method": message.ics_method, "status": OutboxStatus.PENDING, "attempts": 0,
        "next_attempt_at": now, "created_at": now,
    }  # fmt: skip


def user_locale(user: User) -> str:
    return user.locale or current_app.config["BABEL_DEFAULT_LOCALE"]


def in_language_of(user: User) -> AbstractContextManager[None]:
    """Render a message in the recipient's language."""
    return force_locale(user_locale(user))


def deliver_due(transport: Transport | None = None, limit: int = 200) -> int:
    """Send messages that are due; returns how many were sent in this run.

    Each message is claimed just before it is sent, from the time at that moment, under a
    token of its own; the run stops claiming once it has lasted as long as a claim (or the
    scheduler asks it to stop), leaving the rest to the next run. So a slow mail server
    never makes a claim start out expired, and two overlapping runs never both send one.
    """
    transport = transport or current_transport()
    started = now_utc()
    due = db.session.scalars(
        select(OutboxMessage.id)
        .where(
            or_(
                (OutboxMessage.status == OutboxStatus.PENDING)
                & (OutboxMessage.next_attempt_at <= started),
                (OutboxMessage.status == OutboxStatus.SENDING)
                & (OutboxMessage.claimed_until < started),
            )
        )
        .order_by(OutboxMessage.id)
        .limit(limit)
    ).all()
    sent = 0
    with batch(transport) as sender:
        for message_id in due:
            if now_utc() - started >= CLAIM_FOR:
                log.info("outbox run outlived its claim period; the next run sends the rest")
                break
            if checkpoint.should_stop():
                break
            token = claim(message_id)
            if token is not None:
                sent += send_claimed(message_id, sender, token)
    return sent


@contextmanager
def batch(transport: Transport) -> Iterator[Transport]:
    """One delivery run: transports with ``batch()`` (SMTP) reuse a connection for it."""
    opener = getattr(transport, "batch", None)
    if opener is None:
        yield transport
    else:
        with opener() as sender:
            yield sender


def claim(message_id: int, now: datetime | None = None) -> str | None:
    """Take a due message for ``CLAIM_FOR`` from now; returns the claim's token, or ``None``
    when it is not due or another run holds a live claim on it.

    Committed at once: the claim must be seen by other runs before the send.
    """
    now = now or now_utc()
    token = uuid.uuid4().hex
    result = db.session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.id == message_id,
            or_(
                (OutboxMessage.status == OutboxStatus.PENDING)
                & (OutboxMessage.next_attempt_at <= now),
                (OutboxMessage.status == OutboxStatus.SENDING)
                & (OutboxMessage.claimed_until < now),
            ),
        )
        .values(status=OutboxStatus.SENDING, claimed_until=now + CLAIM_FOR, claim_token=token)
        .execution_options(synchronize_session=False)
    )
    transaction.commit_chunk()
    return token if rowcount(result) == 1 else None


def still_claimed(message_id: int, token: str) -> bool:
    """Whether this run's claim on the message is still live and still its own."""
    now = now_utc()
    return (
        db.session.scalar(
            select(OutboxMessage.id).where(
                OutboxMessage.id == message_id,
                OutboxMessage.status == OutboxStatus.SENDING,
                OutboxMessage.claim_token == token,
                OutboxMessage.claimed_until > now,
            )
        )
        is not None
    )


def send_claimed(message_id: int, transport: Transport, token: str) -> int:
    """Send a message this run claimed under ``token``; returns 1 when it went out.

    A claim that lapsed (or was taken over by another run) is not sent. The outcome is
    recorded by a conditional UPDATE on the token; a send that finished after its claim was
    taken over is still recorded as sent (it did go out), so the other run, which checks
    before sending, does not send it again.
    """
    if not still_claimed(message_id, token):
        log.info("outbox message %s: claim lapsed before sending; left to its new owner",
                 message_id)  # fmt: skip
        return 0
    message = db.session.get(OutboxMessage, message_id, populate_existing=True)
    assert message is not None
    email = Email(
        to_address=message.to_address,
        subject=message.subject,
        body_text=message.body_text,
        message_id=f"<outbox-{message.id}@{current_app.config['MAIL_DOMAIN']}>",
        body_html=message.body_html,
        ics=message.ics,
        ics_method=message.ics_method,
        date=now_utc(),
    )
    attempts = message.attempts + 1
    try:
        transport.send(email)
    except Exception as err:  # any transport failure is retried later
        given_up = attempts >= MAX_ATTEMPTS
        record(
            message_id,
            token,
            attempts=attempts,
            last_error=f"{type(err).__name__}: {err}"[:1000],
            status=OutboxStatus.FAILED if given_up else OutboxStatus.PENDING,
            next_attempt_at=message.next_attempt_at
            if given_up
            else now_utc() + timedelta(minutes=2**attempts),
        )
        transaction.commit_chunk()
        log.warning("outbox message %s failed (attempt %s)", message_id, attempts)
        return 0
    sent = {"status": OutboxStatus.SENT, "attempts": attempts, "sent_at": now_utc()}
    if not record(message_id, token, **sent):
        # Our claim lapsed mid-send and another run took the message: it did go out, so say
        # so (unless that run already did) before the other run sends it again.
        log.warning("outbox message %s was sent after its claim lapsed", message_id)
        db.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == message_id, OutboxMessage.status != OutboxStatus.SENT)
            .values(claimed_until=None, claim_token=None, **sent)
            .execution_options(synchronize_session=False)
        )
    transaction.commit_chunk()  # sent: kept whatever happens to the rest of the run
    return 1


def record(message_id: int, token: str, **values: Any) -> bool:
    """Store a send's outcome if this run still owns the message; returns whether it did."""
    result = db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.claim_token == token)
        .values(claimed_until=None, claim_token=None, **values)
        .execution_options(synchronize_session=False)
    )
    return rowcount(result) == 1


def current_transport() -> Transport:
    """The transport named by ``MAIL_TRANSPORT``: ``file`` (``.eml`` files) or ``smtp``."""
    return transport_from_config(current_app.config)
