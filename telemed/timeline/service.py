"""The case page's one timeline: submitted, accepted, scheduled (which session), discussed,
recommendations, referrals and their steps, agreements, questions and answers, closed.

Events store language-neutral messages (an agenda code such as ``CE 3.58``, material kinds,
a referral's status and centre); this module turns each into a readable line in the viewer's
language and time zone, naming the session behind an agenda code. Never patient data.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from telemed.auth.models import User
from telemed.cases.labels import EVENT_LABELS
from telemed.cases.models import Case, CaseEvent
from telemed.core.formatting import local_datetime
from telemed.core.vocabulary import MATERIAL_LABELS, MaterialKind
from telemed.extensions import db
from telemed.preparation.access import can_read_board_notes
from telemed.sessions.models import AgendaItem, BoardSession

# Kinds only the board may read (preparation notes create no event today; should one ever
# be added, referring doctors still never see it).
BOARD_ONLY_KINDS = frozenset({"note"})
AGENDA_CODE = re.compile(r"^CE (?P<session>\d+)\.(?P<case>\d+)(?::\s*(?P<rest>.*))?$", re.S)
# A Bootstrap colour and a symbol per kind, so the story reads at a glance.
STYLES: dict[str, tuple[str, str]] = {
    "created": ("secondary", "✎"),
    "updated": ("secondary", "✎"),
    "submit": ("primary", "➜"),
    "resubmit": ("primary", "➜"),
    "accept": ("success", "✓"),
    "return": ("warning", "?"),
    "withdraw": ("secondary", "✕"),
    "close": ("dark", "■"),
    "follow_up": ("primary", "↻"),
    "attachment_added": ("secondary", "+"),
    "scheduled": ("info", "▦"),
    "unscheduled": ("warning", "↶"),
    "discussed": ("success", "●"),
    "deferred": ("warning", "»"),
    "recommendation": ("success", "★"),
    "adherence": ("success", "✓"),
    "referral": ("primary", "⇢"),
    "agreement": ("info", "§"),
    "agreement_done": ("success", "§"),
    "question": ("info", "?"),
    "answer": ("info", "↩"),
    "reviewed": ("secondary", "✓"),
    "material_missing": ("danger", "!"),
}
DEFAULT_STYLE = ("primary", "•")
# Steps that name the session in full (board, number, date); the others just its number.
FULL_SESSION_KINDS = frozenset({"scheduled", "unscheduled", "discussed", "deferred"})


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    kind: str
    label: str
    detail: str | None
    actor: str | None
    tone: str
    icon: str


def visible_events(case: Case, viewer: User) -> list[CaseEvent]:
    """The case's events the viewer may read, oldest first."""
    board_reader = can_read_board_notes(viewer, case)
    return [e for e in case.events if board_reader or e.kind not in BOARD_ONLY_KINDS]


def agenda_items(case: Case) -> list[AgendaItem]:
    """Every agenda entry the case ever had, with its session and board (one query)."""
    return list(
        db.session.scalars(
            select(AgendaItem)
            .where(AgendaItem.case_id == case.id)
            .options(joinedload(AgendaItem.session).joinedload(BoardSession.board))
            .order_by(AgendaItem.id)
        ).unique()
    )


def session_line(item: AgendaItem, kind: str) -> str:
    """Which session: in full where the case moves on or off an agenda, briefly elsewhere."""
    session = item.session
    if kind not in FULL_SESSION_KINDS:
        return _("session %(number)d · agenda code %(code)s", number=session.number,
                 code=item.agenda_code)  # fmt: skip
    return _(
        "%(board)s, session %(number)d, %(when)s · agenda code %(code)s",
        board=session.board.name, number=session.number,
        when=local_datetime(session.starts_at), code=item.agenda_code,
    )  # fmt: skip


def material_names(text: str) -> str:
    values = [part.strip() for part in text.split(",") if part.strip()]
    names = []
    for value in values:
        try:
            names.append(str(MATERIAL_LABELS[MaterialKind(value)]))
        except ValueError:
            names.append(value)
    return ", ".join(names)


def describe(
    event: CaseEvent, by_code: dict[str, AgendaItem], by_time: dict[Any, AgendaItem]
) -> str | None:
    """A readable detail line for one event, naming the session behind an agenda code."""
    message = (event.message or "").strip()
    match = AGENDA_CODE.match(message)
    item = None
    rest = message
    if match is not None:
        item = by_code.get(f"CE {match['session']}.{match['case']}")
        rest = (match["rest"] or "").strip()
    elif not message and event.kind == "scheduled":
        item = by_time.get(event.at)  # placed before events carried their agenda code
    parts: list[str] = []
    if event.kind == "material_missing" and rest:
        parts.append(_("Missing: %(material)s", material=material_names(rest)))
        rest = ""
    if item is not None:
        parts.append(session_line(item, event.kind))
    elif match is not None:
        parts.append(_("agenda code %(code)s", code=f"CE {match['session']}.{match['case']}"))
    if rest:
        parts.append(rest)
    return " · ".join(parts) or None


def case_timeline(case: Case, viewer: User) -> list[TimelineEntry]:
    """The whole story of a case for one viewer, oldest first."""
    items = agenda_items(case)
    by_code = {item.agenda_code: item for item in items}
    by_time = {item.placed_at: item for item in items}
    entries = []
    for event in visible_events(case, viewer):
        tone, icon = STYLES.get(event.kind, DEFAULT_STYLE)
        entries.append(
            TimelineEntry(
                at=event.at,
                kind=event.kind,
                label=str(EVENT_LABELS.get(event.kind, event.kind)),
                detail=describe(event, by_code, by_time),
                actor=event.actor.name if event.actor else None,
                tone=tone,
                icon=icon,
            )
        )
    return entries
