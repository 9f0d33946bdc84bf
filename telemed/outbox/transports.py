"""Ways to hand an email over: ``.eml`` files (development) or an SMTP server.

Calendar invites are built the way Outlook, Gmail and Apple Mail expect them: a
multipart/mixed message whose first part is multipart/alternative (text, HTML and
``text/calendar; method=...``), followed by the same calendar as ``invite.ics``.
"""

from __future__ import annotations

import email.policy
import os
import smtplib
import ssl
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from email.header import Header
from email.message import EmailMessage
from email.utils import formataddr, parseaddr
from pathlib import Path
from typing import Any

from config import ConfigError
from telemed.core.clock import now_utc
from telemed.outbox.mail import Email, Transport

# Bodies travel 7-bit clean (quoted-printable or base64 when the text is not ASCII), so
# no relay on the way has to support 8BITMIME.
# Headers encoded here (see set_header) are written as they are, never refolded.
MAIL_POLICY = email.policy.default.clone(cte_type="7bit", refold_source="none")
SECURITY = ("none", "starttls", "ssl")
ATTACHMENT_NAME = "invite.ics"


def build_message(email: Email, sender: str) -> EmailMessage:
    """The MIME message for ``email``: plain text alone, or with HTML and a calendar."""
    message = EmailMessage(policy=MAIL_POLICY)
    set_sender(message, sender)
    message["To"] = email.to_address
    set_header(message, "Subject", email.subject)
    message["Date"] = email.date or now_utc()
    message["Message-ID"] = email.message_id
    message.set_content(email.body_text)
    if email.body_html:
        message.add_alternative(email.body_html, subtype="html")
    if email.ics:
        method = (email.ics_method or "REQUEST").upper()
        # Inside the alternative: that is where Outlook and Gmail look for the invite.
        message.add_alternative(email.ics, subtype="calendar", params={"method": method})
        message.make_mixed()
        message.add_attachment(
            email.ics.encode("utf-8"),
            maintype="application",
            subtype="ics",
            filename=ATTACHMENT_NAME,
            params={"name": ATTACHMENT_NAME},
        )
    return message


def set_header(message: EmailMessage, name: str, value: str) -> None:
    """Add a header, encoding non-ASCII text as RFC 2047 words ourselves.

    The ``email`` package's own folding drops the space between two encoded words
    (CPython 3.11: "sólidos, sesión" arrives as "sólidos,sesión"), so a non-ASCII
    value is encoded by ``email.header.Header`` and stored as it is.
    """
    if value.isascii():
        message[name] = value
    else:
        message.set_raw(name, Header(value, "utf-8", header_name=name).encode(linesep="\n"))


def set_sender(message: EmailMessage, sender: str) -> None:
    """``From``: a non-ASCII display name goes out as one encoded word, on one line
    (split words would be read back with a stray space by some parsers)."""
    name, address = parseaddr(sender)
    if name.isascii():
        message["From"] = sender
    else:
        message.set_raw("From", formataddr((name, address), charset="utf-8"))


class FileTransport:
    """Writes one ``.eml`` per message, named by its Message-ID, so a resend overwrites."""

    def __init__(self, directory: str, sender: str) -> None:
        self.directory = Path(directory)
        self.sender = sender

    def send(self, email: Email) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        name = email.message_id.strip("<>").split("@")[0] + ".eml"
        target = self.directory / name
        tmp = target.with_suffix(".tmp")
        tmp.write_bytes(bytes(build_message(email, self.sender)))
        os.replace(tmp, target)


class MailServerUnreachable(ConnectionError):
    """Connecting, securing or logging in to the SMTP server failed."""


class SMTPTransport:
    """Hands messages to an SMTP server (plain, STARTTLS or implicit TLS).

    ``send`` opens a connection per message; ``batch()`` gives a sender that reuses one
    connection for a whole delivery run. Every failure raises, so the outbox retries.
    """

    def __init__(
        self,
        host: str,
        port: int = 587,
        security: str = "starttls",
        username: str | None = None,
        password: str | None = None,
        timeout: float = 10,
        sender: str = "",
    ) -> None:
        security = security.lower()
        if security not in SECURITY:
            raise ConfigError(
                f"TELEMED_SMTP_SECURITY must be one of {', '.join(SECURITY)}; got {security!r}."
            )
        self.host = host
        self.port = port
        self.security = security
        self.username = username
        self.password = password
        self.timeout = timeout
        self.sender = sender

    def send(self, email: Email) -> None:
        with self.batch() as connection:
            connection.send(email)

    @contextmanager
    def batch(self) -> Iterator[SMTPConnection]:
        connection = SMTPConnection(self)
        try:
            yield connection
        finally:
            connection.close()

    def connect(self) -> smtplib.SMTP:
        """An open, secured and authenticated connection (raises if the server refuses)."""
        smtp: smtplib.SMTP
        if self.security == "ssl":
            smtp = smtplib.SMTP_SSL(
                self.host, self.port, timeout=self.timeout, context=ssl.create_default_context()
            )
        else:
            smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        try:
            if self.security == "starttls":
                smtp.starttls(context=ssl.create_default_context())
                smtp.ehlo()
            if self.username:
                smtp.login(self.username, self.password or "")
        except BaseException:
            smtp.close()
            raise
        return smtp


class SMTPConnection:
    """One delivery run's connection: opened on the first message and reused.

    A connection that fails while sending is dropped and reopened for the next message.
    When the server cannot be reached at all, the rest of the run fails at once with the
    same error (each message is retried later) instead of waiting for a timeout each.
    """

    def __init__(self, transport: SMTPTransport) -> None:
        self.transport = transport
        self.smtp: smtplib.SMTP | None = None
        self.unreachable: str | None = None

    def send(self, email: Email) -> None:
        smtp = self.open()
        message = build_message(email, self.transport.sender)
        try:
            smtp.send_message(
                message, from_addr=parseaddr(self.transport.sender)[1], to_addrs=[email.to_address]
            )
        except BaseException:
            self.close()
            raise

    def open(self) -> smtplib.SMTP:
        if self.unreachable is not None:
            raise MailServerUnreachable(self.unreachable)
        if self.smtp is None:
            transport = self.transport
            try:
                self.smtp = transport.connect()
            except (OSError, smtplib.SMTPException) as err:
                self.unreachable = f"{transport.host}:{transport.port}: {type(err).__name__}: {err}"
                raise MailServerUnreachable(self.unreachable) from err
        return self.smtp

    def close(self) -> None:
        smtp, self.smtp = self.smtp, None
        if smtp is None:
            return
        try:
            smtp.quit()
        except (OSError, smtplib.SMTPException):
            smtp.close()


def transport_from_config(config: Mapping[str, Any]) -> Transport:
    """``MAIL_TRANSPORT`` = ``file`` (default) or ``smtp`` with the ``SMTP_*`` settings."""
    kind = str(config.get("MAIL_TRANSPORT") or "file").lower()
    if kind == "file":
        return FileTransport(config["OUTBOX_DIR"], config["MAIL_FROM"])
    if kind == "smtp":
        if not config.get("SMTP_HOST"):
            raise ConfigError("TELEMED_MAIL_TRANSPORT=smtp needs TELEMED_SMTP_HOST.")
        return SMTPTransport(
            host=config["SMTP_HOST"],
            port=int(config.get("SMTP_PORT") or 587),
            security=str(config.get("SMTP_SECURITY") or "starttls"),
            username=config.get("SMTP_USERNAME"),
            password=config.get("SMTP_PASSWORD"),
            timeout=float(config.get("SMTP_TIMEOUT") or 10),
            sender=config["MAIL_FROM"],
        )
    raise ConfigError(f"TELEMED_MAIL_TRANSPORT must be file or smtp; got {kind!r}.")
