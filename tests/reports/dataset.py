# ruff: noqa: E501  (the data set reads as one row per record)
"""A small network built row by row, so every dashboard figure can be counted by hand.

Clock: NOW = 2026-12-15 18:00 UTC (12:00 in Mexico City, 10:00 in Tijuana).
Mexico City is UTC-6 all year; Tijuana is UTC-7 until 1 Nov 2026 02:00 local, then UTC-8.

Centres: A "HGR No. 1 Tijuana" (Baja California), B "HGZ No. 3 Guadalajara" (Jalisco),
RAZA "CMN La Raza" and SXXI "CMN Siglo XXI" (UMAEs, Ciudad de México), HITO (external
partner, Nuevo León).

Boards: MX "Comité Leucemias" (Mexico City; leukaemia + transplant; ``coordinator``),
TJ "Comité Tumores sólidos" (Tijuana; solid tumours; a second coordinator).
CNS tumours are routed nowhere (case k9 belongs to no board).

Sessions (UTC start, local date):
  S1 MX case_review held  10-09 00:00 (Oct 8)  capacity 9
  S2 MX case_review held  11-06 00:00 (Nov 5)  capacity 9
  S3 MX training    held  10-23 00:00 (Oct 22)
  S4 MX keynote     held  11-13 00:00 (Nov 12)
  S5 MX case_review cancelled 10-16 00:00 (Oct 15)
  S6 MX case_review planned   12-18 00:00
  T1 TJ case_review held  10-08 01:00 (Oct 7)  capacity 6
  T2 TJ training    held  11-12 02:00 (Nov 11)
  T3 TJ case_review cancelled 11-19 02:00
  T4 TJ keynote     planned   2027-01-07 02:00

Cases (centre, specialty→board, urgency, request, high-complexity, status; submitted,
accepted, first discussed → wait in hours):
  k1  RAZA LL→MX urgent   TE  hc RI   10-06 12:00, 10-06 18:00, S1 →  60 h
  k2  RAZA TR→MX priority TE  hc RI   10-01 17:00, 10-02 18:00, S1 → 175 h
  k3  SXXI LL→MX routine  TP  -  DISC 09-20 10:00, 09-21 18:00, S1 → 446 h
  k4  SXXI TR→MX urgent   TE  hc RI   11-01 18:00, 11-02 18:00, S2 → 102 h
  k5  A    ST→TJ routine  DO  -  RI   10-02 18:00, 10-03 18:00, T1 → 127 h
  k6  A    ST→TJ priority TP  hc SCHED 10-20 18:00, 10-21 18:00, -
  k7  B    LL→MX routine  TP  -  ACC  09-25 18:00, 09-28 18:00, - (deferred S1, S2)
  k8  B    ST→TJ urgent   OTH -  ACC  10-01 18:00, 10-02 18:00, - (deferred T1)
  k9  B    CNS    routine DO  -  SUB  11-10 18:00, -, -
  k10 RAZA LL→MX routine  REF -  DRAFT (never submitted)
  k11 RAZA LL→MX routine  TP  -  RI   11-02 18:00, 11-03 18:00, S2 →  78 h
  k12 SXXI TR→MX priority TE  hc RI   10-25 18:00, 10-26 18:00, S2 → 270 h
  k13 RAZA TR→MX routine  TE  hc RI   09-12 06:00, 09-13 18:00, S1 → 642 h
  k14 RAZA TR→MX priority TE  -  RI   10-28 14:00, 10-29 18:00, S2 → 202 h
  k15 SXXI LL→MX routine  TE  hc RI   10-12 18:00, 10-13 18:00, S2 → 582 h

Referrals (board, created UTC, status; completed):
  r1 k1→HITO MX 10-09 02:00 sent          r2 k2→HITO MX 10-09 02:00 completed 10-19 00:00
  r3 k13→HITO MX 10-09 02:00 accepted     r4 k11→HITO MX 11-06 02:00 under_evaluation
  r5 k14→HITO MX 11-06 02:00 completed 11-26 00:00 (no recommendation)
  r6 k3→HITO MX 10-09 02:00 sent          r7 k4→HITO MX 11-06 02:00 scheduled
  r8 k12→HITO MX 11-06 02:00 declined     r9 k15→HITO MX 11-06 02:00 completed 12-01 00:00
  r10 k15→HITO MX 11-07 18:00 sent (k15 referred twice)
  r11 k7→HITO MX 10-09 02:00 proposed     r12 k5→HITO TJ 10-08 03:00 cancelled
  r13 k5→SXXI TJ 10-08 03:00 completed 10-18 01:00 (no recommendation)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from telemed.agreements.models import Agreement
from telemed.auth.models import Role, User
from telemed.boards.models import Board, SessionKind
from telemed.cases.models import Case as CaseModel
from telemed.cases.models import CaseStatus, Urgency
from telemed.centres.models import Centre, CentreKind
from telemed.core.vocabulary import RequestKind, Specialty
from telemed.extensions import db
from telemed.referrals.models import Referral, ReferralStatus, TransplantType
from telemed.room.models import (
    Adherence,
    Attendance,
    AttendanceRole,
    Recommendation,
    RecommendationCategory,
)
from telemed.sessions.models import (
    AgendaItem,
    BoardSession,
    DeferralReason,
    ItemOutcome,
    SessionStatus,
)

NOW = datetime(2026, 12, 15, 18, 0, tzinfo=UTC)
OCTOBER = {"period": "custom", "from": "2026-10-01", "to": "2026-10-31"}
ALL = {"period": "all"}


def utc(month: int, day: int, hour: int = 0, minute: int = 0, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


@dataclass
class Network:
    centres: dict[str, Centre] = field(default_factory=dict)
    boards: dict[str, Board] = field(default_factory=dict)
    sessions: dict[str, BoardSession] = field(default_factory=dict)
    cases: dict[str, CaseModel] = field(default_factory=dict)
    referrals: dict[str, Referral] = field(default_factory=dict)
    tj_coordinator: User | None = None
    author: User | None = None


def add_centres(make_centre: Any) -> dict[str, Centre]:
    return {
        "A": make_centre(code="OC-BC-TIJ", name="HGR No. 1 Tijuana", state="Baja California",
                         city="Tijuana", timezone="America/Tijuana"),
        "B": make_centre(code="OC-JAL-GDL", name="HGZ No. 3 Guadalajara", state="Jalisco"),
        "RAZA": make_centre(code="UMAE-RAZA", name="CMN La Raza", kind=CentreKind.UMAE,
                            state="Ciudad de México", city="CDMX"),
        "SXXI": make_centre(code="UMAE-SXXI", name="CMN Siglo XXI", kind=CentreKind.UMAE,
                            state="Ciudad de México", city="CDMX"),
        "HITO": make_centre(code="HITO", name="HITO", kind=CentreKind.EXTERNAL_PARTNER,
                            state="Nuevo León", city="Monterrey", timezone="America/Monterrey"),
    }  # fmt: skip


def add_session(board: Board, number: int, kind: SessionKind, status: SessionStatus,
                starts: datetime, capacity: int = 0) -> BoardSession:  # fmt: skip
    session = BoardSession(
        board_id=board.id, number=number, kind=kind, status=status, starts_at=starts,
        ends_at=starts + timedelta(minutes=90), cutoff_at=starts - timedelta(days=2),
        capacity=capacity, room_url=f"https://video.test/{board.id}/{number}",
    )  # fmt: skip
    db.session.add(session)
    return session


def add_case(author: User, centre: Centre, specialty: Specialty, urgency: Urgency,
             kind: RequestKind, complex_: bool, status: CaseStatus,
             submitted: datetime | None, accepted: datetime | None = None,
             discussed: datetime | None = None) -> CaseModel:  # fmt: skip
    case = CaseModel(
        centre_id=centre.id, submitted_by_id=author.id, status=status,
        patient_reference="NSS-0000000000", specialty=specialty, urgency=urgency,
        request_kind=kind, high_complexity=complex_, submitted_at=submitted,
        accepted_at=accepted, first_discussed_at=discussed,
    )  # fmt: skip
    db.session.add(case)
    return case


def build_network(make_centre: Any, make_user: Any, make_board: Any, coordinator: User) -> Network:
    """The data set described in the module docstring (the clock is set by the caller)."""
    net = Network()
    c = net.centres = add_centres(make_centre)
    net.author = author = make_user(Role.REFERRING, centre_id=c["RAZA"].id)
    net.tj_coordinator = make_user(Role.COORDINATOR)
    mx = make_board(
        name="Comité Leucemias", specialties=(Specialty.LEUKAEMIA_LYMPHOMA, Specialty.TRANSPLANT)
    )
    tj = make_board(
        name="Comité Tumores sólidos",
        timezone="America/Tijuana",
        specialties=(Specialty.SOLID_TUMOURS,),
        coordinator=net.tj_coordinator,
    )
    net.boards = {"MX": mx, "TJ": tj}
    CR, TR, KN = SessionKind.CASE_REVIEW, SessionKind.TRAINING, SessionKind.KEYNOTE
    HELD, CANC, PLAN = SessionStatus.HELD, SessionStatus.CANCELLED, SessionStatus.PLANNED
    s = net.sessions = {
        "S1": add_session(mx, 1, CR, HELD, utc(10, 9), 9),
        "S2": add_session(mx, 2, CR, HELD, utc(11, 6), 9),
        "S3": add_session(mx, 3, TR, HELD, utc(10, 23)),
        "S4": add_session(mx, 4, KN, HELD, utc(11, 13)),
        "S5": add_session(mx, 5, CR, CANC, utc(10, 16), 9),
        "S6": add_session(mx, 6, CR, PLAN, utc(12, 18), 9),
        "T1": add_session(tj, 1, CR, HELD, utc(10, 8, 1), 6),
        "T2": add_session(tj, 2, TR, HELD, utc(11, 12, 2)),
        "T3": add_session(tj, 3, CR, CANC, utc(11, 19, 2), 6),
        "T4": add_session(tj, 4, KN, PLAN, utc(1, 7, 2, year=2027)),
    }
    db.session.flush()
    S1, S2, T1 = s["S1"].starts_at, s["S2"].starts_at, s["T1"].starts_at
    LL, TX, ST = Specialty.LEUKAEMIA_LYMPHOMA, Specialty.TRANSPLANT, Specialty.SOLID_TUMOURS
    URG, PRI, ROU = Urgency.URGENT, Urgency.PRIORITY, Urgency.ROUTINE
    TE, TP, DO = (
        RequestKind.TRANSPLANT_EVALUATION,
        RequestKind.TREATMENT_PLAN,
        RequestKind.DIAGNOSIS_OPINION,
    )
    RI = CaseStatus.RECOMMENDATION_ISSUED
    net.cases = {
        "k1": add_case(author, c["RAZA"], LL, URG, TE, True, RI, utc(10, 6, 12), utc(10, 6, 18), S1),
        "k2": add_case(author, c["RAZA"], TX, PRI, TE, True, RI, utc(10, 1, 17), utc(10, 2, 18), S1),
        "k3": add_case(author, c["SXXI"], LL, ROU, TP, False, CaseStatus.DISCUSSED,
                       utc(9, 20, 10), utc(9, 21, 18), S1),
        "k4": add_case(author, c["SXXI"], TX, URG, TE, True, RI, utc(11, 1, 18), utc(11, 2, 18), S2),
        "k5": add_case(author, c["A"], ST, ROU, DO, False, RI, utc(10, 2, 18), utc(10, 3, 18), T1),
        "k6": add_case(author, c["A"], ST, PRI, TP, True, CaseStatus.SCHEDULED,
                       utc(10, 20, 18), utc(10, 21, 18)),
        "k7": add_case(author, c["B"], LL, ROU, TP, False, CaseStatus.ACCEPTED,
                       utc(9, 25, 18), utc(9, 28, 18)),
        "k8": add_case(author, c["B"], ST, URG, RequestKind.OTHER, False, CaseStatus.ACCEPTED,
                       utc(10, 1, 18), utc(10, 2, 18)),
        "k9": add_case(author, c["B"], Specialty.CNS_TUMOURS, ROU, DO, False,
                       CaseStatus.SUBMITTED, utc(11, 10, 18)),
        "k10": add_case(author, c["RAZA"], LL, ROU, RequestKind.REFERRAL, False,
                        CaseStatus.DRAFT, None),
        "k11": add_case(author, c["RAZA"], LL, ROU, TP, False, RI, utc(11, 2, 18), utc(11, 3, 18), S2),
        "k12": add_case(author, c["SXXI"], TX, PRI, TE, True, RI, utc(10, 25, 18), utc(10, 26, 18), S2),
        "k13": add_case(author, c["RAZA"], TX, ROU, TE, True, RI, utc(9, 12, 6), utc(9, 13, 18), S1),
        "k14": add_case(author, c["RAZA"], TX, PRI, TE, False, RI, utc(10, 28, 14), utc(10, 29, 18), S2),
        "k15": add_case(author, c["SXXI"], LL, ROU, TE, True, RI, utc(10, 12, 18), utc(10, 13, 18), S2),
    }  # fmt: skip
    db.session.flush()
    add_agenda(net)
    recs = add_recommendations(net)
    add_referrals(net, recs)
    add_agreements(net)
    add_attendance(net)
    db.session.commit()
    return net


def add_agenda(net: Network) -> None:
    s, k = net.sessions, net.cases
    DISC, DEF = ItemOutcome.DISCUSSED, ItemOutcome.DEFERRED
    MM, OTHER = DeferralReason.MISSING_MATERIAL, DeferralReason.OTHER
    items = [
        ("S1", "k1", DISC, None), ("S1", "k2", DISC, None), ("S1", "k3", DISC, None),
        ("S1", "k13", DISC, None), ("S1", "k7", DEF, MM),
        ("S2", "k4", DISC, None), ("S2", "k11", DISC, None), ("S2", "k12", DISC, None),
        ("S2", "k14", DISC, None), ("S2", "k15", DISC, None), ("S2", "k7", DEF, MM),
        ("T1", "k5", DISC, None), ("T1", "k8", DEF, OTHER),
    ]  # fmt: skip
    for position, (session, case, outcome, reason) in enumerate(items):
        db.session.add(AgendaItem(session_id=s[session].id, case_id=k[case].id, position=position,
                                  outcome=outcome, deferral_reason=reason))  # fmt: skip


def add_recommendations(net: Network) -> dict[str, Recommendation]:
    s, k = net.sessions, net.cases
    RC = RecommendationCategory
    YES, PARTLY, NO = Adherence.YES, Adherence.PARTLY, Adherence.NO
    rows = {
        "k1": ("S1", RC.REFERRAL, YES, None, utc(10, 20, 12)),
        "k2": ("S1", RC.REFERRAL, YES, None, utc(10, 20, 13)),
        "k3": ("S1", RC.TREATMENT_PLAN, PARTLY, "Sin donador compatible aún", utc(10, 20, 18)),
        "k13": ("S1", RC.FURTHER_STUDIES, YES, None, utc(10, 21, 18)),
        "k5": ("T1", RC.CONFIRM_DIAGNOSIS, NO, "La familia rechazó el traslado", utc(10, 25, 18)),
        "k4": ("S2", RC.REFERRAL, YES, None, utc(11, 10, 18)),
        "k11": ("S2", RC.TREATMENT_PLAN, None, None, None),
        "k12": ("S2", RC.REFERRAL, PARTLY, "Pendiente estudio HLA", utc(11, 20, 18)),
        "k14": ("S2", RC.REFERRAL, YES, None, utc(11, 21, 18)),
        "k15": ("S2", RC.REFERRAL, NO, "Traslado no autorizado", utc(11, 25, 18)),
    }
    recs = {}
    for case, (session, category, adherence, reason, at) in rows.items():
        recs[case] = Recommendation(
            case_id=k[case].id, session_id=s[session].id, category=category, text="Texto",
            responsible="Comité", recorded_by_id=net.author.id, recorded_at=s[session].starts_at,
            adherence=adherence, adherence_reason=reason, adherence_at=at,
        )  # fmt: skip
        db.session.add(recs[case])
    db.session.flush()
    return recs


def add_referrals(net: Network, recs: dict[str, Recommendation]) -> None:
    c, k, b = net.centres, net.cases, net.boards
    RS, TT = ReferralStatus, TransplantType
    rows = {
        "r1": ("k1", "HITO", "MX", utc(10, 9, 2), RS.SENT, TT.HAPLOIDENTICAL, None, None),
        "r2": (
            "k2",
            "HITO",
            "MX",
            utc(10, 9, 2),
            RS.COMPLETED,
            TT.HAPLOIDENTICAL,
            utc(10, 19),
            "k2",
        ),
        "r3": ("k13", "HITO", "MX", utc(10, 9, 2), RS.ACCEPTED, TT.HAPLOIDENTICAL, None, None),
        "r4": (
            "k11",
            "HITO",
            "MX",
            utc(11, 6, 2),
            RS.UNDER_EVALUATION,
            TT.HAPLOIDENTICAL,
            None,
            None,
        ),
        "r5": (
            "k14",
            "HITO",
            "MX",
            utc(11, 6, 2),
            RS.COMPLETED,
            TT.HAPLOIDENTICAL,
            utc(11, 26),
            None,
        ),
        "r6": ("k3", "HITO", "MX", utc(10, 9, 2), RS.SENT, TT.UNRELATED_ALLOGENEIC, None, None),
        "r7": (
            "k4",
            "HITO",
            "MX",
            utc(11, 6, 2),
            RS.SCHEDULED,
            TT.UNRELATED_ALLOGENEIC,
            None,
            None,
        ),
        "r8": (
            "k12",
            "HITO",
            "MX",
            utc(11, 6, 2),
            RS.DECLINED,
            TT.UNRELATED_ALLOGENEIC,
            None,
            None,
        ),
        "r9": (
            "k15",
            "HITO",
            "MX",
            utc(11, 6, 2),
            RS.COMPLETED,
            TT.UNRELATED_ALLOGENEIC,
            utc(12, 1),
            "k15",
        ),
        "r10": ("k15", "HITO", "MX", utc(11, 7, 18), RS.SENT, TT.UNRELATED_ALLOGENEIC, None, None),
        "r11": ("k7", "HITO", "MX", utc(10, 9, 2), RS.PROPOSED, TT.AUTOLOGOUS, None, None),
        "r12": ("k5", "HITO", "TJ", utc(10, 8, 3), RS.CANCELLED, None, None, None),
        "r13": ("k5", "SXXI", "TJ", utc(10, 8, 3), RS.COMPLETED, None, utc(10, 18, 1), None),
    }
    for name, (case, to, board, created, status, kind, completed, rec) in rows.items():
        net.referrals[name] = Referral(
            case_id=k[case].id, board_id=b[board].id, from_centre_id=k[case].centre_id,
            to_centre_id=c[to].id, transplant_type=kind, reason="Motivo", status=status,
            created_by_id=net.author.id, created_at=created, updated_at=created,
            completed_at=completed, recommendation_id=recs[rec].id if rec else None,
        )  # fmt: skip
        db.session.add(net.referrals[name])


def add_agreements(net: Network) -> None:
    s, k, b = net.sessions, net.cases, net.boards
    rows = [  # board, session, case, due, done
        ("MX", "S1", "k1", date(2026, 10, 30), utc(10, 28)),  # a1 done
        ("MX", "S1", "k3", date(2026, 11, 30), None),  # a2 open, overdue
        ("MX", "S2", "k4", date(2026, 12, 31), None),  # a3 open
        ("TJ", "T1", "k5", date(2026, 12, 15), None),  # a4 open, due today: not overdue
        ("TJ", "T1", None, date(2026, 12, 14), None),  # a5 open, overdue
        ("MX", "S2", "k11", date(2026, 12, 1), utc(11, 30)),  # a6 done
    ]
    for board, session, case, due, done in rows:
        db.session.add(Agreement(
            board_id=b[board].id, session_id=s[session].id,
            case_id=k[case].id if case else None, text="Acuerdo", due_date=due,
            created_by_id=net.author.id, done_at=done,
        ))  # fmt: skip


def add_attendance(net: Network) -> None:
    s, c = net.sessions, net.centres
    A, B, RAZA, SXXI = (c[n].name for n in ("A", "B", "RAZA", "SXXI"))
    present = {
        "S1": [RAZA, SXXI, A],
        "S2": [RAZA, RAZA],
        "S3": [RAZA, SXXI, B, B],
        "S4": [RAZA, RAZA, SXXI, A, B],
        "T1": [A, A],
        "T2": [A],
        "S5": [RAZA],  # cancelled: never counts
    }
    absent = {"S1": [B], "T1": [B]}
    for marks, is_present in ((present, True), (absent, False)):
        for session, units in marks.items():
            for n, unit in enumerate(units):
                db.session.add(Attendance(
                    session_id=s[session].id, name=f"Asistente {n}", unit=unit,
                    role=AttendanceRole.MEMBER, present=is_present,
                ))  # fmt: skip


def at_noon(day: date) -> datetime:
    return datetime.combine(day, time(18), tzinfo=UTC)
