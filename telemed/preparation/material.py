"""The material a board requires for each kind of request, and the cases on coming agendas
that lack it.

A case missing its pathology report (or, for a leukaemia transplant evaluation, its
immunophenotype and minimal residual disease) is flagged before the cut-off, so the
referring doctor completes it instead of the board deferring the case in the meeting.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from telemed.audit import service as audit
from telemed.boards.models import Board, BoardSpecialty, SessionKind
from telemed.cases.models import Attachment, Case
from telemed.cases.service import add_event
from telemed.core import transaction
from telemed.core.clock import now_utc
from telemed.core.vocabulary import MaterialKind
from telemed.extensions import db
from telemed.jobs import checkpoint
from telemed.outbox import service as outbox
from telemed.outbox.models import OutboxMessage
from telemed.preparation import notices
from telemed.sessions.models import AgendaItem, BoardSession, ItemOutcome, SessionStatus

# Sessions still to be held: their agenda entries may still be completed.
UPCOMING = (SessionStatus.PLANNED, SessionStatus.AGENDA_CLOSED)
WATCHLIST_LIMIT = 500
# Agenda entries flagged per statement and commit: large enough that 10,000 entries take a
# few dozen statements, small enough for SQLite's limit on bound parameters.
FLAG_CHUNK = 500


def required_material(case: Case, board: Board) -> list[MaterialKind]:
    """What the board asks for this case's kind of request, in a stable order."""
    if case.request_kind is None:
        return []
    wanted = set((board.required_material or {}).get(case.request_kind.value) or [])
    return [kind for kind in MaterialKind if kind.value in wanted]


def missing_material(case: Case, board: Board) -> list[MaterialKind]:
    """Required material with no attachment of that kind on the case."""
    present = {a.material for a in case.attachments if a.material is not None}
    return [kind for kind in required_material(case, board) if kind not in present]


def materials_of(case_ids: Iterable[int]) -> dict[int, set[MaterialKind]]:
    """The kinds of material attached to each case, in one query."""
    ids = list(set(case_ids))
    present: dict[int, set[MaterialKind]] = {case_id: set() for case_id in ids}
    if not ids:
        return present
    rows = db.session.execute(
        select(Attachment.case_id, Attachment.material)
        .where(Attachment.case_id.in_(ids), Attachment.material.is_not(None))
        .distinct()
    )
    for case_id, material in rows:
        if material is not None:  # the query leaves them out; the column allows them
            present[case_id].add(material)
    return present


def missing_for_items(items: list[AgendaItem]) -> dict[int, list[MaterialKind]]:
    """``{agenda item id: missing material}`` for the entries that lack something."""
    present = materials_of(item.case_id for item in items)
    gaps: dict[int, list[MaterialKind]] = {}
    for item in items:
        needed = required_material(item.case, item.session.board)
        lacking = [kind for kind in needed if kind not in present[item.case_id]]
        if lacking:
            gaps[item.id] = lacking
    return gaps


def board_for_case(case: Case, item: AgendaItem | None = None) -> Board | None:
    """The board that discusses the case: its agenda's, else the one its specialty goes to."""
    if item is not None:
        return item.session.board
    if case.specialty is None:
        return None
    return db.session.scalar(
        select(Board)
        .join(BoardSpecialty, BoardSpecialty.board_id == Board.id)
        .where(BoardSpecialty.specialty == case.specialty)
    )


def upcoming_items(
    now: datetime, *, before_cutoff: bool, limit: int | None = None
) -> list[AgendaItem]:
    """Pending entries of sessions still to be held (only those whose agenda is still open
    with ``before_cutoff``), soonest session first, in agenda order."""
    query = (
        select(AgendaItem)
        .join(BoardSession, BoardSession.id == AgendaItem.session_id)
        .where(
            AgendaItem.outcome == ItemOutcome.PENDING,
            BoardSession.kind == SessionKind.CASE_REVIEW,
        )
        .order_by(BoardSession.starts_at, BoardSession.id, AgendaItem.position)
        .options(selectinload(AgendaItem.session))  # with its board; the case comes joined
    )
    if before_cutoff:
        query = query.where(
            BoardSession.status == SessionStatus.PLANNED, BoardSession.cutoff_at > now
        )
    else:
        query = query.where(BoardSession.status.in_(UPCOMING), BoardSession.ends_at > now)
    if limit is not None:
        query = query.limit(limit)
    return list(db.session.scalars(query))


def dedupe_key(item: AgendaItem) -> str:
    return f"material-missing:{item.session_id}:{item.case_id}"


def event_message(item: AgendaItem, missing: list[MaterialKind]) -> str:
    """Language-neutral (the timeline translates it): ``CE 3.58: pathology_report, imaging``."""
    return f"{item.agenda_code}: {', '.join(kind.value for kind in missing)}"


def flag_missing_material() -> int:
    """Tell each referring doctor what their case on an open agenda still lacks, and by when.

    Once per session and case: the outbox's dedupe key decides, so the email and the
    ``material_missing`` timeline event happen once even if two runs overlap. Nothing is sent
    after the cut-off (the agenda is frozen; the room and the dashboard show the gap).
    Works in chunks of ``FLAG_CHUNK`` entries, a few statements and one commit each (a
    stopping scheduler ends it between two chunks). Returns how many cases were flagged.
    """
    items = upcoming_items(now_utc(), before_cutoff=True)
    gaps = missing_for_items(items)
    # Plain values: each chunk's commit expires the loaded rows, so each chunk loads its own.
    lacking = {item.id: dedupe_key(item) for item in items if item.id in gaps}
    done = queued_before(lacking)
    todo = [item_id for item_id, key in lacking.items() if key not in done]
    flagged = 0
    for start in range(0, len(todo), FLAG_CHUNK):
        if checkpoint.should_stop():  # the chunks flagged so far are kept; the rest wait
            break
        chunk = db.session.scalars(
            select(AgendaItem)
            .where(AgendaItem.id.in_(todo[start : start + FLAG_CHUNK]))
            .order_by(AgendaItem.id)
            .options(selectinload(AgendaItem.session))
        ).all()
        flagged += flag_chunk(list(chunk), gaps)
        transaction.commit_chunk()
    return flagged


def queued_before(keys: dict[int, str]) -> set[str]:
    """Which of these dedupe keys are in the outbox already (a chunk of keys per query)."""
    values = list(keys.values())
    found: set[str] = set()
    for start in range(0, len(values), FLAG_CHUNK):
        found.update(
            db.session.scalars(
                select(OutboxMessage.dedupe_key).where(
                    OutboxMessage.dedupe_key.in_(values[start : start + FLAG_CHUNK])
                )
            )
        )
    return found


def flag_chunk(items: list[AgendaItem], gaps: dict[int, list[MaterialKind]]) -> int:
    """Queue the chunk's emails in one statement; the timeline event and the audit entry go
    with exactly the ones queued by this run (a run that overlaps queues the others)."""
    queued = outbox.enqueue_many(
        [notices.material_missing(item, gaps[item.id], item.case.submitted_by) for item in items]
    )
    for item in items:
        if dedupe_key(item) not in queued:
            continue
        case, missing = item.case, gaps[item.id]
        add_event(case, None, "material_missing", None, None, event_message(item, missing))
        audit.record(
            None, "case.material_missing", "case", case.id, code=case.code,
            session=item.session.number, missing=[kind.value for kind in missing],
        )  # fmt: skip
    db.session.flush()
    return len(queued)


# --- what the pages show --------------------------------------------------------------


@dataclass
class MaterialGap:
    item: AgendaItem
    missing: list[MaterialKind]


@dataclass
class SessionGaps:
    session: BoardSession
    gaps: list[MaterialGap] = field(default_factory=list)

    @property
    def agenda_open(self) -> bool:
        """Still time to upload before the cut-off."""
        return self.session.status is SessionStatus.PLANNED and self.session.cutoff_at > now_utc()


@dataclass
class BoardGaps:
    board: Board
    sessions: list[SessionGaps] = field(default_factory=list)

    @property
    def count(self) -> int:
        return sum(len(entry.gaps) for entry in self.sessions)


def material_watchlist(board_ids: set[int] | None = None) -> list[BoardGaps]:
    """Coming agenda entries with missing material, by board (the board with the soonest gap
    first), each board's sessions soonest first."""
    items = upcoming_items(now_utc(), before_cutoff=False, limit=WATCHLIST_LIMIT * 4)
    if board_ids is not None:
        items = [item for item in items if item.session.board_id in board_ids]
    gaps = missing_for_items(items)
    boards: dict[int, BoardGaps] = {}
    shown = 0
    for item in items:
        if item.id not in gaps or shown >= WATCHLIST_LIMIT:
            continue
        session = item.session
        entry = boards.setdefault(session.board_id, BoardGaps(session.board))
        if not entry.sessions or entry.sessions[-1].session.id != session.id:
            entry.sessions.append(SessionGaps(session))
        entry.sessions[-1].gaps.append(MaterialGap(item, gaps[item.id]))
        shown += 1
    return list(boards.values())
