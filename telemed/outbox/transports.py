"""Ways to hand an email over. Development writes ``.eml`` files; SMTP comes with invites."""

from __future__ import annotations

import os
from email.message import EmailMessage
from pathlib import Path

from telemed.outbox.service import Email


def build_message(email: Email, sender: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = email.to_address
    message["Subject"] = email.subject
    message["Message-ID"] = email.message_id
    message.set_content(email.body_text)
    return message


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
