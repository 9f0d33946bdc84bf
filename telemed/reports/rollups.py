"""Monthly roll-ups: each family's grouped counts per closed month, built from the same
definitions the live queries use, so a period reads whole months from ``stats_rollups``
and only its ragged edges (and the current month) live.

Correctness first: a month is rolled up only once it is closed everywhere (three days
after its end, so "72 hours have passed" no longer changes), and any change touching a
closed month's data deletes that month's roll-ups in the same transaction (the flush
listener below); the next read rebuilds it. Bulk writers call ``forget_all``.

"All time" reads ``stats_rollup_totals``: every rolled-up month of a clock summed once
(a tenth of the monthly rows), summed again when a month closes and forgotten with any
month. Families marked ``centre_totals`` are also counted there by centre (too many groups
per month, few over all time), so "all time" under a centre filter reads them too.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Hashable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any, TypeAlias, TypeVar
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import (
    Date,
    and_,
    case,
    delete,
    event,
    func,
    insert,
    literal,
    or_,
    select,
    true,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, attributes

from telemed.agreements.models import Agreement
from telemed.boards.models import Board, BoardSpecialty
from telemed.cases.models import Case
from telemed.core.clock import now_utc
from telemed.extensions import db
from telemed.referrals.models import Referral
from telemed.reports import version
from telemed.reports.families import FAMILIES, Family
from telemed.reports.fingerprint import definitions_fingerprint
from telemed.reports.models import (
    StatsRollup,
    StatsRollupMonth,
    StatsRollupTotal,
    StatsRollupTotals,
)
from telemed.reports.period import Period, month_edges, month_range, next_month
from telemed.reports.scope import Scope, ZoneGroup, board_member, specialty_member, zone_groups
from telemed.room.models import Attendance, Recommendation
from telemed.sessions.models import AgendaItem, BoardSession

# A month is closed three days after it ends on every clock (the 72-hour share settles).
SETTLED_AFTER = timedelta(days=3)
ONE_DAY = timedelta(days=1)

# A family's groups: (board id or 0, centre id or 0, k1, k2, k3) -> rows (or their sum).
Groups: TypeAlias = Counter[tuple[Any, ...]]
T = TypeVar("T")


# --- reading ----------------------------------------------------------------------------


_memo: ContextVar[dict[Hashable, Any] | None] = ContextVar("report_groups", default=None)


@contextmanager
def one_computation() -> Iterator[None]:
    """Within one view, a family is read once however many tables use it."""
    token = _memo.set({})
    try:
        yield
    finally:
        _memo.reset(token)


def remembered(key: Hashable, compute: Callable[[], T]) -> T:
    """``compute()`` once per view computation (outside one, every time)."""
    memo = _memo.get()
    if memo is None:
        return compute()
    if key not in memo:
        memo[key] = compute()
    value: T = memo[key]  # what ``compute`` returned for this key
    return value


def grouped(name: str, scope: Scope) -> Groups:
    """``name``'s groups for ``scope``: roll-ups for its whole closed months, live for the
    rest. Keys are (board id or 0, centre id or 0, k1, k2, k3)."""
    return remembered((name, scope), lambda: compute_groups(name, scope))


def compute_groups(name: str, scope: Scope) -> Groups:
    family = FAMILIES[name]
    if scope.centre_ids is not None and family.centre_mode == "live":
        if not (family.centre_totals and scope.period.first is None):
            return live(family, scope)
        family = by_centre(family)  # all time: its totals are kept by centre
    months, windows = split(scope)
    counts: Groups = Counter()
    if months:
        ensure_built(months)
        if scope.period.first is None:  # all time: every closed month, summed once
            ensure_totals(months)
            counts.update(read(family, scope, None))
        else:
            counts.update(read(family, scope, months))
    for window in windows:
        counts.update(live(family, replace(scope, period=window)))
    return counts


def grouped_by_month(name: str, scope: Scope) -> dict[date, Groups]:
    """Like ``grouped``, per month (rolled-up months on each board's clock; the live part
    on the chart's clock)."""
    family = FAMILIES[name]
    months: list[date]
    windows: list[Period]
    if scope.centre_ids is not None and family.centre_mode == "live":
        months, windows = [], [scope.period]
    else:
        months, windows = split(scope)
    per_month: dict[date, Groups] = defaultdict(Counter)
    if months:
        ensure_built(months)
        r = StatsRollup
        query = read_query(family, scope, months).add_columns(r.month)
        query = query.group_by(r.month)
        for row in db.session.execute(query):
            per_month[row[6]][tuple(row[:5])] += int(row[5] or 0)
    for window in windows:
        first_moment = None
        if window.first is None:
            first_moment = db.session.scalar(
                family.source().add_columns(func.min(family.anchor()))
                .where(in_scope(family, replace(scope, period=window)))
            )  # fmt: skip
        labels, edges = replace(scope, period=window).months(first_moment)
        if not labels:
            continue
        columns = (board_of(family), *dims(family))
        query = monthly_query(
            family, labels, edges, kept(family, columns), grouping(family, columns),
            in_scope(family, replace(scope, period=window)),
        )  # fmt: skip
        for row in db.session.execute(query):
            per_month[row[6]][tuple(row[:5])] += int(row[5] or 0)
    return dict(per_month)


def chart_months(scope: Scope, per_month: dict[date, Groups]) -> list[date]:
    """The months a chart shows: the period's (all time: from the first with data), up to
    this month — never empty future months that would read as a drop to zero."""
    last = min(scope.period.last or scope.today, scope.today)
    first = scope.period.first or (min(per_month) if per_month else None)
    return month_range(first, last) if first and first <= last else []


def split(scope: Scope) -> tuple[list[date], list[Period]]:
    """Whole closed months inside the period, and the windows left to compute live."""
    cut = closed_before()
    period = scope.period
    horizon = scope.today + timedelta(days=400)
    if period.first is None or period.last is None:
        earliest = earliest_month()
        if earliest is None or earliest >= cut:
            return [], [period]
        months = month_range(earliest, cut - timedelta(days=1))
        return months, [Period("custom", cut, horizon)]
    months = [
        month
        for month in month_range(period.first, period.last)
        if month >= period.first and next_month(month) - timedelta(days=1) <= period.last
        and month < cut
    ]  # fmt: skip
    if not months:
        return [], [period]
    windows = []
    if period.first < months[0]:
        windows.append(Period("custom", period.first, months[0] - timedelta(days=1)))
    after = next_month(months[-1])
    if after <= period.last:
        windows.append(Period("custom", after, period.last))
    return months, windows


def read(family: Family, scope: Scope, months: list[date] | None) -> Groups:
    query = read_query(family, scope, months)
    return Counter({tuple(row[:5]): int(row[5] or 0) for row in db.session.execute(query)})


def read_query(family: Family, scope: Scope, months: list[date] | None) -> Any:
    """``family``'s groups over ``months`` of roll-ups, or over the totals (``None``)."""
    r: Any = StatsRollupTotal if months is None else StatsRollup
    query = select(*kept(family, (r.board_id, r.centre_id, r.k1, r.k2, r.k3)), func.sum(r.n))
    query = query.where(r.family == family.name)
    if months is not None:
        query = query.where(r.month.between(min(months), max(months)))
    if not scope.whole_network:
        query = query.where(r.board_id.in_(scope.board_ids))
    if scope.centre_ids is not None:
        if family.centre_mode == "centre":
            query = query.where(r.centre_id.in_(scope.centre_ids))
        elif family.centre_mode == "unit":
            query = query.where(r.k1.in_(centre_names(scope.centre_ids)))
    return query.group_by(*grouping(family, (r.board_id, r.centre_id, r.k1, r.k2, r.k3)))


def kept(family: Family, columns: tuple[Any, ...]) -> list[Any]:
    """The key columns a figure reads, and constants in place of the rest."""
    blanks = (literal(0), literal(0), literal(""), literal(""), literal(0))
    return [column if i in family.reads else blanks[i] for i, column in enumerate(columns)]


def grouping(family: Family, columns: tuple[Any, ...]) -> list[Any]:
    return [column for i, column in enumerate(columns) if i in family.reads]


def live(family: Family, scope: Scope) -> Groups:
    columns = (board_of(family), *dims(family))
    query = family.source().add_columns(*kept(family, columns), family.value())
    query = query.where(in_scope(family, scope)).group_by(*grouping(family, columns))
    return Counter({tuple(row[:5]): int(row[5] or 0) for row in db.session.execute(query)})


def dims(family: Family) -> tuple[Any, ...]:
    centre_of = family.centre if family.centre_mode == "centre" else None
    centre = centre_of() if centre_of is not None else literal(0)
    return (centre, *family.keys())


def in_scope(family: Family, scope: Scope) -> Any:
    anchor = family.anchor()
    if family.routing == "specialty":
        member = scope.by_specialty(Case.specialty, anchor)
    elif family.routing == "referral":
        member = scope.by_board(Referral.board_id, anchor)
    else:
        member = scope.by_board(BoardSession.board_id, anchor)
    return and_(member, centre_condition(family, scope))


def centre_condition(family: Family, scope: Scope) -> Any:
    if scope.centre_ids is None or family.centre_mode == "ignore":
        return true()
    if family.centre_mode == "unit":
        return Attendance.unit.in_(centre_names(scope.centre_ids))
    if family.centre is not None:
        return family.centre().in_(scope.centre_ids)
    return true()


def centre_names(centre_ids: Iterable[int]) -> list[str]:
    from telemed.centres.models import Centre

    return list(db.session.scalars(select(Centre.name).where(Centre.id.in_(tuple(centre_ids)))))


def board_of(family: Family) -> Any:
    if family.routing == "session":
        return BoardSession.board_id
    if family.routing == "referral":
        return func.coalesce(Referral.board_id, 0)
    routes = remembered("routes", lambda: db.session.execute(
        select(BoardSpecialty.specialty, BoardSpecialty.board_id)).all())  # fmt: skip
    if not routes:
        return literal(0)
    return case(*((Case.specialty == specialty, board) for specialty, board in routes), else_=0)


# --- months -----------------------------------------------------------------------------


def zones() -> tuple[ZoneGroup, ...]:
    """Every board's clock, and the network's default one (it also takes unrouted rows)."""
    return remembered("zones", lambda: zone_groups(
        list(db.session.scalars(select(Board))), current_app.config["BABEL_DEFAULT_TIMEZONE"],
        unrouted=True,
    ))  # fmt: skip


def closed_before() -> date:
    """First month not yet closed on some clock; earlier months may be rolled up."""
    settled = now_utc() - SETTLED_AFTER
    days = (settled.astimezone(ZoneInfo(group.zone)).date() for group in zones())
    return min(days).replace(day=1)


def earliest_month() -> date | None:
    return remembered("earliest", read_earliest_month)


def read_earliest_month() -> date | None:
    firsts: list[datetime | None] = [
        db.session.scalar(select(func.min(Case.submitted_at))),
        db.session.scalar(select(func.min(BoardSession.starts_at))),
    ]
    moments = [moment for moment in firsts if moment is not None]
    if not moments:
        return None
    # The earliest clock is 14 h behind UTC at most; a month earlier covers every zone.
    return (min(moments) - timedelta(hours=14)).date().replace(day=1)


# --- building ---------------------------------------------------------------------------


def ensure_built(months: list[date]) -> None:
    """Build the months not rolled up yet, on every clock (one transaction savepoint per
    clock: a concurrent builder's rows win, ours are rolled back)."""
    remembered("fresh", forget_stale)
    for group in zones():
        built = set(
            db.session.scalars(
                select(StatsRollupMonth.month).where(
                    StatsRollupMonth.zone == group.zone, StatsRollupMonth.month.in_(months)
                )
            )
        )
        missing = [month for month in months if month not in built]
        if missing:
            build_once(build, group, missing)


def build_once(builder: Callable[[ZoneGroup, list[date]], None], *args: Any) -> None:
    """Run ``builder``, which claims its rows first (a unique key), so that of two
    concurrent builders one wins: on PostgreSQL in a savepoint, where the loser's rows are
    rolled back; SQLite has one writer at a time (and pysqlite's savepoints are unreliable)."""
    if db.engine.dialect.name != "postgresql":
        builder(*args)
        return
    try:
        with db.session.begin_nested():
            builder(*args)
    except IntegrityError:
        pass  # another request built them meanwhile


def build(group: ZoneGroup, months: list[date]) -> None:
    stamp = definitions_fingerprint(db.engine.dialect)
    db.session.add_all(
        StatsRollupMonth(zone=group.zone, month=month, definitions=stamp) for month in months
    )
    db.session.flush()  # claims the months first: a concurrent build fails here
    db.session.execute(
        delete(StatsRollup).where(StatsRollup.zone == group.zone, StatsRollup.month.in_(months))
    )
    for run in contiguous(months):
        labels, edges = month_edges(run[0], run[-1], group.zone)
        for family in FAMILIES.values():
            insert_family(family, group, labels, edges)


def ensure_totals(months: list[date]) -> None:
    """Sum ``months`` (rolled up, contiguous) once per clock into the totals "all time"
    reads; rebuilt when a month closes or a rolled-up month is forgotten."""
    first, through = months[0], next_month(months[-1])
    t = StatsRollupTotals
    for group in zones():
        mark = db.session.execute(
            select(t.first_month, t.through).where(t.zone == group.zone)
        ).first()
        if mark is None or tuple(mark) != (first, through):
            build_once(build_totals, group, months)


def build_totals(group: ZoneGroup, months: list[date]) -> None:
    zone, first, through = group.zone, months[0], next_month(months[-1])
    db.session.execute(delete(StatsRollupTotals).where(StatsRollupTotals.zone == zone))
    db.session.execute(delete(StatsRollupTotal).where(StatsRollupTotal.zone == zone))
    db.session.add(StatsRollupTotals(zone=zone, first_month=first, through=through))
    db.session.flush()  # claims the zone first: a concurrent build fails here
    r = StatsRollup
    keys = (r.family, r.zone, r.board_id, r.centre_id, r.k1, r.k2, r.k3)
    query = (
        select(*keys, func.sum(r.n))
        .where(r.zone == zone, r.month >= first, r.month < through)
        .group_by(*keys)
    )
    names = ["family", "zone", "board_id", "centre_id", "k1", "k2", "k3", "n"]
    db.session.execute(insert(StatsRollupTotal).from_select(names, query))
    _, edges = month_edges(first, months[-1], zone)
    for family in FAMILIES.values():
        if family.centre_totals:
            insert_centre_totals(by_centre(family), group, edges[0], edges[-1])


def by_centre(family: Family) -> Family:
    """``family`` keyed by centre, under its own name (only the totals keep it)."""
    return replace(family, name=f"{family.name}@centre", centre_mode="centre")


def insert_centre_totals(family: Family, group: ZoneGroup, start: datetime, end: datetime) -> None:
    """Count a by-centre family's rows of every rolled-up month at once, from its source
    (it has no monthly roll-ups to sum)."""
    anchor = family.anchor()
    columns = (board_of(family), *dims(family))
    query = (
        family.source()
        .add_columns(*columns, family.value(), literal(family.name), literal(group.zone))
        .where(anchor >= start, anchor < end, zone_member(family, group))
        .group_by(*columns)
    )
    names = ["board_id", "centre_id", "k1", "k2", "k3", "n", "family", "zone"]
    db.session.execute(insert(StatsRollupTotal).from_select(names, query))


def insert_family(
    family: Family, group: ZoneGroup, labels: list[date], edges: list[datetime]
) -> None:
    columns = (board_of(family), *dims(family))
    query = monthly_query(
        family, labels, edges, columns, columns, zone_member(family, group)
    ).add_columns(literal(family.name), literal(group.zone))
    names = ["board_id", "centre_id", "k1", "k2", "k3", "n", "month", "family", "zone"]
    db.session.execute(insert(StatsRollup).from_select(names, query))


def monthly_query(
    family: Family, labels: list[date], edges: list[datetime], columns: Any, group_by: Any,
    condition: Any,
) -> Any:  # fmt: skip
    """``columns``, the family's value and the month, per month inside ``edges`` — the
    same query builds the roll-ups and answers a chart's live months."""
    anchor = family.anchor()
    month = month_of(anchor, labels, edges)
    return (
        family.source()
        .add_columns(*columns, family.value(), month)
        .where(anchor >= edges[0], anchor < edges[-1], condition)
        .group_by(month, *group_by)
    )


def month_of(moment: Any, labels: list[date], edges: list[datetime]) -> Any:
    """The month (first day) ``moment`` falls in: a balanced CASE tree of the edges."""

    def subtree(low: int, high: int) -> Any:
        if high - low == 1:
            return literal(labels[low], Date)
        middle = (low + high) // 2
        return case((moment < edges[middle], subtree(low, middle)), else_=subtree(middle, high))

    return subtree(0, len(labels))


def zone_member(family: Family, group: ZoneGroup) -> Any:
    """Rows of the boards on one clock (the membership a scope uses, for one group)."""
    if family.routing == "specialty":
        return specialty_member(Case.specialty, group)
    board = Referral.board_id if family.routing == "referral" else BoardSession.board_id
    return board_member(board, group)


def contiguous(months: list[date]) -> list[list[date]]:
    runs: list[list[date]] = []
    for month in sorted(months):
        if runs and next_month(runs[-1][-1]) == month:
            runs[-1].append(month)
        else:
            runs.append([month])
    return runs


def refresh() -> int:
    """Roll up every closed month not rolled up yet (the scheduler keeps the dashboard warm
    after changes). Returns the months built."""
    earliest = earliest_month()
    cut = closed_before()
    if earliest is None or earliest >= cut:
        return 0
    months = month_range(earliest, cut - timedelta(days=1))
    forget_stale()  # before counting: a rebuild after a deploy counts as built
    before = db.session.scalar(select(func.count()).select_from(StatsRollupMonth)) or 0
    ensure_built(months)
    ensure_totals(months)
    db.session.flush()
    after = db.session.scalar(select(func.count()).select_from(StatsRollupMonth)) or 0
    return after - before


# --- forgetting -------------------------------------------------------------------------


def forget_all(session: Any = db.session) -> None:
    """After bulk writes that bypass the ORM (synthetic data, imports), or when a board's
    clock or routing changes."""
    version.FIGURES.mark(session)  # what was rolled up may have been wrong: answer anew
    session.execute(delete(StatsRollup))
    session.execute(delete(StatsRollupMonth))
    forget_totals(session)


def forget_totals(session: Any) -> None:
    """Totals sum every rolled-up month: forgetting any month forgets them."""
    session.execute(delete(StatsRollupTotal))
    session.execute(delete(StatsRollupTotals))


def forget_stale() -> None:
    """Drop every roll-up when any was built from other family definitions (a deploy
    changed what a family counts)."""
    current = definitions_fingerprint(db.engine.dialect)
    stale = select(StatsRollupMonth.zone).where(StatsRollupMonth.definitions != current)
    if db.session.scalar(stale.limit(1)) is not None:
        forget_all(db.session)


def never_rolled_up_from() -> date:
    """The latest possible cut: months from it on are never rolled up (nothing to forget)."""
    return (now_utc() - SETTLED_AFTER + ONE_DAY).date().replace(day=1)


def forget_moments(session: Any, moments: Iterable[datetime | None]) -> None:
    months = months_around(moment for moment in moments if moment is not None)
    latest_cut = never_rolled_up_from()
    months = {month for month in months if month < latest_cut}
    if months:
        version.FIGURES.mark(session)
        session.execute(delete(StatsRollup).where(StatsRollup.month.in_(months)))
        session.execute(delete(StatsRollupMonth).where(StatsRollupMonth.month.in_(months)))
        forget_totals(session)


def months_around(moments: Iterable[datetime]) -> set[date]:
    """The months a UTC instant can fall in on any clock (UTC-12 to UTC+14).

    Shifts are whole hours, so only an instant's day and hour matter: the assignment run's
    100,000 cases have a few thousand of those, and date arithmetic on each aware instant
    was a third of the run."""
    found: set[date] = set()
    for day, hour in {(moment.date(), moment.hour) for moment in moments}:
        found.add((day - ONE_DAY if hour < 12 else day).replace(day=1))  # 12 h behind
        found.add((day + ONE_DAY if hour >= 10 else day).replace(day=1))  # 14 h ahead
    return found


def on_cases_changed_in_bulk(_sender: object = None, *, case_ids: list[int], **_: object) -> None:
    """On ``cases_changed_in_bulk`` (the assignment run's UPDATE, which no flush sees)."""
    forget_case_months(case_ids)


def forget_case_months(case_ids: list[int]) -> None:
    """For bulk updates of cases (the assignment run): their roll-up months are stale.
    Only instants that can fall in a month ever rolled up are read (on any clock, up to
    14 hours ahead of UTC): the cases a run schedules are mostly recent."""
    cut = never_rolled_up_from()
    horizon = datetime(cut.year, cut.month, cut.day, tzinfo=UTC) + ONE_DAY
    columns = (Case.submitted_at, Case.accepted_at, Case.first_discussed_at)
    rows = db.session.execute(
        select(*columns).where(
            Case.id.in_(case_ids), or_(*(column < horizon for column in columns))
        )
    )
    forget_moments(db.session, (moment for row in rows for moment in row))


CASE_MOMENTS = ("submitted_at", "accepted_at", "first_discussed_at")


def touched_moments(session: Session) -> tuple[list[datetime | None], bool]:
    """Instants whose months a flush changes, and whether everything must be forgotten
    (a board's clock or routing changed)."""
    moments: list[datetime | None] = []
    everything = False
    for obj in (*session.new, *session.dirty, *session.deleted):
        if obj in session.dirty and not session.is_modified(obj):
            continue
        if isinstance(obj, BoardSpecialty) or (
            isinstance(obj, Board) and attributes.get_history(obj, "timezone").has_changes()
        ):
            everything = True
        elif isinstance(obj, Case):
            moments.extend(values_of(obj, CASE_MOMENTS))
            if attributes.get_history(obj, "first_discussed_at").has_changes() and obj.id:
                # A referral's wait may run from its case's first discussion.
                with session.no_autoflush:
                    moments.extend(session.scalars(
                        select(Referral.completed_at).where(Referral.case_id == obj.id)
                    ))  # fmt: skip
        elif isinstance(obj, BoardSession):
            moments.extend(values_of(obj, ("starts_at",)))
        elif isinstance(obj, Referral):
            moments.extend(values_of(obj, ("completed_at",)))
        elif isinstance(obj, AgendaItem | Attendance | Recommendation | Agreement):
            with session.no_autoflush:
                held = session.get(BoardSession, obj.session_id) if obj.session_id else None
            moments.append(held.starts_at if held else None)
    return moments, everything


def values_of(obj: Any, names: tuple[str, ...]) -> list[datetime | None]:
    found: list[datetime | None] = []
    for name in names:
        history = attributes.get_history(obj, name)
        found.extend([*history.added, *history.unchanged, *history.deleted])
    return found


@event.listens_for(Session, "after_flush")
def forget_touched_months(session: Session, _context: Any) -> None:
    moments, everything = touched_moments(session)
    if everything:
        forget_all(session)
    elif moments:
        forget_moments(session, moments)
