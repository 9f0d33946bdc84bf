"""Announcements about sessions and agendas, queued in the outbox (case codes only); the
wording is in ``templates/emails/``."""

from __future__ import annotations

from datetime import datetime

from telemed.auth.models import User
from telemed.boards.models import Board
from telemed.cases.models import Case
from telemed.outbox.notify import notify
from telemed.sessions.labels import FLAG_LABELS
from telemed.sessions.models import BoardSession, FlagReason
from telemed.sessions.order_of_business import outline

DIGEST_LINES = 200


def agenda_closed(session: BoardSession, user: User) -> None:
    notify(
        "agenda_closed",
        user,
        f"agenda-closed:{session.id}:{session.sequence}:{user.id}",
        session=session,
        sections=outline(session),
    )


def case_not_discussed(session: BoardSession, case: Case, user: User) -> None:
    notify(
        "case_not_discussed",
        user,
        f"not-discussed:{session.id}:{case.id}:{user.id}",
        session=session,
        case=case,
    )


def session_changed(session: BoardSession, case: Case, user: User) -> None:
    notify(
        "session_changed",
        user,
        f"session-changed:{session.id}:{session.sequence}:{case.id}:{user.id}",
        session=session,
        case=case,
    )


def cases_at_risk(
    board: Board,
    flags: list[tuple[str, FlagReason, str | None]],
    coordinator: User,
    now: datetime,
) -> None:
    """One digest per board and run listing the newly flagged cases (codes only)."""
    if not flags:
        return
    listed = [(code, FLAG_LABELS[reason], detail) for code, reason, detail in flags]
    notify(
        "scheduling_flag",
        coordinator,
        f"flags:{board.id}:{now.isoformat()}",
        board=board,
        codes=sorted({code for code, _reason, _detail in flags}),
        flags=listed[:DIGEST_LINES],
        more=max(0, len(flags) - DIGEST_LINES),
    )
