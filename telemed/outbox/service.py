"""Queue emails in the caller's transaction; deliver due ones with retries and back-off.

Each message is claimed with a conditional UPDATE before it is sent, so two delivery
runs at the same moment never send it twice.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import force_locale
from sqlalchemy import or_, select, update

from telemed.auth.models import User
from telemed.core import transaction
from telemed.core.clock import now_utc
from telemed.core.sql import insert, rowcount
from telemed.extensions import db
from telemed.outbox.mail import Email, Transport
from telemed.outbox.models import OutboxMessage, OutboxStatus
from telemed.outbox.transports import transport_from_config

log = logging.getLogger(__name__)


MAX_ATTEMPTS = 8


CLAIM_FOR = timedelta(minutes=5)


ICS_METHODS = ("REQUEST", "CANCEL")


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
    if isinstance(ics, bytes):
        ics = ics.decode("utf-8")
    if ics is None:
        ics_method = None
    else:
        ics_method = (ics_method or "REQUEST").upper()
        if ics_method not in ICS_METHODS:
            raise ValueError(f"ics_method must be one of {', '.join(ICS_METHODS)}")
    statement = insert(OutboxMessage).values(
        dedupe_key=dedupe_key,
        kind=kind,
        to_user_id=user.id,
        to_address=user.email,
        subject=subject,
        body_text=body_text,
        body_html=body_html,
        ics=ics,
        ics_method=ics_method,
        status=OutboxStatus.PENDING,
        attempts=0,
        next_attempt_at=now_utc(),
        created_at=now_utc(),
    )
    # RETURNING says whether a row went in (an ORM-enabled insert's rowcount does not).
    result = db.session.execute(
        statement.on_conflict_do_nothing(index_elements=["dedupe_key"]).returning(OutboxMessage.id)
    )
    return result.first() is not None


def user_locale(user: User) -> str:
    return user.locale or current_app.config["BABEL_DEFAULT_LOCALE"]


def in_language_of(user: User) -> AbstractContextManager[None]:
    """Render a message in the recipient's language."""
    return force_locale(user_locale(user))


def deliver_due(transport: Transport | None = None, limit: int = 200) -> int:
    """Send messages that are due; returns how many were sent in this run."""
    transport = transport or current_transport()
    now = now_utc()
    due = db.session.scalars(
        select(OutboxMessage.id)
        .where(
            or_(
                (OutboxMessage.status == OutboxStatus.PENDING)
                & (OutboxMessage.next_attempt_at <= now),
                (OutboxMessage.status == OutboxStatus.SENDING)
                & (OutboxMessage.claimed_until < now),
            )
        )
        .order_by(OutboxMessage.id)
        .limit(limit)
    ).all()
    sent = 0
    with batch(transport) as sender:
        for message_id in due:
            if claim(message_id, now):
                sent += send_claimed(message_id, sender)
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


def claim(message_id: int, now: datetime) -> bool:
    result = db.session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.id == message_id,
            or_(
                OutboxMessage.status == OutboxStatus.PENDING,
                (OutboxMessage.status == OutboxStatus.SENDING)
                & (OutboxMessage.claimed_until < now),
            ),
        )
        .values(status=OutboxStatus.SENDING, claimed_until=now + CLAIM_FOR)
    )
    transaction.commit_chunk()  # the claim must be seen by other runs before the send
    return rowcount(result) == 1


def send_claimed(message_id: int, transport: Transport) -> int:
    message = db.session.get(OutboxMessage, message_id)
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
    try:
        transport.send(email)
    except Exception as err:  # any transport failure is retried later
        message.attempts += 1
        message.last_error = f"{type(err).__name__}: {err}"[:1000]
        if message.attempts >= MAX_ATTEMPTS:
            message.status = OutboxStatus.FAILED
        else:
            message.status = OutboxStatus.PENDING
            message.next_attempt_at = now_utc() + timedelta(minutes=2**message.attempts)
        transaction.commit_chunk()
        log.warning("outbox message %s failed (attempt %s)", message.id, message.attempts)
        return 0
    message.status = OutboxStatus.SENT
    message.attempts += 1
    message.sent_at = now_utc()
    transaction.commit_chunk()  # sent: kept whatever happens to the rest of the run
    return 1


def current_transport() -> Transport:
    """The transport named by ``MAIL_TRANSPORT``: ``file`` (``.eml`` files) or ``smtp``."""
    return transport_from_config(current_app.config)
