"""A real IMAP server for the tests: Debian's Dovecot, started in a temporary folder with a
generated configuration (passwd-file login, Maildir, 127.0.0.1 on a free port, plain
login allowed on that loopback address only).

Skipped when ``dovecot`` is not installed, unless ``TELEMED_REQUIRE_IMAP=1`` (``.ci/run``
sets it and installs ``dovecot-imapd``), which makes its absence a failure.
"""

from __future__ import annotations

import getpass
import imaplib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

USERNAME = "itip@telemed.test"
PASSWORD = "itip-test-password"
MAILBOX = "INBOX"
START_SECONDS = 15


@dataclass(frozen=True)
class ImapServer:
    host: str
    port: int
    username: str
    password: str

    def connect(self) -> imaplib.IMAP4:
        imap = imaplib.IMAP4(self.host, self.port, timeout=10)
        imap.login(self.username, self.password)
        imap.select(MAILBOX)
        return imap

    def deliver(self, raw: bytes) -> None:
        """Put a message in the mailbox as a mail server would: unseen, by IMAP APPEND."""
        imap = self.connect()
        try:
            status, detail = imap.append(MAILBOX, None, None, raw)
            assert status == "OK", detail
        finally:
            imap.logout()

    def empty(self) -> None:
        imap = self.connect()
        try:
            status, data = imap.uid("SEARCH", "ALL")
            if status == "OK" and data and data[0]:
                imap.uid("STORE", ",".join(u.decode() for u in data[0].split()),
                         "+FLAGS.SILENT", "(\\Deleted)")  # fmt: skip
                imap.expunge()
        finally:
            imap.logout()

    def flags(self) -> list[set[str]]:
        """Each message's flags, oldest first."""
        imap = self.connect()
        try:
            status, data = imap.uid("SEARCH", "ALL")
            found = []
            for uid in data[0].split() if status == "OK" and data[0] else []:
                _status, items = imap.uid("FETCH", uid.decode(), "(FLAGS)")
                text = items[0].decode() if isinstance(items[0], bytes) else ""
                inside = text.split("FLAGS (", 1)[1].split(")", 1)[0] if "FLAGS (" in text else ""
                found.append(set(inside.split()))
            return found
        finally:
            imap.logout()


def dovecot_binary() -> str | None:
    return shutil.which("dovecot") or next(
        (path for path in ("/usr/sbin/dovecot",) if os.access(path, os.X_OK)), None
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def accounts() -> tuple[str, str, str]:
    """(login user, internal user, mail user): Dovecot's own system users when run as root
    (it refuses root for all three), else whoever runs the tests."""
    if os.geteuid() == 0:
        return "dovenull", "dovecot", "dovecot"
    me = getpass.getuser()
    return me, me, me


def configuration(folder: Path, port: int) -> str:
    login, internal, mail = accounts()
    entry = pwd.getpwnam(mail)
    root_only = "" if os.geteuid() == 0 else "\n".join(
        f"service {name} {{\n  chroot =\n}}" for name in ("imap-login", "anvil")
    )  # fmt: skip
    return f"""
base_dir = {folder}/run
state_dir = {folder}/state
instance_name = telemed-test-{port}
log_path = {folder}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_login_user = {login}
default_internal_user = {internal}
first_valid_uid = {min(entry.pw_uid, 500)}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {folder}/passwd
}}
userdb {{
  driver = static
  args = uid={entry.pw_uid} gid={entry.pw_gid} home={folder}/home/%u
}}
mail_location = maildir:~/Maildir
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
{root_only}
"""


def wait_until_listening(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    text = log.read_text(errors="replace") if log.exists() else ""
    raise RuntimeError(f"dovecot did not start on 127.0.0.1:{port}: {text[-2000:]}")


@pytest.fixture(scope="session")
def imap_server() -> Iterator[ImapServer]:
    """One Dovecot for the test run; stopped (by its own process id) at the end."""
    binary = dovecot_binary()
    if binary is None:
        if os.environ.get("TELEMED_REQUIRE_IMAP") == "1":
            pytest.fail("TELEMED_REQUIRE_IMAP=1 but dovecot is not installed (dovecot-imapd)")
        pytest.skip("dovecot is not installed (apt-get install dovecot-imapd)")
    folder = Path(tempfile.mkdtemp(prefix="telemed-imap-"))
    folder.chmod(0o755)  # the mail user (not root) walks into its home below
    _login, _internal, mail = accounts()
    entry = pwd.getpwnam(mail)
    home = folder / "home" / USERNAME
    home.mkdir(parents=True)
    for path in (folder / "home", home):
        os.chown(path, entry.pw_uid, entry.pw_gid)
    (folder / "passwd").write_text(f"{USERNAME}:{{PLAIN}}{PASSWORD}::::::\n")
    port = free_port()
    conf = folder / "dovecot.conf"
    conf.write_text(configuration(folder, port))
    # Dovecot writes its log to the folder (shown when it fails to start).
    process = subprocess.Popen([binary, "-F", "-c", str(conf)], stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        wait_until_listening(port, process, folder / "dovecot.log")
        yield ImapServer("127.0.0.1", port, USERNAME, PASSWORD)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        shutil.rmtree(folder, ignore_errors=True)
