"""Preparation before a session, where tumour boards elsewhere fail most.

From the agenda's cut-off until the session is held, the board's members and coordinators
open every case on the agenda, leave notes for the board and questions for the referring
doctor, and members mark the cases they have reviewed. The referring doctors of the case's
centre read the questions (never the notes) on the case page and answer them; an answer can
be corrected until the session is held, then it is part of the record.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select

from telemed.audit import service as audit
from telemed.auth.models import User
from telemed.boards.models import Board, SessionKind
from telemed.cases.access import is_case_centre_doctor, visible_cases
from telemed.cases.models import Case, CaseStatus
from telemed.cases.service import add_event
from telemed.core.clock import now_utc
from telemed.core.errors import Forbidden, InvalidTransition, NotFound
from telemed.core.schemas import load_or_raise
from telemed.core.sql import insert
from telemed.core.vocabulary import MaterialKind
from telemed.extensions import db
from telemed.preparation import material, notices
from telemed.preparation.access import can_mark_reviewed, can_read_board_notes
from telemed.preparation.models import CaseReviewMark, NoteKind, PreparationNote
from telemed.preparation.schemas import AnswerInputSchema, NoteInputSchema, QuestionInputSchema
from telemed.sessions.access import can_run_session, require_runner
from telemed.sessions.agenda import pending_item
from telemed.sessions.models import AgendaItem, BoardSession, SessionStatus

UPCOMING = (SessionStatus.PLANNED, SessionStatus.AGENDA_CLOSED)
# Cases that can still be completed before the board discusses them.
FLAGGED_STATUSES = (
    CaseStatus.DRAFT, CaseStatus.SUBMITTED, CaseStatus.RETURNED, CaseStatus.RESUBMITTED,
    CaseStatus.ACCEPTED, CaseStatus.SCHEDULED,
)  # fmt: skip


# --- when ------------------------------------------------------------------------------


def session_over(session: BoardSession) -> bool:
    """Held (or ended in the room) or cancelled: its preparation is the record now."""
    return session.status not in UPCOMING or session.ended_at is not None


def preparation_started(session: BoardSession) -> bool:
    """The agenda is frozen at the cut-off (the closing job may run a minute later)."""
    return session.status is SessionStatus.AGENDA_CLOSED or session.cutoff_at <= now_utc()


def preparation_open(session: BoardSession) -> bool:
    return (
        session.kind is SessionKind.CASE_REVIEW
        and preparation_started(session)
        and not session_over(session)
    )


def require_open(session: BoardSession) -> None:
    if session.kind is not SessionKind.CASE_REVIEW:
        raise InvalidTransition(_("Only case-review sessions are prepared."))
    if session_over(session):
        raise InvalidTransition(_("This session is over: its preparation is closed."))
    if not preparation_started(session):
        raise InvalidTransition(
            _(
                "Preparation opens when the agenda closes (at the cut-off); until then the "
                "agenda can still change."
            )
        )


def can_prepare(user: User, session: BoardSession) -> bool:
    """Members and coordinators prepare; the page itself opens at the cut-off."""
    return session.kind is SessionKind.CASE_REVIEW and can_run_session(user, session)


# --- what ------------------------------------------------------------------------------


def agenda_entry(session: BoardSession, case_id: int) -> AgendaItem:
    """The case's entry on this session's agenda (404 when the case is not on it)."""
    item = next((item for item in session.agenda if item.case_id == case_id), None)
    if item is None:
        raise NotFound("case not on this agenda")
    return item


def add_note(
    actor: User, session: BoardSession, case_id: int, data: dict[str, Any]
) -> PreparationNote:
    """A note for the board, or a question the referring doctor is emailed about."""
    require_runner(actor, session)
    item = agenda_entry(session, case_id)
    require_open(session)
    values = load_or_raise(NoteInputSchema(), data)
    case = item.case
    note = PreparationNote(
        case_id=case.id, session_id=session.id, author_id=actor.id, kind=values["kind"],
        text=values["text"], created_at=now_utc(),
    )  # fmt: skip
    db.session.add(note)
    db.session.flush()
    question = note.kind is NoteKind.QUESTION
    audit.record(
        actor, "preparation.question_add" if question else "preparation.note_add", "case",
        case.id, code=case.code, session=session.number, note=note.id,
    )  # fmt: skip
    if question:
        add_event(case, actor, "question", None, None, item.agenda_code)
        notices.question_asked(note, item, case.submitted_by)
    db.session.flush()
    return note


def ask_question(actor: User, case: Case, data: dict[str, Any]) -> PreparationNote:
    """A question for the session the case is on (the API's way; the pages name the session)."""
    values = load_or_raise(QuestionInputSchema(), data)
    item = current_item(case)
    if item is None:
        raise InvalidTransition(_("This case is not on an agenda being prepared."))
    return add_note(actor, item.session, case.id, {"kind": NoteKind.QUESTION.value, **values})


def list_questions(actor: User, case: Case) -> list[PreparationNote]:
    """The questions on a case the actor sees (the read is audited)."""
    questions = notes_of(case.id, NoteKind.QUESTION)
    audit.record(actor, "preparation.questions_view", "case", case.id, code=case.code)
    db.session.flush()
    return questions


def get_question(user: User, note_id: int) -> PreparationNote:
    """A question on a case the user sees (notes are never found this way)."""
    note = db.session.scalar(
        select(PreparationNote)
        .join(Case, Case.id == PreparationNote.case_id)
        .where(
            PreparationNote.id == note_id,
            PreparationNote.kind == NoteKind.QUESTION,
            Case.id.in_(visible_cases(user).with_only_columns(Case.id)),
        )
    )
    if note is None:
        raise NotFound("question not found")
    return note


def note_session(note: PreparationNote) -> BoardSession | None:
    return db.session.get(BoardSession, note.session_id) if note.session_id else None


def answerable(note: PreparationNote, session: BoardSession | None) -> bool:
    """Answers can be given and corrected until the session the question was for is over."""
    return note.kind is NoteKind.QUESTION and (session is None or not session_over(session))


def answer_question(actor: User, note: PreparationNote, data: dict[str, Any]) -> PreparationNote:
    """The referring doctors of the case's centre answer; the member who asked is emailed."""
    case = note.case
    if not is_case_centre_doctor(actor, case):
        raise Forbidden(_("Only the referring doctors of this case's centre answer its questions."))
    session = note_session(note)
    if not answerable(note, session):
        raise InvalidTransition(_("The session is over: this answer can no longer be changed."))
    values = load_or_raise(AnswerInputSchema(), data)
    first = note.answer is None
    if not first and values["answer"] == note.answer:
        return note
    note.answer = values["answer"]
    note.answered_by_id = actor.id
    note.answered_at = now_utc()
    audit.record(
        actor, "preparation.answer" if first else "preparation.answer_edit", "case", case.id,
        code=case.code, note=note.id,
    )  # fmt: skip
    if first:
        code = agenda_code_of(note, session)
        add_event(case, actor, "answer", None, None, code)
        notices.question_answered(note, case, session)
    db.session.flush()
    return note


def agenda_code_of(note: PreparationNote, session: BoardSession | None) -> str | None:
    if session is None:
        return None
    item = next((item for item in session.items if item.case_id == note.case_id), None)
    return item.agenda_code if item is not None else None


def insert_ignoring_duplicates(values: dict[str, Any]) -> bool:
    """One review mark per member, session and case, even when two clicks race."""
    statement = insert(CaseReviewMark).values(**values)
    result = db.session.execute(
        statement.on_conflict_do_nothing(
            index_elements=["session_id", "case_id", "user_id"]
        ).returning(CaseReviewMark.id)
    )
    return result.first() is not None


def mark_reviewed(actor: User, session: BoardSession, case_id: int) -> bool:
    """Record "I have reviewed this case": idempotent; returns whether this call did it."""
    require_runner(actor, session)
    item = agenda_entry(session, case_id)
    if not can_mark_reviewed(actor, session):
        raise Forbidden(_("Only the board's members mark cases as reviewed."))
    require_open(session)
    recorded = insert_ignoring_duplicates(
        {"session_id": session.id, "case_id": case_id, "user_id": actor.id, "at": now_utc()}
    )
    if recorded:
        add_event(item.case, actor, "reviewed", None, None, item.agenda_code)
        audit.record(actor, "preparation.reviewed", "case", case_id, code=item.case.code,
                     session=session.number)  # fmt: skip
    db.session.flush()
    return recorded


def record_view(actor: User, session: BoardSession) -> None:
    """The preparation page lists the agenda's cases: its reads are audited."""
    audit.record(actor, "preparation.view", "session", session.id, number=session.number)
    db.session.flush()


# --- reading ---------------------------------------------------------------------------


def review_marks(session_id: int, case_ids: list[int]) -> dict[int, list[CaseReviewMark]]:
    marks: dict[int, list[CaseReviewMark]] = defaultdict(list)
    if not case_ids:
        return marks
    for mark in db.session.scalars(
        select(CaseReviewMark)
        .where(CaseReviewMark.session_id == session_id, CaseReviewMark.case_id.in_(case_ids))
        .order_by(CaseReviewMark.at, CaseReviewMark.id)
    ):
        marks[mark.case_id].append(mark)
    return marks


def notes_of(case_id: int, kind: NoteKind) -> list[PreparationNote]:
    return list(
        db.session.scalars(
            select(PreparationNote)
            .where(PreparationNote.case_id == case_id, PreparationNote.kind == kind)
            .order_by(PreparationNote.created_at, PreparationNote.id)
        )
    )


def question_counts(session_id: int, case_ids: list[int]) -> dict[int, tuple[int, int]]:
    """``{case id: (open, answered)}`` questions asked for this session."""
    counts: dict[int, tuple[int, int]] = {}
    if not case_ids:
        return counts
    rows = db.session.execute(
        select(
            PreparationNote.case_id,
            func.count().filter(PreparationNote.answer.is_(None)),
            func.count().filter(PreparationNote.answer.is_not(None)),
        )
        .where(
            PreparationNote.session_id == session_id,
            PreparationNote.case_id.in_(case_ids),
            PreparationNote.kind == NoteKind.QUESTION,
        )
        .group_by(PreparationNote.case_id)
    )
    for case_id, open_count, answered in rows:
        counts[case_id] = (open_count, answered)
    return counts


@dataclass
class ItemPreparation:
    """One agenda row: who reviewed it, questions still open, material still missing."""

    item: AgendaItem
    reviewers: list[CaseReviewMark] = field(default_factory=list)
    open_questions: int = 0
    answered_questions: int = 0
    missing: list[MaterialKind] = field(default_factory=list)


def agenda_overview(session: BoardSession) -> dict[int, ItemPreparation]:
    """``{agenda item id: ItemPreparation}`` for the session's agenda, in a few queries."""
    items = session.agenda
    case_ids = [item.case_id for item in items]
    marks = review_marks(session.id, case_ids)
    counts = question_counts(session.id, case_ids)
    gaps = {} if session_over(session) else material.missing_for_items(items)
    return {
        item.id: ItemPreparation(
            item=item,
            reviewers=marks.get(item.case_id, []),
            open_questions=counts.get(item.case_id, (0, 0))[0],
            answered_questions=counts.get(item.case_id, (0, 0))[1],
            missing=gaps.get(item.id, []),
        )
        for item in items
    }


def current_item(case: Case) -> AgendaItem | None:
    """The entry of the session the case is being prepared for (the pending one)."""
    return pending_item(case.id)


@dataclass
class CasePreparation:
    """What a case page (or a review panel) shows about the case's preparation, for one
    viewer: the material flag, the questions and answers, the board's notes (members and
    staff only), who reviewed it, and which forms to offer."""

    case: Case
    item: AgendaItem | None
    board: Board | None
    required: list[MaterialKind]
    missing: list[MaterialKind]
    cutoff_at: datetime | None
    cutoff_passed: bool
    questions: list[PreparationNote]
    answerable_ids: set[int]
    notes: list[PreparationNote]
    reviewers: list[CaseReviewMark]
    can_answer: bool
    can_prepare: bool
    can_mark: bool
    marked: bool
    opens_at: datetime | None

    @property
    def has_anything(self) -> bool:
        return bool(
            self.required or self.questions or self.notes or self.reviewers or self.can_prepare
            or self.opens_at
        )  # fmt: skip


def case_preparation(user: User, case: Case, item: AgendaItem | None = None) -> CasePreparation:
    """The case's preparation as ``user`` may see it; ``item`` defaults to its pending entry."""
    item = item if item is not None else current_item(case)
    session = item.session if item is not None else None
    board = material.board_for_case(case, item)
    required = material.required_material(case, board) if board is not None else []
    missing = material.missing_material(case, board) if board is not None else []
    questions = notes_of(case.id, NoteKind.QUESTION)
    # Keyed so that a question asked outside any session (``session_id`` None) finds none.
    sessions: dict[int | None, BoardSession] = {s.id: s for s in sessions_of(questions)}
    answerable_ids = {q.id for q in questions if answerable(q, sessions.get(q.session_id))}
    runner = session is not None and can_prepare(user, session)
    open_now = session is not None and preparation_open(session)
    reviewers = review_marks(session.id, [case.id]).get(case.id, []) if session else []
    marked = any(mark.user_id == user.id for mark in reviewers)
    member = session is not None and can_mark_reviewed(user, session)
    return CasePreparation(
        case=case,
        item=item,
        board=board,
        required=required,
        missing=missing if case.status in FLAGGED_STATUSES else [],
        cutoff_at=session.cutoff_at if session is not None else None,
        cutoff_passed=session is not None and preparation_started(session),
        questions=questions,
        answerable_ids=answerable_ids,
        notes=notes_of(case.id, NoteKind.NOTE) if can_read_board_notes(user, case) else [],
        reviewers=reviewers,
        can_answer=is_case_centre_doctor(user, case),
        can_prepare=runner and open_now,
        can_mark=runner and open_now and member and not marked,
        marked=marked,
        opens_at=session.cutoff_at
        if runner and session is not None and not preparation_started(session)
        else None,
    )


def sessions_of(notes: list[PreparationNote]) -> list[BoardSession]:
    ids = {note.session_id for note in notes if note.session_id is not None}
    if not ids:
        return []
    return list(db.session.scalars(select(BoardSession).where(BoardSession.id.in_(ids))))


def agenda_rows(session: BoardSession) -> list[ItemPreparation]:
    """The preparation page: every case on the agenda, in agenda order."""
    overview = agenda_overview(session)
    return [overview[item.id] for item in session.agenda]
