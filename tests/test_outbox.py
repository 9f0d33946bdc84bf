"""Emails wait in an outbox table: queued once, delivered once, retried with back-off.

Delivery is tried by the scheduler every minute; a failing mail server must not lose a
message, and two delivery runs at the same moment must not send it twice.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import func, select

from telemed.auth.models import User
from telemed.core.clock import Clock
from telemed.extensions import db
from telemed.outbox import service as outbox
from telemed.outbox.mail import Email
from telemed.outbox.models import OutboxMessage, OutboxStatus
from telemed.outbox.service import CLAIM_FOR, MAX_ATTEMPTS, deliver_due, enqueue
from telemed.outbox.transports import FileTransport, SMTPTransport
from tests.scenes.concurrency import together
from tests.test_email_transport import free_port


class Recorder:
    """A transport that remembers what it was asked to send (from any thread)."""

    def __init__(self) -> None:
        self.sent: list[Email] = []
        self.lock = threading.Lock()

    def send(self, message: Email) -> None:
        with self.lock:
            self.sent.append(message)


class Unreachable:
    """A mail server that is down."""

    def __init__(self) -> None:
        self.calls = 0

    def send(self, message: Email) -> None:
        self.calls += 1
        raise ConnectionRefusedError("smtp.imss.test:587 refused the connection")


@pytest.fixture
def recipient(make_user: Callable[..., User]) -> User:
    return make_user(email="oncologa@hospital.test")


def queue(user: User, count: int = 1, prefix: str = "agenda") -> None:
    for n in range(count):
        enqueue(f"{prefix}:{n}:{user.id}", "agenda_closed", user, f"Orden del día {n}",
                f"Sesión {n}: CE {n}.58")  # fmt: skip
    db.session.commit()


def messages() -> list[OutboxMessage]:
    db.session.expire_all()
    return list(db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def test_same_announcement_is_queued_once(recipient):
    queue(recipient)
    queue(recipient)
    [message] = messages()
    assert message.to_address == recipient.email
    assert message.to_user_id == recipient.id
    assert (message.status, message.attempts) == (OutboxStatus.PENDING, 0)
    queue(recipient, prefix="reminder")
    assert len(messages()) == 2


def test_queued_message_belongs_to_the_callers_transaction(recipient):
    enqueue("agenda:1", "agenda_closed", recipient, "Orden del día", "CE 1.58")
    db.session.rollback()
    assert messages() == []


def test_each_message_is_sent_once_by_successive_runs(recipient, clock):
    queue(recipient, 3)
    transport = Recorder()
    assert deliver_due(transport) == 3
    assert deliver_due(transport) == 0
    clock.advance(timedelta(hours=1))
    assert deliver_due(transport) == 0

    assert sorted(m.subject for m in transport.sent) == [f"Orden del día {n}" for n in range(3)]
    assert len({m.message_id for m in transport.sent}) == 3
    for message in messages():
        assert (message.status, message.attempts) == (OutboxStatus.SENT, 1)
        assert message.sent_at is not None
    assert transport.sent[0].message_id == f"<outbox-{messages()[0].id}@telemed.local>"


def test_limit_leaves_the_rest_for_the_next_run(recipient):
    queue(recipient, 5)
    transport = Recorder()
    assert deliver_due(transport, limit=2) == 2
    assert deliver_due(transport, limit=2) == 2
    assert deliver_due(transport, limit=2) == 1
    assert len(transport.sent) == 5


def test_failing_server_is_retried_with_growing_back_off_then_given_up(recipient, clock):
    queue(recipient)
    server = Unreachable()
    waits = []
    for attempt in range(1, MAX_ATTEMPTS + 1):
        assert deliver_due(server) == 0
        assert server.calls == attempt
        [message] = messages()
        assert message.attempts == attempt
        assert "refused" in message.last_error
        if attempt == MAX_ATTEMPTS:
            break
        assert message.status is OutboxStatus.PENDING
        waits.append(message.next_attempt_at - clock())
        deliver_due(server)  # not due yet: the server is left alone
        assert server.calls == attempt
        clock.set(message.next_attempt_at)

    assert waits == sorted(waits) and len(set(waits)) == len(waits)  # always growing
    assert waits[0] >= timedelta(minutes=1)
    [message] = messages()
    assert message.status is OutboxStatus.FAILED
    clock.advance(timedelta(days=30))
    assert deliver_due(server) == 0
    assert server.calls == MAX_ATTEMPTS


def test_message_goes_out_once_the_server_is_back(recipient, clock):
    queue(recipient)
    deliver_due(Unreachable())
    transport = Recorder()
    assert deliver_due(transport) == 0
    clock.set(messages()[0].next_attempt_at)
    assert deliver_due(transport) == 1
    [message] = messages()
    assert (message.status, message.attempts) == (OutboxStatus.SENT, 2)


def test_message_claimed_by_a_crashed_run_is_sent_after_the_claim_lapses(recipient, clock):
    queue(recipient)
    [message] = messages()
    assert outbox.claim(message.id, clock())  # a run claims it, then the process dies
    transport = Recorder()
    assert deliver_due(transport) == 0  # still claimed: maybe it is being sent right now
    clock.advance(CLAIM_FOR + timedelta(seconds=1))
    assert deliver_due(transport) == 1
    assert deliver_due(transport) == 0
    assert len(transport.sent) == 1


def test_concurrent_delivery_runs_send_each_message_once(shared_app, make_user):
    with shared_app.app_context():
        people = [make_user(email=f"asistente{n}@hospital.test") for n in range(3)]
        for person in people:
            queue(person, 8)
        transport = Recorder()

        def deliver(barrier: threading.Barrier) -> int:
            barrier.wait()
            return deliver_due(transport)

        results = together(shared_app, deliver, deliver, deliver)
        assert all(isinstance(r, int) for r in results), results
        assert sum(results) == 24
        assert len(transport.sent) == 24
        assert len({m.message_id for m in transport.sent}) == 24
        assert (
            db.session.scalar(
                select(func.count(OutboxMessage.id)).where(
                    OutboxMessage.status == OutboxStatus.SENT
                )
            )
            == 24
        )


def test_file_transport_writes_one_eml_per_message(tmp_path: Path):
    transport = FileTransport(str(tmp_path / "outbox"), "Comité de tumores <no-reply@telemed.mx>")
    message = Email(
        to_address="oncologa@hospital.test",
        subject="Orden del día: Comité de tumores sólidos, sesión 166",
        body_text="Revisión de casos específicos:\n    CE 166.58\n",
        message_id="<outbox-7@telemed.local>",
    )
    transport.send(message)
    transport.send(message)  # a retry overwrites rather than duplicating

    [written] = list((tmp_path / "outbox").iterdir())
    assert written.name == "outbox-7.eml"
    parsed = email.message_from_bytes(written.read_bytes(), policy=email.policy.default)
    assert parsed["Subject"] == message.subject
    assert parsed["To"] == "oncologa@hospital.test"
    assert parsed["From"].addresses[0].display_name == "Comité de tumores"
    assert parsed["Message-ID"] == "<outbox-7@telemed.local>"
    assert "CE 166.58" in parsed.get_content()


def test_delivery_uses_the_configured_outbox_directory(app, recipient, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "OUTBOX_DIR", str(tmp_path))
    queue(recipient, 2)
    assert deliver_due() == 2
    files = sorted(tmp_path.glob("*.eml"))
    assert [f.name for f in files] == [f"outbox-{m.id}.eml" for m in messages()]
    assert not list(tmp_path.glob("*.tmp"))


# --- a slow mail server and runs that overlap -------------------------------------------

SLOW = timedelta(seconds=35)  # what one message took on the slow server of issue 15


class SlowMailServer:
    """aiosmtpd handler that takes ``SLOW`` on the application's clock per message, and can
    hold its answer to the ``hold_at``-th message until ``release`` is set (so another run
    can start while a send is under way)."""

    def __init__(self, clock: Clock, hold_at: int | None = None) -> None:
        self.clock = clock
        self.hold_at = hold_at
        self.received: list[str] = []
        self.arrived = threading.Event()
        self.release = threading.Event()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.received.append(str(parsed["Message-ID"]))
        self.clock.advance(SLOW)
        if len(self.received) == self.hold_at:
            self.arrived.set()
            await asyncio.get_running_loop().run_in_executor(None, self.release.wait, 20)
        return "250 Message accepted for delivery"

    def copies(self) -> Counter[str]:
        return Counter(self.received)


@pytest.fixture
def slow_server(clock: Clock) -> Iterator[Callable[..., tuple[SlowMailServer, SMTPTransport]]]:
    controllers: list[Controller] = []

    def start(hold_at: int | None = None) -> tuple[SlowMailServer, SMTPTransport]:
        handler = SlowMailServer(clock, hold_at)
        port = free_port()
        controller = Controller(handler, hostname="127.0.0.1", port=port)
        controller.start()
        controllers.append(controller)
        return handler, SMTPTransport("127.0.0.1", port, security="none",
                                      sender="Comité <no-reply@telemed.local>")  # fmt: skip

    yield start
    for controller in controllers:
        controller.stop()


def test_overlapping_runs_with_a_slow_mail_server_send_each_message_once(
    shared_app, make_user, clock, slow_server
):
    """Issue 15: 35 s per message, a second run starting while the first is more than five
    minutes in. Before, the first run's claims were computed from its start and so already
    expired: the second run took the message being sent and sent it again."""
    with shared_app.app_context():
        queue(make_user(email="coordinadora@hospital.test"), 10)
        server, transport = slow_server(hold_at=9)  # the 9th send is under way at 5 min 15 s

        def first(barrier: threading.Barrier) -> int:
            barrier.wait()
            return deliver_due(transport)

        def second(barrier: threading.Barrier) -> int:
            barrier.wait()
            try:
                assert server.arrived.wait(20), "the first run never reached its 9th message"
                return deliver_due(transport)
            finally:
                server.release.set()

        results = together(shared_app, first, second)
        assert all(isinstance(r, int) for r in results), results
        assert sum(results) == 10
        copies = server.copies()
        assert len(copies) == 10
        assert [mid for mid, n in copies.items() if n > 1] == []  # never twice
        sent = messages()
        assert {(m.status, m.attempts) for m in sent} == {(OutboxStatus.SENT, 1)}
        assert all(m.claim_token is None for m in sent)


class ClockedRecorder(Recorder):
    """A transport taking ``SLOW`` per message that notes, for each send, whether the message
    was still claimed while it was being sent (else another run could take it)."""

    def __init__(self, clock: Clock) -> None:
        super().__init__()
        self.clock = clock
        self.claim_live: list[bool] = []

    def send(self, message: Email) -> None:
        row_id = int(message.message_id.strip("<>").split("@")[0].removeprefix("outbox-"))
        claimed_until = db.session.scalar(
            select(OutboxMessage.claimed_until).where(OutboxMessage.id == row_id)
        )
        self.claim_live.append(claimed_until is not None and claimed_until > self.clock())
        super().send(message)
        self.clock.advance(SLOW)


def test_a_long_run_never_sends_a_message_whose_claim_has_lapsed(recipient, clock):
    queue(recipient, 12)
    transport = ClockedRecorder(clock)
    first = deliver_due(transport)
    assert all(transport.claim_live), transport.claim_live
    # Past its own claim period (9 × 35 s > 5 min) the run stops; the next one sends the rest.
    assert first == 9
    assert deliver_due(transport) == 3
    assert all(transport.claim_live)
    assert len({m.message_id for m in transport.sent}) == len(transport.sent) == 12


def test_a_run_whose_claim_was_taken_over_does_not_send(recipient, clock):
    queue(recipient)
    [message] = messages()
    stale = outbox.claim(message.id)
    clock.advance(CLAIM_FOR + timedelta(seconds=1))  # that run stalled; another one claims
    fresh = outbox.claim(message.id)
    assert stale and fresh and stale != fresh
    transport = Recorder()
    assert outbox.send_claimed(message.id, transport, stale) == 0
    assert transport.sent == []
    assert outbox.send_claimed(message.id, transport, fresh) == 1
    assert len(transport.sent) == 1
    assert (messages()[0].status, messages()[0].attempts) == (OutboxStatus.SENT, 1)


def test_a_send_that_outlasted_its_claim_is_kept_so_the_new_owner_does_not_resend(recipient, clock):
    queue(recipient)
    [message] = messages()
    taken: list[str] = []

    class Stalling(Recorder):
        def send(self, email_: Email) -> None:
            clock.advance(CLAIM_FOR + timedelta(seconds=1))  # the server hung for 5 minutes
            token = outbox.claim(message.id)  # meanwhile another run takes the message
            assert token is not None
            taken.append(token)
            super().send(email_)

    transport = Stalling()
    assert deliver_due(transport) == 1
    [other] = taken
    assert outbox.send_claimed(message.id, Recorder(), other) == 0  # it sees it went out
    assert len(transport.sent) == 1
    [row] = messages()
    assert (row.status, row.attempts, row.claim_token) == (OutboxStatus.SENT, 1, None)
