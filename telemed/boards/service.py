"""Board operations: coordinators create and edit boards and their membership.

Also the read helpers the board pages need (which sessions a user may see, the cases a
coordinator may place) and thin wrappers that parse session times typed in forms.
"""

from __future__ import annotations

from typing import Any

from dateutil.rrule import rrulestr
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from telemed.audit import service as audit
from telemed.auth.models import Role, User
from telemed.boards.models import Board, BoardMember, BoardSpecialty
from telemed.boards.schemas import BoardInputSchema, MemberInputSchema, MemberRoleSchema
from telemed.boards.signals import membership_changed
from telemed.core.errors import Forbidden, InputError, NotFound
from telemed.core.schemas import load_or_raise
from telemed.core.vocabulary import SPECIALTY_LABELS
from telemed.extensions import db

# Columns the board form sets directly (specialties are synchronised separately).
BOARD_FIELDS = (
    "name", "kind", "coordinator_id", "timezone", "rrule", "dtstart", "duration_minutes",
    "minutes_per_case", "cutoff_days_before", "cutoff_time", "room_url_pattern",
    "quorum_disciplines", "active", "public_feed", "required_material",
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
    member = db.session.get(BoardMember, member_id)
    if member is None or member.board_id != board.id:
        raise NotFound("member not found")
    return member


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
