"""Emails reach a real SMTP server the way calendar clients expect them.

An invite is multipart/mixed: first a multipart/alternative with the text, the HTML and
``text/calendar; method=REQUEST`` (where Outlook and Gmail look for it), then the same
calendar as ``invite.ics``. A mail server that is down loses nothing: messages wait and go
out once it is back, each exactly once.

The server is aiosmtpd on 127.0.0.1 (plain SMTP); STARTTLS and implicit TLS are checked
against a stand-in for ``smtplib`` because they need certificates.
"""

from __future__ import annotations

import email
import email.policy
import smtplib
import socket
import ssl
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from icalendar import Calendar, Event
from sqlalchemy import select

from config import ConfigError
from telemed.auth.models import User
from telemed.extensions import db
from telemed.outbox.mail import Email
from telemed.outbox.models import OutboxMessage, OutboxStatus
from telemed.outbox.service import current_transport, deliver_due, enqueue
from telemed.outbox.transports import FileTransport, SMTPTransport, build_message

SENDER = "Comité de tumores <no-reply@telemed.local>"
SUMMARY = "Comité de tumores sólidos, sesión 166"


class Recorder:
    """aiosmtpd handler keeping every accepted envelope and the connection it came on."""

    def __init__(self, refuse: frozenset[str] = frozenset()) -> None:
        self.refuse = refuse
        self.envelopes: list[Any] = []
        self.peers: list[Any] = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # type: ignore[no-untyped-def]
        if address in self.refuse:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
        self.envelopes.append(envelope)
        self.peers.append(session.peer)
        return "250 Message accepted for delivery"

    def messages(self) -> list[EmailMessage]:
        return [
            email.message_from_bytes(e.content, policy=email.policy.default)  # type: ignore[misc]
            for e in self.envelopes
        ]

    def count_by_message_id(self) -> Counter[str]:
        return Counter(str(m["Message-ID"]) for m in self.messages())


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """A local SMTP server that can be stopped and started again on the same port."""

    def __init__(self, port: int, handler: Recorder) -> None:
        self.port = port
        self.handler = handler
        self.controller: Controller | None = None

    def start(self) -> None:
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)
        self.controller.start()  # returns once the server answers

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def make_server() -> Iterator[Callable[..., Server]]:
    servers: list[Server] = []

    def factory(start: bool = True, refuse: frozenset[str] = frozenset()) -> Server:
        server = Server(free_port(), Recorder(refuse))
        servers.append(server)
        if start:
            server.start()
        return server

    yield factory
    for server in servers:
        server.stop()


@pytest.fixture
def smtp_config(app, monkeypatch) -> Callable[[Server], None]:  # type: ignore[no-untyped-def]
    """Point the app's mail settings at a local server (plain SMTP, no login)."""

    def use(server: Server) -> None:
        for key, value in {"MAIL_TRANSPORT": "smtp", "SMTP_HOST": "127.0.0.1",
                           "SMTP_PORT": server.port, "SMTP_SECURITY": "none",
                           "SMTP_USERNAME": None, "SMTP_TIMEOUT": 5,
                           "MAIL_FROM": SENDER}.items():  # fmt: skip
            monkeypatch.setitem(app.config, key, value)

    return use


@pytest.fixture
def attendee(make_user: Callable[..., User]) -> User:
    return make_user(email="oncologa@hospital.test", name="Dra. Núñez")


def calendar(method: str = "REQUEST") -> bytes:
    cal = Calendar()
    cal.add("prodid", "-//telemed//Tumour board//ES")
    cal.add("version", "2.0")
    cal.add("method", method)
    event = Event()
    event.add("uid", "session-7@telemed.local")
    event.add("dtstamp", datetime(2026, 3, 2, 17, 0, tzinfo=UTC))
    event.add("dtstart", datetime(2026, 3, 6, 0, 0, tzinfo=UTC))
    event.add("dtend", datetime(2026, 3, 6, 1, 30, tzinfo=UTC))
    event.add("summary", SUMMARY)
    event.add("sequence", 2)
    if method == "CANCEL":
        event.add("status", "CANCELLED")
    cal.add_component(event)
    return cal.to_ical()


def queue_invite(user: User, key: str = "invite:7", method: str = "REQUEST") -> None:
    enqueue(key, "invite", user, f"Invitación: {SUMMARY}", "Orden del día:\n    CE 166.58\n",
            body_html="<p>Orden del día: <b>CE 166.58</b></p>", ics=calendar(method),
            ics_method=method)  # fmt: skip
    db.session.commit()


def queue_plain(user: User, count: int, prefix: str = "agenda") -> None:
    for n in range(count):
        enqueue(f"{prefix}:{n}:{user.id}", "agenda_closed", user, f"Orden del día {n}",
                f"Sesión {n}: CE {n}.58")  # fmt: skip
    db.session.commit()


def outbox_rows() -> list[OutboxMessage]:
    db.session.expire_all()
    return list(db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def content_types(message: EmailMessage) -> list[str]:
    return [part.get_content_type() for part in message.iter_parts()]


# --- structure ------------------------------------------------------------------------


def test_invite_arrives_with_the_calendar_inside_the_alternative_and_attached(
    attendee, make_server, smtp_config, clock
):
    server = make_server()
    smtp_config(server)
    queue_invite(attendee)
    clock.advance(timedelta(minutes=3))

    assert deliver_due() == 1

    [envelope] = server.handler.envelopes
    assert envelope.mail_from == "no-reply@telemed.local"
    assert envelope.rcpt_tos == ["oncologa@hospital.test"]
    [message] = server.handler.messages()
    [row] = outbox_rows()
    assert message["To"] == "oncologa@hospital.test"
    assert message["From"].addresses[0].display_name == "Comité de tumores"
    assert message["Subject"] == f"Invitación: {SUMMARY}"
    assert message["Message-ID"] == f"<outbox-{row.id}@telemed.local>"
    assert message["Date"].datetime == clock()  # when it was sent

    assert message.get_content_type() == "multipart/mixed"
    alternative, attachment = message.iter_parts()
    assert content_types(alternative) == ["text/plain", "text/html", "text/calendar"]
    plain, html, inline = alternative.iter_parts()
    assert "CE 166.58" in plain.get_content()
    assert "<b>CE 166.58</b>" in html.get_content()
    assert inline.get_param("method") == "REQUEST"
    assert inline.get_content_charset() == "utf-8"

    parsed = Calendar.from_ical(inline.get_content())
    assert parsed["METHOD"] == "REQUEST"
    [event] = parsed.walk("VEVENT")
    assert str(event["UID"]) == "session-7@telemed.local"
    assert str(event["SUMMARY"]) == SUMMARY  # accents survive the transfer encoding
    assert event["SEQUENCE"] == 2

    assert attachment.get_content_disposition() == "attachment"
    assert attachment.get_filename() == "invite.ics"
    assert attachment.get_content_type() in {"application/ics", "text/calendar"}
    assert attachment.get_param("name") == "invite.ics"
    assert attachment.get_content() == calendar()  # the same calendar, byte for byte


def test_cancellation_carries_method_cancel(attendee, make_server, smtp_config):
    server = make_server()
    smtp_config(server)
    queue_invite(attendee, key="cancel:7", method="CANCEL")
    assert deliver_due() == 1
    [message] = server.handler.messages()
    alternative, _attachment = message.iter_parts()
    inline = next(p for p in alternative.iter_parts() if p.get_content_type() == "text/calendar")
    assert inline.get_param("method") == "CANCEL"
    [event] = Calendar.from_ical(inline.get_content()).walk("VEVENT")
    assert event["STATUS"] == "CANCELLED"


def test_plain_notice_stays_a_single_text_part(attendee, make_server, smtp_config):
    server = make_server()
    smtp_config(server)
    queue_plain(attendee, 1)
    assert deliver_due() == 1
    [message] = server.handler.messages()
    assert message.get_content_type() == "text/plain"
    assert not message.is_multipart()
    assert "CE 0.58" in message.get_content()


def test_file_transport_writes_the_same_invite(attendee, tmp_path):
    transport = FileTransport(str(tmp_path), SENDER)
    transport.send(Email("oncologa@hospital.test", "Invitación", "CE 166.58",
                         "<outbox-9@telemed.local>", ics=calendar().decode(),
                         ics_method="REQUEST"))  # fmt: skip
    parsed = email.message_from_bytes((tmp_path / "outbox-9.eml").read_bytes(),
                                      policy=email.policy.default)  # fmt: skip
    alternative, attachment = parsed.iter_parts()
    assert content_types(alternative) == ["text/plain", "text/calendar"]
    assert attachment.get_filename() == "invite.ics"


def test_enqueue_keeps_html_and_calendar_on_the_row(attendee):
    queue_invite(attendee)
    [row] = outbox_rows()
    assert row.body_html == "<p>Orden del día: <b>CE 166.58</b></p>"
    assert row.ics == calendar().decode("utf-8")  # bytes are stored as text
    assert row.ics_method == "REQUEST"
    queue_plain(attendee, 1)
    plain = outbox_rows()[1]
    assert (plain.body_html, plain.ics, plain.ics_method) == (None, None, None)


def test_enqueue_refuses_an_unknown_calendar_method_and_writes_nothing(attendee):
    with pytest.raises(ValueError, match="ics_method"):
        enqueue("invite:x", "invite", attendee, "x", "x", ics=calendar(), ics_method="PUBLISH")
    db.session.commit()
    assert outbox_rows() == []


# --- delivery over SMTP ------------------------------------------------------------------


def test_two_delivery_runs_send_each_message_once_over_one_connection(
    attendee, make_server, smtp_config, clock
):
    server = make_server()
    smtp_config(server)
    queue_plain(attendee, 3)
    queue_invite(attendee)

    assert deliver_due() == 4
    assert deliver_due() == 0
    clock.advance(timedelta(hours=1))
    assert deliver_due() == 0

    counts = server.handler.count_by_message_id()
    assert sorted(counts) == sorted(f"<outbox-{row.id}@telemed.local>" for row in outbox_rows())
    assert set(counts.values()) == {1}
    assert len(set(server.handler.peers)) == 1  # the run reused one connection
    assert {(r.status, r.attempts) for r in outbox_rows()} == {(OutboxStatus.SENT, 1)}


def test_server_down_then_back_gets_every_message_exactly_once(
    attendee, make_user, make_server, smtp_config, clock
):
    server = make_server(start=False)  # nothing listens on its port yet
    smtp_config(server)
    other = make_user(email="cirujano@hospital.test")
    queue_plain(attendee, 2)
    queue_plain(other, 2)
    queue_invite(attendee)

    assert deliver_due() == 0  # refused: the run goes on and ends normally
    rows = outbox_rows()
    assert len(rows) == 5
    for row in rows:
        assert (row.status, row.attempts) == (OutboxStatus.PENDING, 1)
        assert row.next_attempt_at > clock()
        assert "refused" in row.last_error.lower()
        assert row.sent_at is None

    server.start()
    assert deliver_due() == 0  # back, but nothing is due before its back-off
    assert server.handler.envelopes == []

    clock.set(max(row.next_attempt_at for row in rows))
    assert deliver_due() == 5
    assert deliver_due() == 0
    clock.advance(timedelta(days=1))
    assert deliver_due() == 0

    counts = server.handler.count_by_message_id()
    assert sorted(counts) == sorted(f"<outbox-{row.id}@telemed.local>" for row in rows)
    assert set(counts.values()) == {1}
    assert {(r.status, r.attempts) for r in outbox_rows()} == {(OutboxStatus.SENT, 2)}
    assert sorted(a for e in server.handler.envelopes for a in e.rcpt_tos) == sorted(
        [attendee.email] * 3 + [other.email] * 2
    )


def test_refused_recipient_is_retried_while_the_others_go_out(
    attendee, make_user, make_server, smtp_config, clock
):
    server = make_server(refuse=frozenset({"baja@hospital.test"}))
    smtp_config(server)
    gone = make_user(email="baja@hospital.test")
    queue_plain(gone, 1)
    queue_plain(attendee, 2)

    assert deliver_due() == 2
    bounced, *delivered = outbox_rows()
    assert (bounced.status, bounced.attempts) == (OutboxStatus.PENDING, 1)
    assert "550" in bounced.last_error
    assert bounced.next_attempt_at > clock()
    assert {r.status for r in delivered} == {OutboxStatus.SENT}
    assert [e.rcpt_tos for e in server.handler.envelopes] == [[attendee.email]] * 2


# --- security and login, against a stand-in for smtplib ----------------------------------


class FakeSMTP:
    """Records what the transport asks of ``smtplib.SMTP`` / ``smtplib.SMTP_SSL``."""

    instances: list[FakeSMTP] = []
    connects = 0
    refuse = False

    def __init__(self, host: str, port: int, timeout: float, context: Any = None) -> None:
        FakeSMTP.connects += 1
        if FakeSMTP.refuse:
            raise ConnectionRefusedError(111, "Connection refused")
        self.kind = type(self).__name__
        self.address = (host, port, timeout)
        self.context = context
        self.calls: list[tuple[Any, ...]] = []
        FakeSMTP.instances.append(self)

    def starttls(self, context: ssl.SSLContext) -> None:
        self.calls.append(("starttls", context))

    def ehlo(self) -> None:
        self.calls.append(("ehlo",))

    def login(self, user: str, password: str) -> None:
        self.calls.append(("login", user, password))

    def send_message(self, message: EmailMessage, from_addr: str, to_addrs: list[str]) -> None:
        self.calls.append(("send_message", from_addr, to_addrs))

    def quit(self) -> None:
        self.calls.append(("quit",))

    def close(self) -> None:
        self.calls.append(("close",))


class FakeSMTPSSL(FakeSMTP):
    pass


@pytest.fixture
def fake_smtplib(monkeypatch) -> type[FakeSMTP]:  # type: ignore[no-untyped-def]
    FakeSMTP.instances = []
    FakeSMTP.connects = 0
    FakeSMTP.refuse = False
    monkeypatch.setattr(smtplib, "SMTP", FakeSMTP)
    monkeypatch.setattr(smtplib, "SMTP_SSL", FakeSMTPSSL)
    return FakeSMTP


def invite_email(n: int = 1) -> Email:
    return Email("oncologa@hospital.test", "Invitación", "CE 166.58", f"<outbox-{n}@x>")


def names(calls: list[tuple[Any, ...]]) -> list[str]:
    return [call[0] for call in calls]


def test_starttls_secures_the_connection_before_logging_in(fake_smtplib):
    transport = SMTPTransport("smtp.imss.test", 587, "starttls", "telemed", "s3cret",
                              timeout=7, sender=SENDER)  # fmt: skip
    transport.send(invite_email())
    [smtp] = fake_smtplib.instances
    assert smtp.kind == "FakeSMTP"
    assert smtp.address == ("smtp.imss.test", 587, 7)
    assert names(smtp.calls) == ["starttls", "ehlo", "login", "send_message", "quit"]
    context = smtp.calls[0][1]
    assert isinstance(context, ssl.SSLContext)
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    assert smtp.calls[2] == ("login", "telemed", "s3cret")
    assert smtp.calls[3] == ("send_message", "no-reply@telemed.local", ["oncologa@hospital.test"])


def test_ssl_uses_an_implicit_tls_connection(fake_smtplib):
    transport = SMTPTransport("smtp.imss.test", 465, "ssl", "telemed", "s3cret", sender=SENDER)
    transport.send(invite_email())
    [smtp] = fake_smtplib.instances
    assert smtp.kind == "FakeSMTPSSL"
    assert smtp.address[:2] == ("smtp.imss.test", 465)
    assert isinstance(smtp.context, ssl.SSLContext)
    assert smtp.context.verify_mode == ssl.CERT_REQUIRED
    assert names(smtp.calls) == ["login", "send_message", "quit"]  # no STARTTLS on top


def test_without_username_there_is_no_login(fake_smtplib):
    SMTPTransport("relay.local", 25, "none", sender=SENDER).send(invite_email())
    [smtp] = fake_smtplib.instances
    assert names(smtp.calls) == ["send_message", "quit"]


def test_unreachable_server_fails_the_rest_of_the_run_without_reconnecting(
    attendee, fake_smtplib, clock
):
    queue_plain(attendee, 3)
    fake_smtplib.refuse = True
    transport = SMTPTransport("smtp.imss.test", 587, "starttls", sender=SENDER)
    assert deliver_due(transport) == 0
    assert fake_smtplib.connects == 1  # one refused connection, not one wait per message
    rows = outbox_rows()
    assert {(r.status, r.attempts) for r in rows} == {(OutboxStatus.PENDING, 1)}
    assert all("smtp.imss.test:587" in r.last_error and "refused" in r.last_error for r in rows)


# --- settings ----------------------------------------------------------------------------


def test_file_transport_is_the_default(app):
    assert app.config["MAIL_TRANSPORT"] == "file"
    assert isinstance(current_transport(), FileTransport)


def test_smtp_settings_build_the_smtp_transport(app, monkeypatch):
    for key, value in {"MAIL_TRANSPORT": "smtp", "SMTP_HOST": "smtp.imss.test",
                       "SMTP_PORT": 465, "SMTP_SECURITY": "ssl", "SMTP_USERNAME": "telemed",
                       "SMTP_PASSWORD": "s3cret", "SMTP_TIMEOUT": 4}.items():  # fmt: skip
        monkeypatch.setitem(app.config, key, value)
    transport = current_transport()
    assert isinstance(transport, SMTPTransport)
    assert (transport.host, transport.port, transport.security) == ("smtp.imss.test", 465, "ssl")
    assert (transport.username, transport.password, transport.timeout) == ("telemed", "s3cret", 4)
    assert transport.sender == app.config["MAIL_FROM"]


@pytest.mark.parametrize(
    ("settings", "complaint"),
    [
        ({"MAIL_TRANSPORT": "pigeon"}, "TELEMED_MAIL_TRANSPORT"),
        ({"MAIL_TRANSPORT": "smtp", "SMTP_HOST": None}, "TELEMED_SMTP_HOST"),
        ({"MAIL_TRANSPORT": "smtp", "SMTP_HOST": "h", "SMTP_SECURITY": "tls"},
         "TELEMED_SMTP_SECURITY"),
    ],
)  # fmt: skip
def test_bad_mail_settings_are_refused_in_one_clear_line(app, monkeypatch, settings, complaint):
    for key, value in settings.items():
        monkeypatch.setitem(app.config, key, value)
    with pytest.raises(ConfigError, match=complaint):
        current_transport()


def test_message_is_seven_bit_clean_and_keeps_the_method_parameter():
    message = build_message(
        Email("oncologa@hospital.test", "Invitación", "Sesión 166: CE 166.58", "<outbox-1@x>",
              body_html="<p>Sesión 166</p>", ics=calendar().decode(), ics_method="REQUEST"),
        SENDER,
    )  # fmt: skip
    raw = bytes(message)
    assert raw.isascii()  # no relay needs 8BITMIME
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    [inline] = [p for p in parsed.walk() if p.get_content_type() == "text/calendar"]
    assert inline.get_param("method") == "REQUEST"
    [event] = Calendar.from_ical(inline.get_content()).walk("VEVENT")
    assert str(event["SUMMARY"]) == SUMMARY


@pytest.mark.parametrize(
    "subject",
    [
        f"Invitación: {SUMMARY}",
        "Actualización: Comité de tumores sólidos del Centro Médico Nacional Siglo XXI, "
        "sesión 166, nueva fecha y sala de videoconferencia",
        "Caso CE-0058:  la sesión cambió",
    ],
)
def test_long_spanish_subject_and_sender_keep_every_space(subject):
    sender = "Comité de tumores pediátricos del Centro Médico Nacional <no-reply@telemed.mx>"
    raw = bytes(build_message(Email("a@hospital.test", subject, "t", "<outbox-1@x>"), sender))
    assert raw.isascii()
    assert max(len(line) for line in raw.splitlines() if not line.startswith(b"From:")) <= 78
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    assert parsed["Subject"] == subject
    assert parsed["From"].addresses[0].display_name == sender.split(" <")[0]
    assert parsed["From"].addresses[0].addr_spec == "no-reply@telemed.mx"
