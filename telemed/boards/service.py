"""Board operations: coordinators create and edit boards and their membership.

Also the read helpers the board pages need (which sessions a user may see, the cases a
coordinator may place) and thin wrappers that parse session times typed in forms.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from dateutil.rrule import rrulestr
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from telemed.audit import service as audit
from telemed.auth.models import Role, User
from telemed.boards.holidays import rest_days_between
from telemed.boards.models import Board, BoardDayOff, BoardMember, BoardSpecialty
from telemed.boards.schemas import (
    BoardInputSchema,
    DaysOffInputSchema,
    MemberInputSchema,
    MemberRoleSchema,
)
from telemed.boards.signals import days_off_marked, membership_changed
from telemed.core.clock import now_utc
from telemed.core.errors import Forbidden, InputError, NotFound
from telemed.core.schemas import load_or_raise
from telemed.core.sql import get_within
from telemed.core.vocabulary import SPECIALTY_LABELS
from telemed.extensions import db

# Columns the board form sets directly (specialties are synchronised separately).
BOARD_FIELDS = (
    "name", "kind", "coordinator_id", "timezone", "rrule", "dtstart", "duration_minutes",
    "minutes_per_case", "cutoff_days_before", "cutoff_time", "room_url_pattern",
    "quorum_disciplines", "active", "public_feed", "required_material", "day_off_policy",
)  # fmt: skip


def require_staff(actor: User) -> None:
    if not actor.is_staff:
        raise Forbidden(_("Only coordinators can manage boards."))


def list_boards() -> list[Board]:
    return list(db.session.scalars(select(Board).order_by(Board.active.desc(), Board.name)))


def find_board(board_id: int) -> Board | None:
    return db.session.get(Board, board_id)


def get_board(board_id: int) -> Board:
    board = find_board(board_id)
    if board is None:
        raise NotFound("board not found")
    return board


def coordinators() -> list[User]:
    """People who may coordinate a board."""
    return list(
        db.session.scalars(
            select(User)
            .where(User.role == Role.COORDINATOR, User.active.is_(True))
            .order_by(User.name)
        )
    )


def save_board(actor: User, data: dict[str, Any], board: Board | None = None) -> Board:
    """Create (``board=None``) or update a board; new timing applies to sessions made later."""
    require_staff(actor)
    values = load_or_raise(BoardInputSchema(), data)
    errors: dict[str, list[str]] = {}
    clash = db.session.scalar(select(Board).where(Board.name == values["name"]))
    if clash is not None and clash is not board:
        errors["name"] = [_("Another board already has this name.")]
    coordinator_id = values["coordinator_id"]
    if coordinator_id is not None and coordinator_id not in {u.id for u in coordinators()}:
        errors["coordinator_id"] = [_("Choose one of the coordinators.")]
    taken = db.session.execute(
        select(BoardSpecialty.specialty, Board.name)
        .join(Board, Board.id == BoardSpecialty.board_id)
        .where(BoardSpecialty.specialty.in_(values["specialties"]))
        .where(BoardSpecialty.board_id != (board.id if board is not None else -1))
    ).all()
    if taken:
        errors["specialties"] = [
            _("%(specialty)s already goes to %(board)s.", specialty=str(specialty_label(s)),
              board=name)
            for s, name in taken
        ]  # fmt: skip
    if errors:
        raise InputError(errors)

    creating = board is None
    if board is None:
        board = Board(next_session_number=1)
        db.session.add(board)
    changed = [name for name in BOARD_FIELDS if getattr(board, name, None) != values[name]]
    for name in BOARD_FIELDS:
        setattr(board, name, values[name])
    wanted = values["specialties"]
    if set(board.specialty_values) != set(wanted):
        changed.append("specialties")
    board.specialties = [link for link in board.specialties if link.specialty in wanted]
    kept = set(board.specialty_values)
    board.specialties += [BoardSpecialty(specialty=s) for s in wanted if s not in kept]
    try:
        db.session.flush()
    except IntegrityError:  # another coordinator saved the same name or specialty meanwhile
        raise InputError({"name": [_("Another board changed meanwhile; try again.")]}) from None
    audit.record(
        actor, "board.create" if creating else "board.update", "board", board.id,
        name=board.name, changed=changed,
    )  # fmt: skip
    db.session.flush()
    return board


def form_values(board: Board) -> dict[str, Any]:
    """The board as the form shows it."""
    return {
        "name": board.name,
        "kind": board.kind.value,
        "specialties": [s.value for s in board.specialty_values],
        "coordinator_id": board.coordinator_id or "",
        "timezone": board.timezone,
        "rrule": board.rrule,
        "start_date": board.dtstart.date().isoformat(),
        "start_time": board.dtstart.strftime("%H:%M"),
        "duration_minutes": board.duration_minutes,
        "minutes_per_case": board.minutes_per_case,
        "cutoff_days_before": board.cutoff_days_before,
        "cutoff_time": board.cutoff_time.strftime("%H:%M"),
        "room_url_pattern": board.room_url_pattern,
        "quorum_disciplines": list(board.quorum_disciplines or []),
        "active": board.active,
        "public_feed": board.public_feed,
        "day_off_policy": board.day_off_policy.value,
        "required_material": {k: list(v) for k, v in (board.required_material or {}).items()},
    }


def usual_start(board: Board) -> str:
    """The board's usual local start ("HH:MM"): the rule's, since BYHOUR may override dtstart."""
    try:
        return rrulestr(board.rrule, dtstart=board.dtstart)[0].strftime("%H:%M")
    except (ValueError, TypeError, IndexError):
        return board.dtstart.strftime("%H:%M")


def specialty_label(specialty: Any) -> Any:
    return SPECIALTY_LABELS.get(specialty, specialty)


def member_candidates(board: Board) -> list[User]:
    """Active people not yet on the board."""
    present = select(BoardMember.user_id).where(BoardMember.board_id == board.id)
    return list(
        db.session.scalars(
            select(User).where(User.active.is_(True), User.id.not_in(present)).order_by(User.name)
        )
    )


def get_member(board: Board, member_id: int) -> BoardMember:
    return get_within(BoardMember, member_id, owner="board_id", owner_id=board.id,
                      what="member")  # fmt: skip


def add_member(actor: User, board: Board, data: dict[str, Any]) -> BoardMember:
    """Put a person on the board; the discipline defaults to the person's own."""
    require_staff(actor)
    values = load_or_raise(MemberInputSchema(), data)
    user = db.session.get(User, values["user_id"])
    if user is None or not user.active:
        raise InputError({"user_id": [_("Choose an active user.")]})
    if any(m.user_id == user.id for m in board.members):
        raise InputError({"user_id": [_("This person is already a member.")]})
    member = BoardMember(
        user=user, role=values["role"], discipline=values["discipline"] or user.discipline
    )
    board.members.append(member)  # the loaded board knows its new member at once
    try:
        db.session.flush()
    except IntegrityError:
        raise InputError({"user_id": [_("This person is already a member.")]}) from None
    audit.record(actor, "board.member_add", "board", board.id, user_id=user.id,
                 role=member.role.value)  # fmt: skip
    membership_changed.send(None, board_id=board.id)
    db.session.flush()
    return member


def change_member_role(actor: User, member: BoardMember, data: dict[str, Any]) -> BoardMember:
    require_staff(actor)
    values = load_or_raise(MemberRoleSchema(), data)
    if member.role is not values["role"]:
        audit.record(actor, "board.member_role", "board", member.board_id, user_id=member.user_id,
                     before=member.role.value, after=values["role"].value)  # fmt: skip
        member.role = values["role"]
        membership_changed.send(None, board_id=member.board_id)
        db.session.flush()
    return member


def remove_member(actor: User, member: BoardMember) -> None:
    require_staff(actor)
    audit.record(actor, "board.member_remove", "board", member.board_id, user_id=member.user_id)
    member.board.members.remove(member)  # deleted as an orphan, gone from the loaded board
    membership_changed.send(None, board_id=member.board_id)
    db.session.flush()


# --- days off -----------------------------------------------------------------------------

# How far ahead the board page lists days off and official rest days.
CALENDAR_AHEAD = timedelta(days=366)


def board_today(board: Board) -> date:
    """Today on the board's own calendar (days off are days of its time zone)."""
    return now_utc().astimezone(ZoneInfo(board.timezone)).date()


def may_manage_days_off(user: User, board: Board) -> bool:
    """The board's coordinator and the administrators mark its days off."""
    if not user.is_authenticated:
        return False
    if user.role is Role.ADMIN:
        return True
    return user.role is Role.COORDINATOR and board.coordinator_id == user.id


def require_days_off_manager(actor: User, board: Board) -> None:
    if not may_manage_days_off(actor, board):
        raise Forbidden(_("Only the board's coordinator or an administrator can mark days off."))


def coming_days_off(board: Board) -> list[BoardDayOff]:
    """The board's days off from today on, in order."""
    return list(
        db.session.scalars(
            select(BoardDayOff)
            .where(BoardDayOff.board_id == board.id, BoardDayOff.day >= board_today(board))
            .order_by(BoardDayOff.day)
        )
    )


def coming_rest_days(board: Board, language: str) -> list[tuple[date, str]]:
    """Official rest days of the coming year, named in ``language`` (for the board page)."""
    today = board_today(board)
    return rest_days_between(today, today + CALENDAR_AHEAD, language)


def days_off_between(board_id: int, first: date, last: date) -> set[date]:
    """The board's days off from ``first`` to ``last`` (both included)."""
    return set(
        db.session.scalars(
            select(BoardDayOff.day).where(
                BoardDayOff.board_id == board_id, BoardDayOff.day.between(first, last)
            )
        )
    )


def mark_days_off(actor: User, board: Board, data: dict[str, Any]) -> list[BoardDayOff]:
    """Mark one day or a stretch off (``first``, ``last``, ``reason``). Days already off stay
    as they were; sessions planned on the new ones are moved or cancelled by the sessions
    package, in this transaction, as the board's ``day_off_policy`` says."""
    require_days_off_manager(actor, board)
    values = load_or_raise(DaysOffInputSchema(), data)
    days: list[date] = values["days"]
    if days[0] < board_today(board):
        raise InputError({"first": [_("Choose today or a later day.")]})
    already = days_off_between(board.id, days[0], days[-1])
    new_days = [day for day in days if day not in already]
    if not new_days:
        raise InputError({"first": [_("These days are already marked off.")]})
    marked = [
        BoardDayOff(board_id=board.id, day=day, reason=values["reason"], created_by_id=actor.id,
                    created_at=now_utc())
        for day in new_days
    ]  # fmt: skip
    db.session.add_all(marked)
    try:
        db.session.flush()
    except IntegrityError:  # someone marked the same day meanwhile
        message = _("Someone changed the days off meanwhile; try again.")
        raise InputError({"first": [message]}) from None
    audit.record(actor, "board.days_off_add", "board", board.id,
                 days=[day.isoformat() for day in new_days], reason=values["reason"])  # fmt: skip
    days_off_marked.send(None, board_id=board.id, days=new_days, actor=actor)
    db.session.flush()
    return marked


def get_day_off(board: Board, day_off_id: int) -> BoardDayOff:
    return get_within(BoardDayOff, day_off_id, owner="board_id", owner_id=board.id,
                      what="day off")  # fmt: skip


def remove_day_off(actor: User, day_off: BoardDayOff) -> None:
    """The board meets on that day again: sessions not yet generated for it are generated by
    the next run; sessions cancelled for it stay cancelled (their invitees were told)."""
    require_days_off_manager(actor, day_off.board)
    audit.record(actor, "board.days_off_remove", "board", day_off.board_id,
                 day=day_off.day.isoformat(), reason=day_off.reason)  # fmt: skip
    day_off.board.days_off.remove(day_off)  # deleted as an orphan
    db.session.flush()
