"""A session recorded as the room records it (the room's code belongs to other parts, so the
rows are written directly): attendance, outcomes with presenters, recommendations and a
haploidentical-transplant referral to HITO, agreements of an earlier session to follow up,
general matters and this session's agreements. Plus a training session with attendees, and
a plain way to read the text of a PDF."""

from __future__ import annotations

import re
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import pytest

from telemed.agreements.models import Agreement
from telemed.auth.models import Discipline, Role, User
from telemed.boards.models import Board, MemberRole, SessionKind
from telemed.cases.models import Case
from telemed.centres.models import Centre, CentreKind
from telemed.extensions import db
from telemed.referrals.models import Referral, ReferralStatus, TransplantType
from telemed.room.models import Attendance, AttendanceRole, Recommendation, RecommendationCategory
from telemed.sessions.models import (
    AgendaItem,
    AttendeeRole,
    BoardSession,
    DeferralReason,
    ItemOutcome,
    SessionAttendee,
    SessionStatus,
)
from telemed.sessions.service import generate_sessions
from tests.scenes.boards import sessions_of
from tests.scenes.session import item_for

HITO = "Hospital Infantil Teletón de Oncología"
MERIDA = "UMAE Mérida"
OWN_RECOMMENDATION = "Candidata a trasplante haploidéntico; el protocolo continúa."
FOREIGN_RECOMMENDATION = "Resonancia magnética de columna completa."
FOREIGN_DISSENT = "La radióloga propone PET-CT."
FOREIGN_AGREEMENT = "Repetir la biopsia en Cancún"
GENERAL_MATTERS = "Se presentó la oferta educativa 2026 (Hora Dorada)."
GUEST = "Enf. Lucía Gómez"


@dataclass
class Held:
    """The first session of the solid-tumour board, held 18:02–19:25 Mexico City."""

    session: BoardSession
    previous: BoardSession
    own_case: Case
    foreign_case: Case
    deferred_case: Case
    absent: User
    follow_up: dict[str, Agreement] = field(default_factory=dict)
    agreements: dict[str, Agreement] = field(default_factory=dict)


def attend(
    session: BoardSession,
    user: User | None,
    role: AttendanceRole,
    *,
    name: str = "",
    unit: str = "",
    discipline: str | None = None,
    present: bool = True,
) -> Attendance:
    row = Attendance(session_id=session.id, user_id=user.id if user else None,
                     name=name or (user.name if user else ""), unit=unit, role=role,
                     discipline=discipline, present=present)  # fmt: skip
    db.session.add(row)
    return row


@pytest.fixture
def hito(make_centre: Callable[..., Centre]) -> Centre:
    return make_centre(code="EXT-QRO-HITO", name=HITO, kind=CentreKind.EXTERNAL_PARTNER,
                       state="Querétaro", city="Querétaro")  # fmt: skip


@pytest.fixture
def held(in_session: BoardSession, own_case: Case, foreign_case: Case, hito: Centre,
         make_centre: Callable[..., Centre], make_case: Callable[..., Case], accept: Any,
         make_user: Callable[..., User], referring: User, other_referring: User, chair: User,
         radiologist: User, coordinator: User) -> Held:  # fmt: skip
    session = in_session
    merida = make_centre(code="UMAE-YUC", name=MERIDA, kind=CentreKind.UMAE, state="Yucatán",
                         city="Mérida")  # fmt: skip
    absent = make_user(Role.SPECIALIST, name="Dr. Ausente")
    deferred_case = accept(make_case(by=referring, specialty="solid_tumours", urgency="routine"))

    # The board's previous meeting, a week earlier, left agreements to follow up.
    previous = BoardSession(
        board_id=session.board_id, number=0, kind=SessionKind.CASE_REVIEW,
        status=SessionStatus.HELD, starts_at=session.starts_at - timedelta(days=7),
        ends_at=session.ends_at - timedelta(days=7),
        cutoff_at=session.cutoff_at - timedelta(days=7),
        room_url="https://video.telemed.local/anterior",
    )  # fmt: skip
    db.session.add(previous)
    db.session.flush()

    def agreement(
        at: BoardSession,
        text: str,
        due: date,
        case: Case | None = None,
        owner: User | None = None,
        unit: str | None = None,
        **extra: Any,
    ) -> Agreement:
        row = Agreement(board_id=session.board_id, session_id=at.id, text=text, due_date=due,
                        case_id=case.id if case else None, owner_id=owner.id if owner else None,
                        owner_unit=unit, created_by_id=coordinator.id, created_at=at.starts_at,
                        **extra)  # fmt: skip
        db.session.add(row)
        return row

    scene = Held(session, previous, own_case, foreign_case, deferred_case, absent)
    scene.follow_up = {
        "overdue": agreement(previous, "Completar estudios de imagen", date(2026, 3, 3),
                             foreign_case, owner=other_referring),
        "done": agreement(previous, "Enviar el informe de patología", date(2026, 3, 10),
                          own_case, unit="Patología CMN Siglo XXI",
                          done_at=session.starts_at + timedelta(minutes=30),
                          done_by_id=chair.id, done_session_id=session.id),
        "open": agreement(previous, "Actualizar el directorio de capacidad resolutiva",
                          date(2026, 3, 26), unit="Coordinación"),
        "settled": agreement(previous, "Acuerdo cumplido antes", date(2026, 2, 27),
                             unit="Coordinación", done_at=previous.ends_at - timedelta(minutes=10),
                             done_by_id=chair.id, done_session_id=previous.id),
    }  # fmt: skip
    scene.agreements = {
        "own": agreement(session, "Solicitar valoración en HITO", date(2026, 3, 12), own_case,
                         owner=chair),
        "general": agreement(session, "Revisar la lista de material requerido",
                             date(2026, 3, 19), unit="Coordinación"),
        "foreign": agreement(session, FOREIGN_AGREEMENT, date(2026, 3, 19), foreign_case,
                             owner=other_referring),
    }  # fmt: skip

    # Referrals made before this session: open ones are followed up, completed ones not.
    for case, status in ((own_case, ReferralStatus.UNDER_EVALUATION),
                         (own_case, ReferralStatus.COMPLETED),
                         (foreign_case, ReferralStatus.ACCEPTED)):  # fmt: skip
        db.session.add(Referral(case_id=case.id, board_id=session.board_id,
                                from_centre_id=case.centre_id, to_centre_id=merida.id,
                                reason="Radioterapia con acelerador lineal", status=status,
                                created_by_id=chair.id, created_at=previous.starts_at))  # fmt: skip

    # The session itself.
    session.started_at = session.starts_at + timedelta(minutes=2)
    session.ended_at = session.starts_at + timedelta(minutes=85)
    session.general_matters = GENERAL_MATTERS
    own_item, foreign_item = item_for(session, own_case), item_for(session, foreign_case)
    for item, presenter in ((own_item, referring), (foreign_item, other_referring)):
        item.outcome = ItemOutcome.DISCUSSED
        item.presented_by_id = presenter.id
        item.decided_at = session.started_at
    deferred = AgendaItem(session_id=session.id, case_id=deferred_case.id, position=3,
                          outcome=ItemOutcome.DEFERRED, presented_by_id=referring.id,
                          deferral_reason=DeferralReason.MISSING_MATERIAL)  # fmt: skip
    db.session.add(deferred)
    own_rec = Recommendation(case_id=own_case.id, session_id=session.id,
                             agenda_item_id=own_item.id, category=RecommendationCategory.REFERRAL,
                             text=OWN_RECOMMENDATION, consensus=True,
                             responsible="Hematología, HGR No. 1 Tijuana",
                             recorded_by_id=chair.id)  # fmt: skip
    foreign_rec = Recommendation(case_id=foreign_case.id, session_id=session.id,
                                 agenda_item_id=foreign_item.id,
                                 category=RecommendationCategory.FURTHER_STUDIES,
                                 text=FOREIGN_RECOMMENDATION, consensus=False,
                                 dissent=FOREIGN_DISSENT, responsible="Radiología, Cancún",
                                 recorded_by_id=radiologist.id)  # fmt: skip
    db.session.add_all([own_rec, foreign_rec])
    db.session.flush()
    db.session.add(Referral(case_id=own_case.id, recommendation_id=own_rec.id,
                            board_id=session.board_id, from_centre_id=own_case.centre_id,
                            to_centre_id=hito.id, transplant_type=TransplantType.HAPLOIDENTICAL,
                            reason="Trasplante haploidéntico", status=ReferralStatus.SENT,
                            created_by_id=chair.id))  # fmt: skip

    attend(session, chair, AttendanceRole.CHAIR, unit="UMAE Hospital de Pediatría CMN Siglo XXI",
           discipline=Discipline.PAEDIATRIC_ONCOLOGY.value)  # fmt: skip
    attend(session, radiologist, AttendanceRole.MEMBER, unit="Hospital General CMN La Raza",
           discipline=Discipline.RADIOLOGY.value)  # fmt: skip
    attend(session, coordinator, AttendanceRole.COORDINATOR, unit="Coordinación de telemedicina")
    attend(session, referring, AttendanceRole.REFERRING)  # unit: their centre's name
    attend(session, other_referring, AttendanceRole.REFERRING, unit="HGR No. 17 Cancún")
    attend(session, None, AttendanceRole.GUEST, name=GUEST, unit="HGZ No. 1 Campeche")
    attend(session, absent, AttendanceRole.MEMBER, present=False)
    db.session.commit()
    return scene


# --- a training session ---------------------------------------------------------------


@dataclass
class Training:
    session: BoardSession
    attendee: User
    guest: Attendance
    absent: User


@pytest.fixture
def training(make_board: Callable[..., Board], make_user: Callable[..., User], chair: User,
             referring: User, coordinator: User) -> Training:  # fmt: skip
    """The first session of a training board ("Hora Dorada"), with a specialist and a
    referring doctor present (the specialist invited as audience, the doctor not), a guest,
    and a member marked absent; not yet ended."""
    absent = make_user(Role.SPECIALIST, name="Dra. Ausente")
    members = [(chair, MemberRole.CHAIR), (absent, MemberRole.MEMBER)]
    board = make_board(name="Capacitación en oncología pediátrica", kind=SessionKind.TRAINING,
                       specialties=(), members=members)  # fmt: skip
    generate_sessions()
    session = sessions_of(board)[0]
    session.topic = "Hora Dorada: neutropenia febril"
    session.speaker = "Dra. Ana Martínez Peña"
    attendee = make_user(Role.SPECIALIST, name="Dr. Julián Ortíz", email="ortiz@hospital.test")
    # Invited as the audience, so the room (and the minutes) are open to them.
    db.session.add(SessionAttendee(session_id=session.id, user_id=attendee.id,
                                   role=AttendeeRole.OPTIONAL, reason="audience"))  # fmt: skip
    attend(session, attendee, AttendanceRole.MEMBER, unit="HGZ No. 1 Campeche")
    attend(session, referring, AttendanceRole.REFERRING, unit="HGR No. 1 Tijuana")
    guest = attend(session, None, AttendanceRole.GUEST, name="Enf. Lucía Gómez",
                   unit="HGZ No. 1 Campeche")  # fmt: skip
    attend(session, absent, AttendanceRole.MEMBER, present=False)
    db.session.commit()
    return Training(session, attendee, guest, absent)


def end(session: BoardSession, minutes: int = 60) -> None:
    session.started_at = session.starts_at
    session.ended_at = session.starts_at + timedelta(minutes=minutes)
    db.session.commit()


# --- reading PDFs ---------------------------------------------------------------------

ESCAPES = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f"}


def unescape(raw: bytes) -> bytes:
    def one(match: re.Match[bytes]) -> bytes:
        token = match.group(1)
        if token[:1].isdigit():
            return bytes([int(token, 8)])
        return ESCAPES.get(token, token)

    return re.sub(rb"\\([0-7]{1,3}|.)", one, raw, flags=re.S)


def pdf_text(body: bytes) -> str:
    """The text a PDF shows, line by line (fpdf2 writes each line as one ``(...) Tj``)."""
    assert body.startswith(b"%PDF-")
    lines = []
    # Not "\r?\nendstream": compressed bytes may end in \r, and stripping it broke the
    # stream now and then (the content, and so the bytes, follow the clock's date).
    for stream in re.findall(rb"stream\r?\n(.*?)\nendstream", body, flags=re.S):
        try:
            data = zlib.decompressobj().decompress(stream)
        except zlib.error:
            data = stream
        for match in re.finditer(rb"\(((?:\\.|[^\\)])*)\)\s*Tj", data, flags=re.S):
            lines.append(unescape(match.group(1)).decode("latin-1"))
    return "\n".join(lines)


def flat(text: str) -> str:
    """Wrapped lines joined with spaces, for phrases that may break across lines."""
    return " ".join(text.split())
