"""``flask demo generate``: years of synthetic cases and everything that follows from them.

Cases arrive in time order (the rate grows over the years), so chunk after chunk moves
forward in time and only the sessions of the next few weeks stay in memory. Each chunk of
cases is written with its sessions, agenda entries, attendances, recommendations,
referrals and agreements in **one transaction**: a crash keeps the chunks already
committed, each complete and consistent (sequences and session counters included); the
next run appends after them. Ids are computed from ``max(id)``, so nothing needs
RETURNING; PostgreSQL receives the rows by COPY and its sequences are moved past them.
"""

from __future__ import annotations

import json
import math
import random
import secrets
import time as timer
from bisect import bisect
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from dateutil.relativedelta import relativedelta
from dateutil.rrule import rrulestr
from flask_babel import gettext as _
from sqlalchemy import func, select, text
from werkzeug.security import generate_password_hash

from telemed.auth.models import Role, User
from telemed.boards.models import Board, BoardSpecialty, SessionKind
from telemed.cases.models import CaseStatus, Sex, Urgency
from telemed.centres.models import CAPABILITY_FLAGS, Centre, CentreKind
from telemed.core import transaction, versions
from telemed.core.clock import now_utc
from telemed.core.errors import InputError
from telemed.core.vocabulary import RequestKind, Specialty
from telemed.extensions import db
from telemed.referrals.models import ReferralStatus
from telemed.reports import rollups
from telemed.room.models import Adherence, AttendanceRole, RecommendationCategory
from telemed.sessions.models import ItemOutcome
from telemed.sessions.working_days import closed_days
from telemed.synthetic import vocab
from telemed.synthetic.sessions import SESSION_COLUMNS, BoardPlan, Ids, SessionRows, Slot
from telemed.synthetic.writer import Writer

MAX_CASES = 1_000_000
MAX_YEARS = 30
CHUNK = 20_000
GROWTH = 3.0  # cases arrive this many times faster at the end than at the start
HORIZON = timedelta(weeks=8)  # regular sessions are created this far ahead
SYNTHETIC_DOMAIN = "sintetico.telemed.mx"
# Written in this order, so every foreign key points at a row already there.
TABLES = ("board_sessions", "attendances", "cases", "agenda_items", "recommendations",
          "referrals", "agreements")  # fmt: skip

CASE_COLUMNS = (
    "id", "centre_id", "submitted_by_id", "status", "patient_reference", "age_years",
    "age_months", "sex", "icd10_code", "diagnosis_text", "stage", "current_treatment",
    "question", "request_kind", "urgency", "urgency_justification", "high_complexity",
    "specialty", "carry_over", "scheduling_hold", "created_at", "submitted_at", "accepted_at",
    "first_discussed_at", "updated_at",
)  # fmt: skip
ITEM_COLUMNS = (
    "id", "session_id", "case_id", "position", "pinned", "carried_over", "outcome",
    "placed_at", "placed_by_id", "presented_by_id", "decided_at", "deferral_reason",
)  # fmt: skip
ATTENDANCE_COLUMNS = (
    "id", "session_id", "user_id", "name", "unit", "role", "discipline", "present",
    "marked_by_id", "marked_at",
)  # fmt: skip
RECOMMENDATION_COLUMNS = (
    "id", "case_id", "session_id", "agenda_item_id", "category", "text", "consensus",
    "dissent", "responsible", "recorded_by_id", "recorded_at", "adherence",
    "adherence_reason", "adherence_by_id", "adherence_at",
)  # fmt: skip
REFERRAL_COLUMNS = (
    "id", "case_id", "recommendation_id", "board_id", "from_centre_id", "to_centre_id",
    "needs", "transplant_type", "reason", "status", "pending_studies", "scheduled_for",
    "created_by_id", "created_at", "updated_at", "completed_at",
)  # fmt: skip
AGREEMENT_COLUMNS = (
    "id", "board_id", "session_id", "case_id", "text", "owner_id", "owner_unit", "due_date",
    "created_by_id", "created_at", "done_at", "done_by_id", "done_note", "done_session_id",
)  # fmt: skip
COLUMNS = {
    "board_sessions": SESSION_COLUMNS, "attendances": ATTENDANCE_COLUMNS,
    "cases": CASE_COLUMNS, "agenda_items": ITEM_COLUMNS,
    "recommendations": RECOMMENDATION_COLUMNS, "referrals": REFERRAL_COLUMNS,
    "agreements": AGREEMENT_COLUMNS,
}  # fmt: skip


def validate(cases: Any, years: Any) -> tuple[int, int]:
    """Refuse a size the generator is not meant for, before anything is written."""
    errors: dict[str, list[str]] = {}
    if isinstance(cases, bool) or not isinstance(cases, int) or not 1 <= cases <= MAX_CASES:
        errors["cases"] = [_("Give a number of cases from 1 to %(max)s.", max=f"{MAX_CASES:,}")]
    if isinstance(years, bool) or not isinstance(years, int) or not 1 <= years <= MAX_YEARS:
        errors["years"] = [_("Give a number of years from 1 to %(max)s.", max=MAX_YEARS)]
    if errors:
        raise InputError(errors)
    return cases, years


@dataclass
class Summary:
    rows: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


class Weighted:
    """Weighted choice by bisection on cumulative weights (cheaper than random.choices)."""

    def __init__(self, weights: dict[Any, float]) -> None:
        self.items = list(weights)
        total, self.cum = 0.0, []
        for item in self.items:
            total += weights[item]
            self.cum.append(total)
        self.total = total

    def pick(self, rng: random.Random) -> Any:
        return self.items[min(bisect(self.cum, rng.random() * self.total), len(self.items) - 1)]


@dataclass
class Person:
    id: int | None
    name: str
    unit: str
    role: AttendanceRole
    discipline: str | None = None


class Generator:
    """Holds the network (centres, boards, people) and writes chunk after chunk."""

    def __init__(self, cases: int, years: int, seed: int) -> None:
        self.n = cases
        self.rng = random.Random(seed)
        self.now = now_utc().astimezone(UTC).replace(tzinfo=None)
        self.start = self.now - timedelta(days=365.25 * years)
        self.writer = Writer()
        self.ids = Ids({t: self.writer.next_id(t) for t in TABLES})
        self._load_network()
        self.out = SessionRows(self.ids, self._attend)
        self.rows: dict[str, list[tuple[Any, ...]]] = {t: [] for t in TABLES}
        self.planned_touched: set[int] = set()
        self.general_plans: list[Any] = []
        self.last_arrival = self.start

    # --- the network -----------------------------------------------------------------

    def _load_network(self) -> None:
        centres = list(db.session.scalars(select(Centre).where(Centre.active.is_(True))))
        self.centre_name = {c.id: c.name for c in centres}
        senders = [c for c in centres if c.kind is not CentreKind.EXTERNAL_PARTNER]
        self.centres = Weighted({c.id: max(c.paediatric_beds, 10) for c in senders})
        by_code = {c.code: c.id for c in senders}
        big = [by_code[code] for code in ("UMAE-LARAZA", "UMAE-SXXI") if code in by_code]
        self.transplant_senders = Weighted({cid: 1.0 for cid in big}) if big else None
        transplant_units = [c for c in centres if c.has_transplant_unit]
        self.hito = next((c.id for c in transplant_units if c.code == "HITO"), None) or (
            transplant_units[0].id if transplant_units else None
        )
        self.capable: dict[Specialty, list[int]] = {}
        for specialty, needs in vocab.REFERRAL_NEEDS.items():
            self.capable[specialty] = [
                c.id
                for c in senders
                if c.kind in (CentreKind.UMAE, CentreKind.ONCOCREAN)
                and all(getattr(c, flag) for flag in needs if flag in CAPABILITY_FLAGS)
            ]
        self.submitters = self._referring_users(senders)

        boards = list(db.session.scalars(select(Board).where(Board.active.is_(True))))
        case_boards = [b for b in boards if b.kind is SessionKind.CASE_REVIEW]
        if not case_boards:
            raise InputError({"boards": [_("There is no active case-review board.")]})
        horizon = now_utc() + HORIZON
        start = self.start.replace(tzinfo=UTC)
        self.plans = {b.id: BoardPlan(b, start, self.now, horizon, self.rng) for b in case_boards}
        routes = {
            s: b
            for s, b in db.session.execute(
                select(BoardSpecialty.specialty, BoardSpecialty.board_id)
            )
        }
        fallback = self.plans[case_boards[0].id]  # specialties without an active board
        self.route = {s: self.plans.get(routes.get(s, -1), fallback) for s in Specialty}
        self.boards = {b.id: b for b in boards}
        self.staff: dict[int, dict[str, Any]] = {}
        for board in boards:
            members = [
                Person(m.user_id, m.user.name, "Comité", AttendanceRole(m.role.value),
                       m.discipline.value if m.discipline else None)
                for m in board.members
            ]  # fmt: skip
            coordinator = board.coordinator
            chair = next((m.user_id for m in board.members if m.role.value == "chair"), None)
            first = coordinator.id if coordinator else (members[0].id if members else None)
            self.staff[board.id] = {
                "members": members,
                "coordinator": Person(coordinator.id, coordinator.name, "Coordinación",
                                      AttendanceRole.COORDINATOR) if coordinator else None,
                "recorder": chair or first or self._any_user(),
                "placer": first or self._any_user(),
            }  # fmt: skip
        self.general_boards = {
            kind: next((b for b in boards if b.kind is kind), case_boards[0])
            for kind in (SessionKind.TRAINING, SessionKind.KEYNOTE)
        }

    def _any_user(self) -> int:
        user_id: int | None = db.session.scalar(select(func.min(User.id)))
        if user_id is None:  # ``_referring_users`` made one for every sending centre
            raise RuntimeError("no user to record the sessions with")
        return user_id

    def _referring_users(self, senders: list[Centre]) -> dict[int, list[Person]]:
        """One synthetic referring doctor per centre that has none, so every case has one."""
        existing: dict[int, list[Person]] = {}
        for user in db.session.scalars(
            select(User).where(User.role == Role.REFERRING, User.active.is_(True))
        ):
            if user.centre_id is not None:
                unit = self.centre_name.get(user.centre_id, "")
                existing.setdefault(user.centre_id, []).append(
                    Person(user.id, user.name, unit, AttendanceRole.REFERRING)
                )
        missing = [c for c in senders if c.id not in existing]
        if missing:
            unusable = generate_password_hash(secrets.token_urlsafe(24))
            for centre in missing:
                user = User(
                    email=f"referente.{centre.code.lower()}@{SYNTHETIC_DOMAIN}",
                    name=f"Referente {centre.code}", role=Role.REFERRING,
                    centre_id=centre.id, password_hash=unusable,
                )  # fmt: skip
                db.session.add(user)
                db.session.flush()
                existing[centre.id] = [
                    Person(user.id, user.name, centre.name, AttendanceRole.REFERRING)
                ]
        self.referrers = [p for people in existing.values() for p in people]
        return existing

    # --- people at sessions ----------------------------------------------------------

    def _attend(
        self, session_id: int, board_id: int, kind: SessionKind, starts_at: datetime
    ) -> None:
        rng = self.rng
        staff = self.staff[board_id]
        people: list[Person] = list(staff["members"])
        if staff["coordinator"] and staff["coordinator"].id not in {p.id for p in people}:
            people.append(staff["coordinator"])
        wanted = rng.randint(6, 12) if kind is SessionKind.CASE_REVIEW else rng.randint(15, 40)
        taken = {p.id for p in people}
        for person in rng.sample(self.referrers, min(len(self.referrers), rng.randint(1, 4))):
            if person.id not in taken and len(people) < wanted:
                people.append(person)
                taken.add(person.id)
        while len(people) < wanted:
            people.append(Person(
                None, f"Dr. {rng.choice(vocab.FIRST_NAMES)} {rng.choice(vocab.SURNAMES)}",
                self.centre_name[self.centres.pick(rng)], AttendanceRole.GUEST,
                rng.choice(vocab.GUEST_DISCIPLINES),
            ))  # fmt: skip
        marker = staff["placer"]
        for person in people:
            self.rows["attendances"].append((
                self.ids.take("attendances"), session_id, person.id, person.name[:120],
                person.unit[:200], person.role.value, person.discipline, True, marker,
                starts_at + timedelta(minutes=5),
            ))  # fmt: skip

    # --- training and keynote sessions -----------------------------------------------

    def general_sessions(self) -> None:
        """About ten of each a year, on the board of that kind (or any board if none)."""
        for kind, topics in ((SessionKind.TRAINING, vocab.TRAINING_TOPICS),
                             (SessionKind.KEYNOTE, vocab.KEYNOTE_TOPICS)):  # fmt: skip
            board = self.general_boards[kind]
            own = board.kind is kind
            plan: Any = self.plans.get(board.id)
            if plan is None:
                plan = BoardPlan.__new__(BoardPlan)
                plan.__dict__.update(_general_plan(board, self.now))
                self.general_plans.append(plan)
            existing = _existing_keys(board.id) if own else set()
            rule = rrulestr(
                board.rrule if own else "FREQ=MONTHLY;BYDAY=1FR;BYHOUR=13;BYMINUTE=0",
                dtstart=board.dtstart - relativedelta(years=40),
            )
            local_from = self.start.replace(tzinfo=UTC).astimezone(plan.zone).replace(tzinfo=None)
            local_to = (now_utc() + HORIZON).astimezone(plan.zone).replace(tzinfo=None)
            closed = closed_days(board, local_from.date(), local_to.date())
            for n, local in enumerate(rule.between(local_from, local_to, inc=True)):
                if local.month in (7, 12):  # holidays: about ten a year
                    continue
                if local.date() in closed:  # a rest day or the board's day off
                    continue
                key = local.isoformat(timespec="minutes") if own else None
                if key in existing:
                    continue
                speaker = (
                    f"Dr. {self.rng.choice(vocab.FIRST_NAMES)} {self.rng.choice(vocab.SURNAMES)}"
                )
                self.out.add(plan, local, key, cancelled=False, kind=kind,
                             topic=topics[n % len(topics)], speaker=speaker)  # fmt: skip

    # --- cases -------------------------------------------------------------------------

    def arrival(self, i: int) -> datetime:
        """Stratified arrival times under a linearly growing rate (monotonic in ``i``)."""
        u = (i + self.rng.random()) / self.n
        a, b = 1.0, GROWTH - 1.0
        t = (-a + math.sqrt(a * a + 2 * b * u * (a + b / 2))) / b
        return self.start + (self.now - self.start) * t

    def chunk(self, first: int, last: int) -> None:
        for i in range(first, last):
            self.case(i)

    def case(self, i: int) -> None:
        rng = self.rng
        case_id = self.ids.take("cases")
        specialty: Specialty = SPECIALTIES.pick(rng)
        kind: RequestKind = KINDS[specialty].pick(rng)
        urgency: Urgency = URGENCIES.pick(rng)
        if specialty is Specialty.TRANSPLANT and self.transplant_senders and rng.random() < 0.7:
            centre_id = self.transplant_senders.pick(rng)
        else:
            centre_id = self.centres.pick(rng)
        submitter = rng.choice(self.submitters[centre_id])
        icd, diagnosis = rng.choice(vocab.DIAGNOSES[specialty])
        submitted = self.last_arrival = self.arrival(i)
        created = submitted - timedelta(hours=rng.uniform(0, 48))
        accepted: datetime | None = submitted + timedelta(
            hours=min(120.0, max(1.0, rng.lognormvariate(math.log(18), 0.9)))
        )
        plan = self.route[specialty]
        status = CaseStatus.SUBMITTED
        first_discussed: datetime | None = None
        updated = submitted
        if accepted is not None and accepted > self.now:
            accepted = None
        if accepted is not None:
            status, first_discussed, updated = self.discuss(
                case_id, plan, specialty, kind, urgency, accepted, submitter, centre_id
            )
        self.rows["cases"].append((
            case_id, centre_id, submitter.id, status.value, f"SYN-{case_id:07d}",
            rng.randint(0, 17), rng.randint(0, 11), SEXES.pick(rng).value, icd, diagnosis,
            None, None, vocab.QUESTIONS[kind], kind.value, urgency.value,
            _JUSTIFICATION if urgency is Urgency.URGENT else None,
            rng.random() < 0.60, specialty.value, 0, False, created, submitted, accepted,
            first_discussed, max(updated, submitted),
        ))  # fmt: skip

    def target_date(self, plan: BoardPlan, urgency: Urgency, accepted: datetime) -> date | None:
        rng = self.rng
        day = plan.local_date(accepted)
        if urgency is Urgency.URGENT:
            target = day + timedelta(days=1 if rng.random() < 0.6 else rng.randint(2, 5))
            if target in plan.closed or (target in plan.regular_local and target in plan.cancelled):
                return plan.next_open(target)
            return target
        low, high = (2, 7) if urgency is Urgency.PRIORITY else (7, 28)
        return plan.next_open(day + timedelta(days=rng.randint(low, high)))

    def discuss(
        self, case_id: int, plan: BoardPlan, specialty: Specialty, kind: RequestKind,
        urgency: Urgency, accepted: datetime, submitter: Person, centre_id: int,
    ) -> tuple[CaseStatus, datetime | None, datetime]:  # fmt: skip
        """Agenda entries, outcome and follow-up of one accepted case."""
        rng = self.rng
        day = self.target_date(plan, urgency, accepted)
        if day is None:
            return CaseStatus.ACCEPTED, None, accepted
        slot = plan.place(day, self.out)
        if not slot.held:
            if slot.starts_at - self.now > timedelta(days=7) and rng.random() < 0.3:
                slot.count -= 1  # not placed yet: the coordinator has still to do it
                return CaseStatus.ACCEPTED, None, accepted
            self.item(slot, case_id, ItemOutcome.PENDING, accepted, None, False)
            return CaseStatus.SCHEDULED, None, accepted
        if rng.random() < 0.01:
            slot.count -= 1
            return CaseStatus.WITHDRAWN, None, slot.starts_at - timedelta(days=1)
        carried = False
        if rng.random() < 0.05:  # deferred first, discussed at a later meeting
            decided = slot.starts_at + timedelta(minutes=10 * slot.count)
            self.item(slot, case_id, ItemOutcome.DEFERRED, accepted, submitter, False,
                      decided=decided, reason=DEFERRALS.pick(rng).value)  # fmt: skip
            later = plan.next_open(plan.local_date(slot.starts_at) + timedelta(days=7))
            if later is None:
                return CaseStatus.ACCEPTED, None, decided
            slot = plan.place(later, self.out)
            if not slot.held:
                self.item(slot, case_id, ItemOutcome.PENDING, decided, None, True)
                return CaseStatus.SCHEDULED, None, decided
            accepted, carried = decided, True
        decided = slot.starts_at + timedelta(minutes=10 * slot.count)
        item_id = self.item(slot, case_id, ItemOutcome.DISCUSSED, accepted, submitter, carried,
                            decided=decided)  # fmt: skip
        self.outcome(case_id, plan, slot, item_id, specialty, kind, decided, submitter, centre_id)
        age = self.now - slot.starts_at
        closed = age > timedelta(days=60) and rng.random() < 0.7
        status = CaseStatus.CLOSED if closed else CaseStatus.RECOMMENDATION_ISSUED
        return status, slot.starts_at, decided

    def item(
        self, slot: Slot, case_id: int, outcome: ItemOutcome, placed: datetime,
        presenter: Person | None, carried: bool, decided: datetime | None = None,
        reason: str | None = None,
    ) -> int:  # fmt: skip
        item_id = self.ids.take("agenda_items")
        placed_at = min(placed + timedelta(hours=2), slot.starts_at)
        if outcome is ItemOutcome.PENDING:
            self.planned_touched.add(slot.id)
        self.rows["agenda_items"].append((
            item_id, slot.id, case_id, slot.count, False, carried, outcome.value, placed_at,
            None, presenter.id if presenter else None, decided, reason,
        ))  # fmt: skip
        return item_id

    def outcome(
        self, case_id: int, plan: BoardPlan, slot: Slot, item_id: int, specialty: Specialty,
        kind: RequestKind, decided: datetime, submitter: Person, centre_id: int,
    ) -> None:  # fmt: skip
        """Recommendation, adherence, perhaps a referral and an agreement."""
        rng = self.rng
        staff = self.staff[plan.board_id]
        recorder = staff["recorder"]
        category: RecommendationCategory = CATEGORIES[kind].pick(rng)
        consensus = rng.random() < 0.92
        adherence = adherence_reason = adherence_at = adherence_by = None
        if rng.random() < 0.60:
            at = decided + timedelta(days=rng.uniform(14, 120))
            if at <= self.now:
                answer = ADHERENCE.pick(rng)
                adherence, adherence_at, adherence_by = answer.value, at, submitter.id
                if answer is not Adherence.YES:
                    adherence_reason = rng.choice(vocab.ADHERENCE_REASONS)
        rec_id = self.ids.take("recommendations")
        self.rows["recommendations"].append((
            rec_id, case_id, slot.id, item_id, category.value,
            vocab.RECOMMENDATION_TEXTS[category], consensus,
            None if consensus else "Un integrante propone otra conducta.",
            f"Oncopediatría, {self.centre_name[centre_id]}"[:200], recorder, decided,
            adherence, adherence_reason, adherence_by, adherence_at,
        ))  # fmt: skip
        if category is RecommendationCategory.REFERRAL and rng.random() < 0.9:
            self.referral(case_id, rec_id, plan, specialty, centre_id, decided, recorder)
        if rng.random() < 1 / 8:
            self.agreement(case_id, plan, slot, decided, submitter, centre_id)

    def referral(
        self, case_id: int, rec_id: int, plan: BoardPlan, specialty: Specialty, from_id: int,
        created: datetime, by: int,
    ) -> None:  # fmt: skip
        rng = self.rng
        transplant_type = None
        if specialty is Specialty.TRANSPLANT and self.hito is not None:
            to_id, needs = self.hito, ["has_transplant_unit"]
            transplant_type = TRANSPLANTS.pick(rng).value
        else:
            options = [c for c in self.capable.get(specialty, []) if c != from_id]
            if not options:
                return
            to_id = rng.choice(options)
            needs = list(vocab.REFERRAL_NEEDS.get(specialty, ()))
        status, completed, scheduled_for, updated = self._referral_progress(created)
        self.rows["referrals"].append((
            self.ids.take("referrals"), case_id, rec_id, plan.board_id, from_id, to_id,
            json.dumps(needs), transplant_type, "Requiere recursos no disponibles en el centro.",
            status.value, None, scheduled_for, by, created, updated, completed,
        ))  # fmt: skip

    def _referral_progress(
        self, created: datetime
    ) -> tuple[ReferralStatus, datetime | None, date | None, datetime]:
        rng = self.rng
        age = (self.now - created).days
        if age < 7:
            status = ReferralStatus.PROPOSED if rng.random() < 0.5 else ReferralStatus.SENT
        elif age < 45:
            status = RECENT_REFERRALS.pick(rng)
        else:
            status = OLD_REFERRALS.pick(rng)
        completed = scheduled_for = None
        updated = created + timedelta(days=min(age, rng.uniform(1, 10)))
        if status is ReferralStatus.COMPLETED:
            completed = created + timedelta(days=rng.uniform(20, 90))
            if completed > self.now:
                status, completed = ReferralStatus.SCHEDULED, None
            else:
                updated = completed
                scheduled_for = completed.date()
        if status is ReferralStatus.SCHEDULED:
            scheduled_for = (created + timedelta(days=rng.uniform(20, 60))).date()
        return status, completed, scheduled_for, min(updated, self.now)

    def agreement(
        self, case_id: int, plan: BoardPlan, slot: Slot, created: datetime, submitter: Person,
        centre_id: int,
    ) -> None:  # fmt: skip
        rng = self.rng
        due = plan.local_date(slot.starts_at) + timedelta(days=rng.randint(7, 30))
        done_at = done_session = done_by = None
        if rng.random() < 0.75:
            at = created + timedelta(days=rng.uniform(2, (due - created.date()).days + 20))
            later = plan.next_open(plan.local_date(at))
            if at <= self.now and later is not None:
                session = self._held_regular(plan, later)
                if session is not None:
                    done_at, done_session, done_by = at, session, submitter.id
        self.rows["agreements"].append((
            self.ids.take("agreements"), plan.board_id, slot.id, case_id,
            rng.choice(vocab.AGREEMENT_TEXTS), submitter.id,
            self.centre_name[centre_id][:200], due, self.staff[plan.board_id]["placer"],
            created, done_at, done_by, "Cumplido." if done_at else None, done_session,
        ))  # fmt: skip

    def _held_regular(self, plan: BoardPlan, day: date) -> int | None:
        """The regular session of ``day`` if it was held (its follow-up reports the agreement)."""
        plan.ensure_regular(day, self.out)
        group = plan.groups.get(day)
        if group is None or not group.slots or not group.slots[0].held:
            return None
        return group.slots[0].id

    # --- writing ---------------------------------------------------------------------

    def flush(self) -> None:
        """Write the chunk's rows, counters and sequences; the caller commits."""
        self.rows["board_sessions"].extend(self.out.rows)
        self.out.rows = []
        for table in TABLES:
            self.writer.write(table, COLUMNS[table], self.rows[table])
            self.rows[table] = []
        for plan in [*self.plans.values(), *self.general_plans]:
            db.session.execute(
                text("UPDATE boards SET next_session_number = :n WHERE id = :id"),
                {"n": plan.next_number, "id": plan.board_id},
            )
        touched = sorted(self.planned_touched)
        for start in range(0, len(touched), 1000):
            db.session.execute(
                text(
                    "UPDATE board_sessions SET booked = (SELECT count(*) FROM agenda_items a "
                    "WHERE a.session_id = board_sessions.id AND a.outcome = 'pending'), "
                    "agenda_version = agenda_version + 1 "
                    f"WHERE id IN ({', '.join(str(i) for i in touched[start : start + 1000])})"
                )
            )
        self.planned_touched.clear()
        self.writer.reset_sequences(TABLES)
        rollups.forget_all()  # rows written around the ORM: the dashboard's months are stale
        versions.mark_all(db.session)  # and every answer remembered from the data
        transaction.commit_chunk()  # an interrupted run keeps whole chunks

    def forget(self) -> None:
        """Later cases arrive later: dates before the last arrival are out of reach."""
        before = self.last_arrival - timedelta(days=2)
        for plan in self.plans.values():
            plan.forget_before(plan.local_date(before))


def _general_plan(board: Board, now: datetime) -> dict[str, Any]:
    """The attributes ``SessionRows.add`` reads, for a training or keynote board."""
    from zoneinfo import ZoneInfo

    return {
        "board_id": board.id, "kind": board.kind, "zone": ZoneInfo(board.timezone),
        "duration": timedelta(minutes=board.duration_minutes), "capacity": 0,
        "cutoff_days": board.cutoff_days_before, "cutoff_time": board.cutoff_time,
        "room_pattern": board.room_url_pattern, "next_number": board.next_session_number,
        "now": now,
    }  # fmt: skip


def _existing_keys(board_id: int) -> set[str]:
    from telemed.sessions.models import BoardSession

    return set(
        db.session.scalars(
            select(BoardSession.occurrence_key).where(
                BoardSession.board_id == board_id, BoardSession.occurrence_key.is_not(None)
            )
        )
    )


_JUSTIFICATION = "Deterioro clínico; requiere decisión del comité en 72 horas."
SPECIALTIES = Weighted(vocab.SPECIALTY_WEIGHTS)
KINDS = {s: Weighted(w) for s, w in vocab.REQUEST_KINDS.items()}
URGENCIES = Weighted({Urgency.ROUTINE: 0.75, Urgency.PRIORITY: 0.17, Urgency.URGENT: 0.08})
SEXES = Weighted({Sex.FEMALE: 0.46, Sex.MALE: 0.53, Sex.UNDETERMINED: 0.01})
CATEGORIES = {k: Weighted(w) for k, w in vocab.CATEGORIES.items()}
ADHERENCE = Weighted(vocab.ADHERENCE_WEIGHTS)
DEFERRALS = Weighted(vocab.DEFERRAL_WEIGHTS)
TRANSPLANTS = Weighted(vocab.TRANSPLANT_WEIGHTS)
RECENT_REFERRALS = Weighted({
    ReferralStatus.SENT: 0.2, ReferralStatus.ACCEPTED: 0.3,
    ReferralStatus.UNDER_EVALUATION: 0.3, ReferralStatus.SCHEDULED: 0.2,
})  # fmt: skip
OLD_REFERRALS = Weighted({
    ReferralStatus.COMPLETED: 0.65, ReferralStatus.DECLINED: 0.10,
    ReferralStatus.CANCELLED: 0.07, ReferralStatus.UNDER_EVALUATION: 0.06,
    ReferralStatus.SCHEDULED: 0.06, ReferralStatus.ACCEPTED: 0.06,
})  # fmt: skip


def ensure_network() -> bool:
    """Load the demo network when the database has no centres or no boards."""
    has_centres = db.session.scalar(select(func.count()).select_from(Centre))
    has_boards = db.session.scalar(select(func.count()).select_from(Board))
    if has_centres and has_boards:
        return False
    from telemed.demo import load_demo_data

    load_demo_data()
    return True


def generate(
    cases: int,
    years: int = 8,
    seed: int = 1,
    progress: Callable[[int], None] | None = None,
    chunk: int = CHUNK,
) -> Summary:
    """Fill the database with ``cases`` synthetic cases and what follows from them."""
    cases, years = validate(cases, years)
    began = timer.perf_counter()
    ensure_network()
    generator = Generator(cases, years, seed)
    generator.general_sessions()
    generator.flush()  # the synthetic referring doctors and the general sessions
    for first in range(0, cases, chunk):
        last = min(first + chunk, cases)
        generator.chunk(first, last)
        generator.flush()
        generator.forget()
        if progress:
            progress(last - first)
    summary = Summary(dict(generator.writer.counts), timer.perf_counter() - began)
    return summary
