"""The discrete-event loop: the application's clock jumps from one event to the next (a
case sent, accepted, a late upload, a coordinator's extraordinary session, a scheduler job,
a meeting and each of its decisions), and every event runs the real services or the real
job of ``telemed.schedule``, each in its own unit of work as a request or the scheduler
would. Nothing is decided here that the application decides itself."""

from __future__ import annotations

import heapq
import itertools
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from enum import IntEnum
from typing import Any
from zoneinfo import ZoneInfo

from dateutil.rrule import rrulestr
from flask import Flask, current_app
from sqlalchemy import select

from telemed.auth.models import User
from telemed.boards.models import Board, SessionKind
from telemed.cases import service as cases
from telemed.cases.models import Case, CaseEvent, CaseStatus, Urgency
from telemed.core.clock import Clock, now_utc
from telemed.core.errors import DomainError
from telemed.core.transaction import unit_of_work
from telemed.core.vocabulary import MaterialKind, RequestKind
from telemed.extensions import db
from telemed.preparation import material
from telemed.referrals import service as referrals
from telemed.referrals.models import TransplantType
from telemed.room import service as room
from telemed.room.models import RecommendationCategory
from telemed.sessions import agenda, working_days
from telemed.sessions import service as sessions
from telemed.sessions.assignment import URGENT_WITHIN, open_sessions
from telemed.sessions.models import (
    UPCOMING,
    AgendaItem,
    BoardSession,
    DeferralReason,
    FlagReason,
    SchedulingFlag,
)
from telemed.simulation.arrivals import NETWORK_ZONE, Arrival, working_delay
from telemed.simulation.model import Parameters
from telemed.simulation.network import Network
from telemed.synthetic import vocab
from telemed.synthetic.generate import Weighted

# A one-page PDF: what a doctor's upload is made of here (checked as a real upload is).
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
EMAIL_JOBS = ("sync_invites", "read_calendar_replies", "check_quorum", "send_reminders",
              "deliver_outbox")  # fmt: skip
LATEST_EXTRA = time(20, 0)  # a coordinator opens no extraordinary session later in the day
CATEGORIES = {kind: Weighted(weights) for kind, weights in vocab.CATEGORIES.items()}
TRANSPLANTS = Weighted(vocab.TRANSPLANT_WEIGHTS)


class Rank(IntEnum):
    """Order of events due at the same moment."""

    GENERATE = 0
    ARRIVAL = 1
    ACCEPT = 2
    UPLOAD = 3
    EXTRA = 4
    JOB = 5
    HOLD = 6
    DECIDE = 7
    END = 8


@dataclass(order=True)
class Event:
    at: datetime
    rank: int
    seq: int
    kind: str = field(compare=False)
    payload: Any = field(compare=False, default=None)


@dataclass
class Tally:
    """What the loop itself counts (the rest is read from the database afterwards)."""

    events: int = 0
    jobs: dict[str, int] = field(default_factory=dict)
    extraordinary_opened: int = 0
    extraordinary_refused: int = 0
    referrals: int = 0
    late_uploads: int = 0


def tick(moment: datetime, every: timedelta) -> datetime:
    """The first run of a job with period ``every`` at or after ``moment``."""
    epoch = datetime(2000, 1, 1, tzinfo=UTC)
    steps = -((epoch - moment) // every)  # ceiling division of timedeltas
    return epoch + steps * every


class Engine:
    """One run: holds the queue of events and the clock it moves."""

    def __init__(self, app: Flask, params: Parameters, network: Network,
                 arrivals: list[Arrival]) -> None:  # fmt: skip
        self.app = app
        self.params = params
        self.network = network
        self.arrivals = arrivals
        self.clock: Clock = app.extensions["telemed.clock"]
        self.queue: list[Event] = []
        self.seq = itertools.count()
        self.queued_jobs: set[tuple[str, datetime]] = set()
        self.watched: dict[int, datetime] = {}
        self.flags_seen: set[int] = set()
        self.uploading: set[int] = set()
        self.plans: dict[int, Arrival] = {}  # case id -> how its people behave
        self.tally = Tally()
        self.end = datetime.combine(params.end + timedelta(days=1), time(), NETWORK_ZONE)

    # --- the queue ------------------------------------------------------------------

    def job(self, name: str) -> Any:
        """The entry of ``telemed.schedule.JOBS`` called ``name`` (through the app: the
        schedule runs the planner, which runs this engine)."""
        return self.app.extensions["telemed.jobs"](name)

    def at(self, moment: datetime, rank: Rank, kind: str, payload: Any = None) -> None:
        heapq.heappush(self.queue, Event(moment, int(rank), next(self.seq), kind, payload))

    def job_at(self, name: str, moment: datetime) -> None:
        """The job's first run at or after ``moment`` on its own cadence (once per tick)."""
        due = tick(moment, self.job(name).every(current_app.config))
        if (name, due) not in self.queued_jobs:
            self.queued_jobs.add((name, due))
            self.at(due, Rank.GENERATE if name == "generate_sessions" else Rank.JOB, "job", name)

    def job_soon(self, name: str) -> None:
        self.job_at(name, now_utc() + timedelta(seconds=1))

    # --- the run --------------------------------------------------------------------

    def run(self) -> Tally:
        for arrival in self.arrivals:
            self.at(arrival.at, Rank.ARRIVAL, "arrival", arrival)
        for n in range(self.params.days):
            day = self.params.start + timedelta(days=n)
            midnight = datetime.combine(day, time(0, 30), NETWORK_ZONE)
            self.job_at("generate_sessions", midnight)
            if day.day == 1:
                self.job_at("refresh_figures", midnight)
            if not self.params.skip_email:
                for name in EMAIL_JOBS:
                    self.job_at(name, datetime.combine(day, time(7, 0), NETWORK_ZONE))
        while self.queue and self.queue[0].at < self.end:
            event = heapq.heappop(self.queue)
            self.clock.set(event.at)
            self.tally.events += 1
            getattr(self, f"on_{event.kind}")(event.payload)
        self.clock.set(self.end)
        for name in ("close_agendas", "finish_sessions", "refresh_figures"):
            self.on_job(name)
        return self.tally

    # --- the people -----------------------------------------------------------------

    def user(self, user_id: int) -> User:
        user = db.session.get(User, user_id)
        assert user is not None
        return user

    @property
    def coordinator(self) -> User:
        return self.user(self.network.coordinator_id)

    def on_arrival(self, arrival: Arrival) -> None:
        """The centre's doctor sends the case with the material they have."""
        with unit_of_work():
            doctor = self.user(self.network.doctors[arrival.centre_code])
            case = cases.create_case(doctor, case_form(arrival), submit=True)
            board = material.board_for_case(case)
            needed = material.required_material(case, board) if board else []
            have = needed[:-1] if arrival.incomplete else needed
            for kind in have:
                upload(doctor, case, kind)
            self.plans[case.id] = arrival
            case_id = case.id
        accept = working_delay(arrival.at, arrival.accept_after.total_seconds() / 3600)
        self.at(accept, Rank.ACCEPT, "accept", case_id)

    def on_accept(self, case_id: int) -> None:
        with unit_of_work():
            cases.transition(self.coordinator, self.case(case_id), "accept")
        self.job_soon("assign_cases")

    def on_upload(self, case_id: int) -> None:
        """The doctor uploads what the board still asks for."""
        self.uploading.discard(case_id)
        with unit_of_work():
            case = self.case(case_id)
            board = material.board_for_case(case, agenda.pending_item(case_id))
            if board is None or case.status not in cases.OPEN_STATUSES:
                return
            doctor = case.submitted_by
            for kind in material.missing_material(case, board):
                upload(doctor, case, kind)
                self.tally.late_uploads += 1

    def plan_upload(self, case_id: int) -> None:
        plan = self.plans.get(case_id)
        if plan is not None and case_id not in self.uploading:
            self.uploading.add(case_id)
            self.at(now_utc() + plan.upload_after, Rank.UPLOAD, "upload", case_id)

    def case(self, case_id: int) -> Case:
        case = db.session.get(Case, case_id)
        assert case is not None
        return case

    # --- the scheduler's jobs -------------------------------------------------------

    def on_job(self, name: str) -> None:
        self.queued_jobs.discard((name, now_utc()))
        with unit_of_work():
            result = self.job(name).run()
        self.tally.jobs[name] = self.tally.jobs.get(name, 0) + 1
        if name == "generate_sessions":
            self.watch_sessions()
            if result:
                self.job_soon("assign_cases")
        elif name == "assign_cases":
            self.job_soon("flag_missing_material")
            self.urgent_flags()
        elif name == "flag_missing_material" and result:
            self.flagged_doctors()
        elif name == "finish_sessions" and result:
            self.job_soon("assign_cases")

    def watch_sessions(self) -> None:
        """Put each coming case-review session's cut-off, meeting and end on the queue (a
        moved one again at its new time; the old events find it moved and do nothing)."""
        rows = db.session.execute(
            select(BoardSession.id, BoardSession.starts_at, BoardSession.cutoff_at,
                   BoardSession.ends_at)
            .where(BoardSession.status.in_(UPCOMING), BoardSession.ends_at > now_utc(),
                   BoardSession.kind == SessionKind.CASE_REVIEW)
        ).all()  # fmt: skip
        for session_id, starts_at, cutoff_at, ends_at in rows:
            if self.watched.get(session_id) == starts_at:
                continue
            self.watched[session_id] = starts_at
            self.job_at("close_agendas", max(cutoff_at, now_utc()))
            self.at(starts_at, Rank.HOLD, "hold", (session_id, starts_at))
            self.job_at("finish_sessions", ends_at)

    def flagged_doctors(self) -> None:
        """Doctors told just now that material is missing: those who will, upload it."""
        told = db.session.scalars(
            select(CaseEvent.case_id).where(
                CaseEvent.kind == "material_missing", CaseEvent.at >= now_utc()
            )
        ).all()
        for case_id in set(told):
            plan = self.plans.get(case_id)
            if plan is not None and plan.uploads_late:
                self.plan_upload(case_id)

    def urgent_flags(self) -> None:
        """Urgent cases the board cannot discuss within 72 h: the coordinator will act."""
        if not self.params.extraordinary:
            return
        flags = db.session.scalars(
            select(SchedulingFlag.id)
            .join(Case, Case.id == SchedulingFlag.case_id)
            .where(
                SchedulingFlag.resolved_at.is_(None),
                SchedulingFlag.reason.in_((FlagReason.URGENT_72H, FlagReason.NO_SESSION)),
                Case.urgency == Urgency.URGENT,
            )
        ).all()
        for flag_id in flags:
            if flag_id not in self.flags_seen:
                self.flags_seen.add(flag_id)
                react = now_utc() + timedelta(hours=self.params.react_hours)
                self.at(react, Rank.EXTRA, "extra", flag_id)

    # --- the coordinator's extraordinary session ------------------------------------

    def on_extra(self, flag_id: int) -> None:
        """As a coordinator would: an open session of the board within the 72 h, else a new
        extraordinary one (``schedule_extraordinary``), and the case placed on it."""
        try:
            with unit_of_work():
                flag = db.session.get(SchedulingFlag, flag_id)
                if flag is None or flag.resolved_at is not None:
                    return
                case = flag.case
                if case.status not in (CaseStatus.ACCEPTED, CaseStatus.SCHEDULED):
                    return
                actor = self.coordinator
                target = open_session_before(flag.board, case)
                if target is None:
                    start = extraordinary_start(flag.board, now_utc())
                    target = sessions.schedule_extraordinary(
                        actor, flag.board, {"starts_at_local": start.isoformat(timespec="minutes")}
                    )
                    self.tally.extraordinary_opened += 1
                agenda.place_by_hand(actor, case, target)
        except DomainError:
            self.tally.extraordinary_refused += 1
        self.watch_sessions()
        self.job_soon("flag_missing_material")

    # --- the meeting ----------------------------------------------------------------

    def on_hold(self, payload: tuple[int, datetime]) -> None:
        """The meeting starts: one decision every ``minutes_per_case`` in agenda order."""
        session_id, starts_at = payload
        with unit_of_work():
            session = db.session.get(BoardSession, session_id)
            if session is None or session.status not in UPCOMING:
                return
            if session.starts_at != starts_at or not session.pending_items:
                return
            room.start_session(self.coordinator, session)
            count, step = len(session.pending_items), session.board.minutes_per_case
            # Only a full agenda can run out of time (a meeting of two cases never does).
            full = count >= session.capacity
        for n in range(1, count + 1):
            moment = starts_at + timedelta(minutes=step * n)
            self.at(moment, Rank.DECIDE, "decide", (session_id, full))
        self.at(starts_at + timedelta(minutes=step * count), Rank.END, "end", session_id)

    def on_decide(self, payload: tuple[int, bool]) -> None:
        session_id, full = payload
        with unit_of_work():
            session = db.session.get(BoardSession, session_id)
            if session is None or session.ended_at is not None or not session.pending_items:
                return
            item = min(session.pending_items, key=lambda i: (i.position, i.id))
            rng = random.Random(f"{self.params.seed}:{session_id}:{item.case_id}")
            data, why = self.outcome(item, rng, full)
            recommendation = room.record_outcome(self.coordinator, item, data)
            if (
                recommendation is not None
                and item.case.request_kind is (RequestKind.TRANSPLANT_EVALUATION)
                and recommendation.category is RecommendationCategory.REFERRAL
            ):
                self.refer_to_hito(recommendation, rng)
            case_id = item.case_id
        if why is DeferralReason.MISSING_MATERIAL:
            self.plan_upload(case_id)  # told in the meeting, the doctor sends it

    def outcome(
        self, item: AgendaItem, rng: random.Random, full: bool
    ) -> tuple[dict[str, Any], Any]:
        """Discussed, or deferred with its reason, with the configured chances (lack of
        time on a full agenda only)."""
        p = self.params
        lacking = material.missing_material(item.case, item.session.board)
        why = None
        if lacking and rng.random() < p.defer_missing_material:
            why = DeferralReason.MISSING_MATERIAL
        elif rng.random() < p.defer_no_time and full:
            why = DeferralReason.NO_TIME
        elif rng.random() < p.defer_other:
            why = DeferralReason.OTHER
        if why is not None:
            return {"outcome": "deferred", "deferral_reason": why.value,
                    "reason": "Simulación"}, why  # fmt: skip
        kind = item.case.request_kind or RequestKind.OTHER
        category: RecommendationCategory = CATEGORIES[kind].pick(rng)
        return {"outcome": "discussed", "category": category.value,
                "text": vocab.RECOMMENDATION_TEXTS[category],
                "responsible": "Centro referente"}, None  # fmt: skip

    def refer_to_hito(self, recommendation: Any, rng: random.Random) -> None:
        transplant: TransplantType = TRANSPLANTS.pick(rng)
        referrals.create_referral(self.coordinator, recommendation, {
            "needs": ["has_transplant_unit"], "transplant_type": transplant.value,
            "to_centre_id": self.network.hito_id, "reason": "Evaluación para trasplante.",
            "send": True,
        })  # fmt: skip
        self.tally.referrals += 1

    def on_end(self, session_id: int) -> None:
        with unit_of_work():
            session = db.session.get(BoardSession, session_id)
            if session is None or session.ended_at is not None or session.started_at is None:
                return
            room.end_session(self.coordinator, session)
        self.job_soon("finish_sessions")


def case_form(arrival: Arrival) -> dict[str, Any]:
    """The case form as the doctor fills it (a synthetic record number, never a person)."""
    urgent = arrival.urgency is Urgency.URGENT
    return {
        "patient_reference": f"SIM-{arrival.at:%y%m%d%H%M}",
        "age_years": arrival.age_years, "sex": arrival.sex.value,
        "icd10_code": arrival.icd10, "diagnosis_text": arrival.diagnosis,
        "question": vocab.QUESTIONS[arrival.request_kind],
        "request_kind": arrival.request_kind.value, "urgency": arrival.urgency.value,
        "urgency_justification": "Deterioro clínico; decisión en 72 horas." if urgent else None,
        "specialty": arrival.specialty.value,
    }  # fmt: skip


def upload(doctor: User, case: Case, kind: MaterialKind) -> None:
    cases.add_attachments(doctor, case, [(f"{kind.value}.pdf", PDF)], kind.value)


def open_session_before(board: Board, case: Case) -> BoardSession | None:
    """A session of the board with room, taking cases, within the case's 72 hours."""
    if case.submitted_at is None:
        return None
    deadline = case.submitted_at + URGENT_WITHIN
    current = agenda.pending_item(case.id)
    for session in open_sessions(board, now_utc()):
        if session.starts_at <= deadline and (current is None or current.session_id != session.id):
            return session
    return None


def extraordinary_start(board: Board, now: datetime) -> datetime:
    """When a coordinator would call the board: today at its usual hour (or within two hours
    if that has passed, before 20:00), else the next working day at its usual hour."""
    zone = ZoneInfo(board.timezone)
    usual = rrulestr(board.rrule, dtstart=board.dtstart)[0].time()
    local = now.astimezone(zone).replace(tzinfo=None)
    day = local.date()
    soonest = (local + timedelta(hours=2)).replace(minute=0, second=0, microsecond=0)
    if day.weekday() < working_days.SATURDAY and not working_days.is_closed_day(board, day):
        today = max(datetime.combine(day, usual), soonest)
        if today.date() == day and today.time() <= LATEST_EXTRA:
            return today
    while True:
        day += timedelta(days=1)
        if day.weekday() < working_days.SATURDAY and not working_days.is_closed_day(board, day):
            return datetime.combine(day, usual)
