"""``BoardSession.agenda_version`` grows with every ORM change of what the agenda shows.

Calendars store each session's event (``invites.event_cache``) and build it again only when
something it shows changes; the agenda is the one part that lives in other rows (the
entries), so its changes are counted here, in the flush that writes them, whichever service
made them (placing, moving, reordering, releasing, deciding an entry; storing the order of
business). Writers that go around the ORM (the assignment's bulk ``INSERT``) bump the
counter in their own SQL.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session, attributes

from telemed.sessions.models import AgendaItem, BoardSession


def touched_sessions(session: Session) -> set[int]:
    """The sessions whose agenda this flush changes (both ends of a moved entry)."""
    ids: set[int] = set()
    dirty = session.dirty  # a new set at every access: read once
    for obj in (*session.new, *dirty, *session.deleted):
        if isinstance(obj, AgendaItem):
            if obj in dirty and not session.is_modified(obj):
                continue
            history = attributes.get_history(obj, "session_id")
            ids.update(i for i in (*history.added, *history.unchanged, *history.deleted) if i)
            if obj.session_id is None and obj.session is not None and obj.session.id:
                ids.add(obj.session.id)
        elif (
            isinstance(obj, BoardSession)
            and obj in dirty
            and attributes.get_history(obj, "order_of_business").has_changes()
        ):
            ids.add(obj.id)
    return ids


@event.listens_for(Session, "before_flush")
def count_agenda_changes(session: Session, _context: Any, _instances: Any) -> None:
    """Bump each touched session's counter in the same flush, as ``agenda_version + 1`` in
    SQL (two writers never lose a bump); the attribute is reloaded when next read."""
    touched = touched_sessions(session)
    if not touched:
        return
    with session.no_autoflush:
        for session_id in sorted(touched):
            board_session = session.get(BoardSession, session_id)
            if board_session is not None:
                board_session.agenda_version = BoardSession.agenda_version + 1
