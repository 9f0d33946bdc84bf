"""Announcements about sessions and agendas, queued in the outbox (case codes only)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from babel.dates import format_date
from flask import current_app
from flask_babel import gettext as _
from flask_babel import ngettext

from telemed.auth.models import User
from telemed.boards.models import Board
from telemed.cases.models import Case
from telemed.outbox.service import enqueue, in_language_of, user_locale
from telemed.sessions.labels import SECTION_LABELS
from telemed.sessions.models import BoardSession, FlagReason


def session_link(session: BoardSession) -> str:
    return f"{current_app.config['BASE_URL']}/sessions/{session.id}"


def case_link(case: Case) -> str:
    return f"{current_app.config['BASE_URL']}/cases/{case.id}"


def local_when(session: BoardSession, user: User) -> str:
    """Date and time on the recipient's clock, e.g. "jueves, 5 de marzo de 2026, 16:00–17:30
    PST (America/Tijuana)"."""
    zone_name = user.display_timezone
    zone = ZoneInfo(zone_name)
    start, end = session.starts_at.astimezone(zone), session.ends_at.astimezone(zone)
    day = format_date(start.date(), "full", locale=user_locale(user))
    return f"{day}, {start:%H:%M}–{end:%H:%M} {start.tzname() or ''} ({zone_name})"


def agenda_closed(session: BoardSession, user: User) -> None:
    with in_language_of(user):
        lines = [
            _("The agenda of %(board)s, session %(number)d, is closed.",
              board=session.board.name, number=session.number),
            _("Date: %(when)s", when=local_when(session, user)),
            "",
            _("Order of business:"),
        ]  # fmt: skip
        for section in session.order_of_business or []:
            lines.append(f"- {SECTION_LABELS.get(section['key'], section['title'])}")
            lines.extend(f"    {entry}" for entry in section.get("entries", []))
        lines += ["", _("Video room: %(url)s", url=session.room_url), session_link(session)]
        enqueue(
            f"agenda-closed:{session.id}:{session.sequence}:{user.id}",
            "agenda_closed",
            user,
            _("Agenda: %(board)s, session %(number)d", board=session.board.name,
              number=session.number),
            "\n".join(lines),
        )  # fmt: skip


def case_not_discussed(session: BoardSession, case: Case, user: User) -> None:
    with in_language_of(user):
        enqueue(
            f"not-discussed:{session.id}:{case.id}:{user.id}",
            "case_not_discussed",
            user,
            _("Case %(code)s will be discussed at a later session", code=case.code),
            "\n".join([
                _("Case %(code)s was not discussed at %(board)s, session %(number)d.",
                  code=case.code, board=session.board.name, number=session.number),
                _("It keeps its precedence and will be placed on the next agenda."),
                case_link(case),
            ]),
        )  # fmt: skip


def session_changed(session: BoardSession, case: Case, user: User) -> None:
    with in_language_of(user):
        enqueue(
            f"session-changed:{session.id}:{session.sequence}:{case.id}:{user.id}",
            "session_changed",
            user,
            _("Case %(code)s: the session changed", code=case.code),
            "\n".join([
                _("%(board)s, session %(number)d, was moved or cancelled.",
                  board=session.board.name, number=session.number),
                _("Case %(code)s keeps its precedence and will be placed again.",
                  code=case.code),
                case_link(case),
            ]),
        )  # fmt: skip


DIGEST_LINES = 200


def cases_at_risk(
    board: Board,
    flags: list[tuple[str, FlagReason, str | None]],
    coordinator: User,
    now: datetime,
) -> None:
    """One digest per board and run listing the newly flagged cases (codes only)."""
    from telemed.sessions.labels import FLAG_LABELS

    if not flags:
        return
    codes = sorted({code for code, _reason, _detail in flags})
    with in_language_of(coordinator):
        if len(codes) == 1:
            subject = _("Case %(code)s cannot be discussed in time", code=codes[0])
        else:
            subject = ngettext(
                "%(num)d case cannot be discussed in time",
                "%(num)d cases cannot be discussed in time",
                len(codes),
            )
        lines = [_("%(board)s:", board=board.name)]
        for code, reason, detail in flags[:DIGEST_LINES]:
            lines.append(f"- {code}: {FLAG_LABELS[reason]}" + (f" ({detail})" if detail else ""))
        if len(flags) > DIGEST_LINES:
            lines.append(_("… and %(num)d more.", num=len(flags) - DIGEST_LINES))
        lines += ["", _("Open your dashboard to create an extraordinary session: %(url)s",
                        url=f"{current_app.config['BASE_URL']}/boards/dashboard")]  # fmt: skip
        enqueue(
            f"flags:{board.id}:{now.isoformat()}",
            "scheduling_flag",
            coordinator,
            subject,
            "\n".join(lines),
        )
