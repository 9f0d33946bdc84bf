"""Who asks, for which period and filters: the SQL conditions every figure shares.

A coordinator's scope is their boards; an administrator's the whole network. Period
boundaries are taken on each board's clock (boards are grouped by time zone, so the
common case of one zone is a plain range over an indexed column).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, and_, bindparam, false, or_, select, true
from sqlalchemy.orm import InstrumentedAttribute, joinedload

from telemed.auth.models import Role, User
from telemed.boards.models import Board, BoardSpecialty
from telemed.centres.models import Centre
from telemed.core.clock import now_utc
from telemed.core.errors import Forbidden, InputError
from telemed.core.schemas import MAX_ID
from telemed.core.vocabulary import Specialty
from telemed.extensions import db
from telemed.reports.period import Period, month_edges, parse_period


@dataclass(frozen=True)
class ZoneGroup:
    """Boards sharing a time zone; ``unrouted`` marks the network's default zone, which
    also takes whatever has no board (a case of an unrouted specialty, a loose referral)."""

    zone: str
    board_ids: tuple[int, ...]
    specialties: tuple[Specialty, ...]
    unrouted: bool


@dataclass(frozen=True)
class Scope:
    period: Period
    boards: tuple[Board, ...]  # boards in scope (after the board filter)
    board_filter: int | None
    centre_ids: tuple[int, ...] | None  # None: no centre/state filter
    centre: int | None
    state: str | None
    whole_network: bool  # administrators without a board filter
    default_zone: str
    today: date
    groups: tuple[ZoneGroup, ...] = field(default=())
    # Read long tables whole (CSV downloads), not just the rows a page shows.
    full: bool = False

    def limited(self, query: Any, rows: int) -> Any:
        return query if self.full else query.limit(rows)

    # --- membership -------------------------------------------------------------------

    @property
    def board_ids(self) -> tuple[int, ...]:
        return tuple(board.id for board in self.boards)

    @property
    def chart_zone(self) -> str:
        """Charts bucket months on one clock: the board's if one is chosen."""
        return self.boards[0].timezone if self.board_filter else self.default_zone

    def months(self, first_moment: datetime | None) -> tuple[list[date], list[datetime]]:
        """Chart months covering the period; for all time from ``first_moment`` (the
        earliest record shown) to today."""
        first = self.period.first
        if first is None and first_moment is not None:
            first = first_moment.astimezone(ZoneInfo(self.chart_zone)).date()
        last = self.period.last or self.today
        if first is None or first > last:
            return [], []
        return month_edges(first, last, self.chart_zone)

    def by_board(self, board_id: Any, moment: Any | None = None) -> ColumnElement[bool]:
        """Rows belonging to the scope's boards (and, for the network, to none), with
        ``moment`` in the period on that board's clock."""
        return self._windowed(moment, lambda group: self._board_member(board_id, group))

    def by_specialty(self, specialty: Any, moment: Any | None = None) -> ColumnElement[bool]:
        """Cases routed (by specialty) to the scope's boards, ``moment`` in the period."""
        return self._windowed(moment, lambda group: self._specialty_member(specialty, group))

    def by_centre(self, centre_id: InstrumentedAttribute[int]) -> ColumnElement[bool]:
        if self.centre_ids is None:
            return true()
        return centre_id.in_(self.centre_ids)

    def _windowed(self, moment: Any, member: Any) -> ColumnElement[bool]:
        members = or_(false(), *(member(group) for group in self.groups))
        if moment is None:
            return members
        if self.period.is_all_time:
            return and_(members, moment.is_not(None))  # e.g. never accepted: not counted
        if len(self.groups) == 1:
            return and_(member(self.groups[0]), self._in_period(moment, self.groups[0].zone))
        return or_(
            false(),
            *(and_(member(g), self._in_period(moment, g.zone)) for g in self.groups),
        )

    def _in_period(self, moment: Any, zone: str) -> ColumnElement[bool]:
        start, end = self.period.bounds(zone)
        return and_(moment >= start, moment < end)

    def _board_member(self, board_id: Any, group: ZoneGroup) -> ColumnElement[bool]:
        if self.whole_network and len(self.groups) == 1:
            return true()
        return board_member(board_id, group)

    def _specialty_member(self, specialty: Any, group: ZoneGroup) -> ColumnElement[bool]:
        if self.whole_network and len(self.groups) == 1:
            return true()
        return specialty_member(specialty, group)

    # --- links ------------------------------------------------------------------------

    def query_args(self) -> dict[str, str]:
        """The filters as query arguments (CSV links and tabs repeat them)."""
        args = self.period.query_args()
        if self.board_filter:
            args["board"] = str(self.board_filter)
        if self.centre:
            args["centre"] = str(self.centre)
        if self.state:
            args["state"] = self.state
        return args


def board_member(board_id: Any, group: ZoneGroup) -> ColumnElement[bool]:
    """Rows of the group's boards (and, on the default clock, rows of no board)."""
    member = board_id.in_(group.board_ids) if group.board_ids else false()
    return or_(member, board_id.is_(None)) if group.unrouted else member


def specialty_member(specialty: Any, group: ZoneGroup) -> ColumnElement[bool]:
    """Cases routed to the group's boards (and, on the default clock, unrouted ones)."""
    member = specialty.in_(group.specialties) if group.specialties else false()
    if not group.unrouted:
        return member
    routed = db.session.scalars(select(BoardSpecialty.specialty)).all()
    return or_(member, specialty.is_(None), specialty.not_in(routed) if routed else true())


# Every figures request reads the reader's boards: the statements are built once (the
# eager load's options made building one cost more than running it; bench/README.md).
# Their specialties come with them: the scope's clock groups route cases by specialty.
ALL_BOARDS = select(Board).options(joinedload(Board.specialties)).order_by(Board.name)
COORDINATED_BOARDS = ALL_BOARDS.where(Board.coordinator_id == bindparam("coordinator_id"))


def visible_boards(actor: User) -> list[Board]:
    """Administrators: every board; coordinators: the boards they coordinate."""
    if actor.role is Role.ADMIN:
        return list(db.session.scalars(ALL_BOARDS).unique())
    if actor.role is Role.COORDINATOR:
        return list(db.session.scalars(COORDINATED_BOARDS, {"coordinator_id": actor.id}).unique())
    raise Forbidden(str(_l("Only administrators and coordinators see the network's figures.")))


def build_scope(actor: User, args: Mapping[str, str], *, full: bool = False) -> Scope:
    """Check the filters against what ``actor`` may see; bad input names its field."""
    boards = visible_boards(actor)
    default_zone = current_app.config["BABEL_DEFAULT_TIMEZONE"]
    today = now_utc().astimezone(zone_of(boards, args, default_zone)).date()
    period = parse_period(dict(args), today)
    board_filter = parse_id(args, "board")
    if board_filter is not None:
        boards = [board for board in boards if board.id == board_filter]
        if not boards:
            raise InputError({"board": [str(_l("Choose one of the boards in the list."))]})
    centre = parse_id(args, "centre")
    state = (args.get("state") or "").strip() or None
    if state is not None and "\x00" in state:  # no state has one; PostgreSQL refuses it
        raise InputError({"state": [str(_l("Choose an option from the list."))]})
    centre_ids = centres_matching(centre, state)
    whole_network = actor.role is Role.ADMIN and board_filter is None
    return Scope(
        period=period, boards=tuple(boards), board_filter=board_filter,
        centre_ids=centre_ids, centre=centre, state=state, whole_network=whole_network,
        default_zone=default_zone, today=today,
        groups=zone_groups(boards, default_zone, unrouted=whole_network), full=full,
    )  # fmt: skip


def zone_of(boards: list[Board], args: Mapping[str, str], default_zone: str) -> Any:
    """ "This month" is decided on the chosen board's clock, else the network's."""
    chosen = {str(board.id): board.timezone for board in boards}.get(args.get("board") or "")
    return ZoneInfo(chosen or default_zone)


def parse_id(args: Mapping[str, str], name: str) -> int | None:
    raw = (args.get(name) or "").strip()
    if not raw:
        return None
    # ASCII digits only ("²" is a digit to ``isdigit`` but not to ``int``), and no larger than
    # an id can be: a longer number names nothing and would overflow in the database.
    if not (raw.isascii() and raw.isdigit()) or int(raw) > MAX_ID:
        raise InputError({name: [str(_l("Choose an option from the list."))]})
    return int(raw)


def centres_matching(centre: int | None, state: str | None) -> tuple[int, ...] | None:
    if centre is None and state is None:
        return None
    query = select(Centre.id)
    if centre is not None:
        query = query.where(Centre.id == centre)
    if state is not None:
        query = query.where(Centre.state == state)
    ids = tuple(db.session.scalars(query))
    if not ids:
        field_name = "centre" if centre is not None else "state"
        raise InputError({field_name: [str(_l("Choose an option from the list."))]})
    return ids


def zone_groups(boards: list[Board], default_zone: str, *, unrouted: bool) -> tuple[ZoneGroup, ...]:
    by_zone: dict[str, list[Board]] = {}
    for board in boards:
        by_zone.setdefault(board.timezone, []).append(board)
    if unrouted:
        by_zone.setdefault(default_zone, [])
    return tuple(
        ZoneGroup(
            zone=zone,
            board_ids=tuple(board.id for board in members),
            specialties=tuple(s for board in members for s in board.specialty_values),
            unrouted=unrouted and zone == default_zone,
        )
        for zone, members in sorted(by_zone.items())
    )
