"""Where attachment bytes live, named by their SHA-256 (the same bytes are kept once).

Two stores, chosen by ``TELEMED_ATTACHMENT_STORE``:

- ``local`` (default): files under ``TELEMED_ATTACHMENT_DIR``, outside static files. One
  machine only: another web server does not have them.
- ``database`` (``postgresql`` is the same): rows of ``attachment_blobs`` in the service's
  database, so every web server serves every file. They are written in the upload's own
  transaction (an upload that fails leaves no bytes behind) and streamed out in chunks.

``migrate`` moves the bytes of the attachments from one store to the other
(``flask attachments migrate``), checking every SHA-256.
"""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Protocol

from flask import current_app
from sqlalchemy import Engine, LargeBinary, delete, func, select

from telemed.cases.models import Attachment, AttachmentBlob
from telemed.core import transaction
from telemed.core.sql import insert
from telemed.extensions import db

STORES = ("local", "database")
ALIASES = {"postgresql": "database"}
# A download reads this much of a blob per query: a 20 MB file is 20 short reads, never
# 20 MB held at once by the web worker.
CHUNK_BYTES = 1024 * 1024


class StoreError(RuntimeError):
    """Bytes that cannot be stored or read as they should (too large, gone while read)."""


def digest_of(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


class AttachmentStore(Protocol):
    """What the rest of the service needs from a store."""

    name: str

    def put(self, content: bytes, *, replace: bool = False) -> str:
        """Keep ``content`` under its SHA-256 (once; ``replace`` rewrites a damaged copy)."""
        ...

    def has(self, sha256: str) -> bool: ...

    def read(self, sha256: str) -> bytes | None:
        """All the bytes (to check and copy them), or ``None`` when missing."""
        ...

    def open(self, sha256: str) -> IO[bytes] | None:
        """A binary file to stream to the client, or ``None`` when missing."""
        ...

    def delete(self, sha256: str) -> None: ...


def store_name(name: str) -> str:
    """The store a setting or an option names (``postgresql`` is the database store)."""
    name = name.strip().lower()
    name = ALIASES.get(name, name)
    if name not in STORES:
        raise ValueError(f"no attachment store {name!r}: use local or database")
    return name


def named_store(name: str) -> AttachmentStore:
    if store_name(name) == "database":
        return DatabaseStore()
    return LocalStore(Path(current_app.config["ATTACHMENT_DIR"]))


def current_store() -> AttachmentStore:
    """The store ``TELEMED_ATTACHMENT_STORE`` names, where uploads go and downloads come from."""
    return named_store(current_app.config["ATTACHMENT_STORE"])


def store(content: bytes) -> str:
    """Keep ``content`` in the current store and return its SHA-256."""
    return current_store().put(content)


# --- a folder ----------------------------------------------------------------------------


class LocalStore:
    """Files ``<root>/<first two hex digits>/<sha256>``, written whole or not at all."""

    name = "local"

    def __init__(self, root: Path) -> None:
        self.root = root

    def path_for(self, sha256: str) -> Path:
        return self.root / sha256[:2] / sha256

    def put(self, content: bytes, *, replace: bool = False) -> str:
        """Write to a temporary file, flush it to disk, then rename it into place (atomic):
        a crash leaves the old file or the new one, never half of one."""
        digest = digest_of(content)
        target = self.path_for(digest)
        if target.exists() and not replace:
            return digest
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as tmp:
                tmp.write(content)
                tmp.flush()
                os.fsync(tmp.fileno())
            os.replace(tmp_name, target)
        except BaseException:
            Path(tmp_name).unlink(missing_ok=True)
            raise
        return digest

    def has(self, sha256: str) -> bool:
        return self.path_for(sha256).is_file()

    def read(self, sha256: str) -> bytes | None:
        try:
            return self.path_for(sha256).read_bytes()
        except FileNotFoundError:
            return None

    def open(self, sha256: str) -> IO[bytes] | None:
        try:
            return self.path_for(sha256).open("rb")
        except FileNotFoundError:
            return None

    def delete(self, sha256: str) -> None:
        self.path_for(sha256).unlink(missing_ok=True)


# --- the database ------------------------------------------------------------------------


class DatabaseStore:
    """Rows of ``attachment_blobs`` in the current transaction: the request (or command)
    that writes one commits it with the attachment that uses it, or neither."""

    name = "database"

    def put(self, content: bytes, *, replace: bool = False) -> str:
        """Insert once per content; a concurrent upload of the same bytes waits for the first
        and then finds it there (``ON CONFLICT DO NOTHING``)."""
        limit = current_app.config["MAX_ATTACHMENT_BYTES"]
        if len(content) > limit:
            raise StoreError(
                f"{len(content)} bytes is more than TELEMED_MAX_ATTACHMENT_MB allows ({limit})"
            )
        digest = digest_of(content)
        statement = insert(AttachmentBlob).values(sha256=digest, size=len(content), content=content)
        if replace:
            statement = statement.on_conflict_do_update(
                index_elements=["sha256"], set_={"size": len(content), "content": content}
            )
        else:
            statement = statement.on_conflict_do_nothing(index_elements=["sha256"])
        db.session.execute(statement)
        return digest

    def has(self, sha256: str) -> bool:
        return self.size(sha256) is not None

    def size(self, sha256: str) -> int | None:
        return db.session.scalar(select(AttachmentBlob.size).where(AttachmentBlob.sha256 == sha256))

    def read(self, sha256: str) -> bytes | None:
        return db.session.scalar(
            select(AttachmentBlob.content).where(AttachmentBlob.sha256 == sha256)
        )

    def open(self, sha256: str) -> IO[bytes] | None:
        """A file that reads the blob ``CHUNK_BYTES`` at a time as the client takes it.

        Each chunk is one short query on a connection of its own, taken from the pool and
        given back at once: a slow client holds no database connection (nor a transaction)
        between chunks, and the reads need no app context (the WSGI server iterates after
        the view has returned)."""
        size = self.size(sha256)
        if size is None:
            return None
        return io.BufferedReader(
            ChunkReader(self.chunks(db.engine, sha256, size)), buffer_size=CHUNK_BYTES
        )

    @staticmethod
    def chunks(engine: Engine, sha256: str, size: int) -> Iterator[bytes]:
        for offset in range(0, size, CHUNK_BYTES):
            query = select(
                func.substr(AttachmentBlob.content, offset + 1, CHUNK_BYTES, type_=LargeBinary)
            ).where(AttachmentBlob.sha256 == sha256)
            with engine.connect() as connection:
                piece = connection.scalar(query)
            if not piece:
                raise StoreError(f"attachment {sha256} was removed while it was being read")
            yield bytes(piece)

    def delete(self, sha256: str) -> None:
        db.session.execute(delete(AttachmentBlob).where(AttachmentBlob.sha256 == sha256))


class ChunkReader(io.RawIOBase):
    """A read-only binary file over an iterator of byte strings (closing it closes them)."""

    def __init__(self, chunks: Iterable[bytes]) -> None:
        super().__init__()
        self._chunks = iter(chunks)
        self._pending = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview | bytearray) -> int:  # type: ignore[override]
        if not self._pending:
            self._pending = next(self._chunks, b"")
        count = min(len(buffer), len(self._pending))
        buffer[:count] = self._pending[:count]
        self._pending = self._pending[count:]
        return count

    def close(self) -> None:
        if not self.closed:
            close: Callable[[], object] | None = getattr(self._chunks, "close", None)
            if close is not None:
                close()
        super().close()


# --- moving the bytes between stores ---------------------------------------------------


@dataclass
class MigrationReport:
    """What ``migrate`` did: bytes copied, found already there (and checked), deleted from
    the source, and each content that could not be moved, with why."""

    copied: int = 0
    present: int = 0
    deleted: int = 0
    failures: list[str] = field(default_factory=list)

    def summary(self) -> str:
        text = f"{self.copied} copied, {self.present} already there, {self.deleted} deleted"
        return f"{text}, {len(self.failures)} failed" if self.failures else text


def migrate(to: str, *, delete_source: bool = False) -> MigrationReport:
    """Copy the bytes of every attachment from the other store into ``to``.

    Each copy is read back and checked against its SHA-256 (and a copy already there is
    checked too, so running it again copies nothing and proves everything is there). A
    source whose bytes are missing or do not match their hash is reported and never copied.
    With ``delete_source`` the source's bytes are removed, only those whose copy was
    checked, after the copies are committed. Progress is committed after each content.
    """
    target = named_store(to)
    source = named_store("local" if target.name == "database" else "database")
    report = MigrationReport()
    checked: list[str] = []
    digests = db.session.scalars(
        select(Attachment.sha256).distinct().order_by(Attachment.sha256)
    ).all()
    for digest in digests:
        problem = copy_one(digest, source, target, report)
        if problem is None:
            checked.append(digest)
        else:
            report.failures.append(f"{digest}: {problem}")
        transaction.commit_chunk()  # a copy made is kept whatever happens to the rest
    if delete_source:
        for digest in checked:
            if source.has(digest):
                source.delete(digest)
                report.deleted += 1
        transaction.commit_chunk()  # the report says they are gone: so they are
    return report


def copy_one(
    digest: str, source: AttachmentStore, target: AttachmentStore, report: MigrationReport
) -> str | None:
    """Make sure ``target`` holds the right bytes for ``digest``; why not, when it cannot."""
    existing = target.read(digest)
    if existing is not None and digest_of(existing) == digest:
        report.present += 1
        return None
    content = source.read(digest)
    if content is None:
        return "missing from the source" + (" (and the copy is damaged)" if existing else "")
    if digest_of(content) != digest:
        return "the source's bytes do not match their SHA-256"
    try:
        target.put(content, replace=existing is not None)
    except StoreError as err:
        return str(err)
    copy = target.read(digest)
    if copy is None or digest_of(copy) != digest:
        transaction.rollback()
        target.delete(digest)
        return "the copy does not match its SHA-256"
    report.copied += 1
    return None
