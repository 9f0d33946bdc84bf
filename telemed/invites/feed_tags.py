"""The private feed's entity tag, remembered per process while the calendars' data has not
changed, so a calendar client polling an unchanged feed costs two statements (the token's
owner and the calendars' version) instead of reading and hashing a thousand sessions' stamps.

A remembered tag is keyed by everything the feed depends on besides the database: its
owner, their language and time zone, their local day (the feed reaches whole days back and
drops cancelled sessions once their day is over, ``feeds.window_clause``) and the
environment its events are built in (``event_cache.environment``). It is served only while
``CALENDARS`` is still at the version read before the tag was worked out: that counter rises
with every write to a table the feed's sessions, stamps or membership come from.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from telemed.auth.models import User
from telemed.core import versions
from telemed.core.memo import Memo
from telemed.extensions import db
from telemed.invites import event_cache, feeds, ical

# What the private feed reads: its sessions (``feeds.invited_clause``), their stamps
# (``event_cache.STAMP_COLUMNS``: session, board, coordinator) and agenda entries. Of users
# and cases only the columns a feed shows or selects by count (a login writes the user row).
CALENDARS = versions.register(
    versions.Counter(
        row_id=2,
        name="calendars",
        tables={
            "board_sessions": versions.ALL_COLUMNS,
            "boards": versions.ALL_COLUMNS,
            "agenda_items": versions.ALL_COLUMNS,
            "session_attendees": versions.ALL_COLUMNS,
            "board_members": versions.ALL_COLUMNS,
            "users": frozenset({"name", "email"}),
            "cases": frozenset({"submitted_by_id"}),
        },
    )
)
MEMO_SIZE = 4096  # feeds remembered per process (a national network's users)


@dataclass(frozen=True)
class KnownTag:
    version: int
    tag: str


known: Memo[KnownTag] = Memo(MEMO_SIZE)


def memo_key(user: User, now: datetime) -> str:
    """Call it in the user's language (``in_language_of``)."""
    zone = user.display_timezone
    day = now.astimezone(ZoneInfo(zone)).date()
    environment = event_cache.environment(ical.PLAIN)
    return f"{user.id} {event_cache.language()} {zone} {day} {environment}"


def tag_and_stamps(
    user: User, now: datetime, client_has: Callable[[str], bool]
) -> tuple[str, list[event_cache.Stamp] | None]:
    """The user's feed tag (call it in their language), and the stamps of its sessions —
    ``None`` when the tag remembered at the current version is one ``client_has`` already:
    the ``304`` then reads nothing else. Nothing is remembered from, or served to, a
    transaction with its own uncommitted changes (no other reader sees that data, and it
    may roll back)."""
    version = CALENDARS.current()  # first: data changed after this has a later version
    key = memo_key(user, now)
    shared = not CALENDARS.pending(db.session)
    found = known.get(key) if shared else None
    if found is not None and found.version == version and client_has(found.tag):
        return found.tag, None
    stamps = feeds.user_stamps(user, now)
    tag = feeds.feed_tag(stamps)
    if shared:
        known.put(key, KnownTag(version, tag))
    return tag, stamps
