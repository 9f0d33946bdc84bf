"""The order of business of a session, as in the minutes (a leaf: sessions, invites and
the room all read it)."""

from __future__ import annotations

from typing import Any

from telemed.boards.models import SessionKind
from telemed.sessions.labels import SECTION_LABELS
from telemed.sessions.models import BoardSession


def order_of_business(session: BoardSession) -> list[dict[str, Any]]:
    """As in the minutes: welcome, follow-up of agreements, cases, general matters, reading
    of the agreements, close. Keys are stored; titles are translated where shown."""

    def section(key: str, entries: list[str] | None = None) -> dict[str, Any]:
        return {"key": key, "title": str(SECTION_LABELS[key]), "entries": entries or []}

    if session.kind is SessionKind.CASE_REVIEW:
        cases = [item.agenda_code + (" *" if item.carried_over else "")
                 for item in session.pending_items]  # fmt: skip
        middle = [section("follow_up"), section("cases", cases)]
    else:
        middle = [section("topic", [e for e in (session.topic, session.speaker) if e])]
    return [section("welcome"), *middle, section("general"), section("agreements"),
            section("close")]  # fmt: skip


def labelled(session: BoardSession) -> list[dict[str, Any]]:
    """The order of business as people read it (the closed agenda's, else today's): each
    section's key, its title in the current language and its entries (agenda codes, the
    topic). The API shows it; agenda emails and calendar descriptions list it."""
    return [
        {
            "key": section["key"],
            "title": str(SECTION_LABELS.get(section["key"], section.get("title", ""))),
            "entries": list(section.get("entries", [])),
        }
        for section in session.order_of_business or order_of_business(session)
    ]


def outline(session: BoardSession) -> list[tuple[str, list[str]]]:
    """``labelled`` as (title, entries) pairs, for the emails and calendars."""
    return [(section["title"], section["entries"]) for section in labelled(session)]
