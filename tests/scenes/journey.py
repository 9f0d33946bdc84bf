"""The whole journey's data, as wide as real data gets (issue 17, findings 3 and 8): a board
with a long Spanish name; its first session held, with final minutes, recommendations, a
HITO referral and agreements to follow up (``held``); the next session with five cases of
long diagnoses on its agenda and a case taken off it by hand; a case with attachments of
long file names; a case at risk on the coordinator's dashboard; and an extraordinary
session numbered after the others but held before some of them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy import select

from telemed.auth.models import User
from telemed.boards.models import Board, MemberRole, SessionKind
from telemed.cases import service as case_service
from telemed.cases.models import Case
from telemed.core.clock import Clock
from telemed.extensions import db
from telemed.minutes import service as minutes
from telemed.referrals.models import Referral
from telemed.sessions.agenda import place_by_hand, remove_by_hand
from telemed.sessions.models import BoardSession, FlagReason, SchedulingFlag, SessionStatus
from telemed.sessions.service import generate_sessions
from tests.conftest import PDF_BYTES, PNG_BYTES, committed
from tests.scenes.boards import sessions_of
from tests.scenes.minutes import Held

LONG_BOARD_NAME = "Comité de Tumores Sólidos, Sarcomas Óseos y de Partes Blandas del Noroeste"
LONG_DIAGNOSES = (
    "Rabdomiosarcoma embrionario paratesticular con extensión retroperitoneal y ganglios "
    "interaortocavos",
    "Neuroblastoma suprarrenal izquierdo de alto riesgo con amplificación de MYCN",
    "Osteosarcoma convencional osteoblástico de fémur distal con metástasis pulmonares",
    "Tumor de Wilms bilateral (nefroblastoma) con histología favorable",
    "Meduloblastoma desmoplásico/nodular del vermis cerebeloso con diseminación leptomeníngea",
)
LONG_FILE_NAMES = (
    "informe_histopatologico_inmunohistoquimica_completo_biopsia_2026-02-27.pdf",
    "resonancia_magnetica_abdomen_y_pelvis_con_gadolinio_cortes_axiales.png",
)
# Every case of case_payload() asks for a transplant evaluation: all three are missing.
TRANSPLANT_MATERIAL = {
    "transplant_evaluation": ["immunophenotype", "minimal_residual_disease", "cytogenetics"]
}


@dataclass
class Journey:
    """What the journey's pages show; ``held`` is the first session, its minutes final."""

    held: Held
    next_session: BoardSession
    extraordinary: BoardSession
    case_with_files: Case
    referral: Referral


@pytest.fixture
def board(make_board: Callable[..., Board], chair: User) -> Board:
    """The solid-tumour board of tests.scenes.boards, under a name as long as real ones,
    asking for the material of a transplant evaluation (the demo's transplant board's)."""
    made = make_board(name=LONG_BOARD_NAME, members=[(chair, MemberRole.CHAIR)],
                      required_material=TRANSPLANT_MATERIAL)  # fmt: skip
    return committed(made, generate_sessions())


@pytest.fixture
def journey(held: Held, board: Board, accepted: Callable[..., Case], coordinator: User,
            referring: User, clock: Clock) -> Journey:  # fmt: skip
    session = held.session
    clock.set(session.ends_at + timedelta(minutes=30))
    minutes.finalise_minutes(coordinator, session)

    later = next(s for s in sessions_of(board) if s.starts_at > session.starts_at)
    urgencies = ("urgent", "priority", "routine", "routine", "priority")
    cases = [accepted(diagnosis_text=text, urgency=urgency)
             for text, urgency in zip(LONG_DIAGNOSES, urgencies, strict=True)]  # fmt: skip
    for case in cases:
        place_by_hand(coordinator, case, later)
    later.items[0].carried_over = True
    removed = accepted(diagnosis_text=LONG_DIAGNOSES[0])
    place_by_hand(coordinator, removed, later)
    remove_by_hand(coordinator, later.items[-1])
    at_risk = accepted(diagnosis_text=LONG_DIAGNOSES[1], urgency="urgent")
    db.session.add(SchedulingFlag(board_id=board.id, case_id=at_risk.id,
                                  reason=FlagReason.URGENT_72H,
                                  detail="Sin sesión con lugar en 72 horas."))  # fmt: skip

    # Numbered after every generated session, held before the last of them.
    sessions = [s for s in sessions_of(board) if s.starts_at > later.starts_at]
    extraordinary = BoardSession(
        board_id=board.id, number=max(s.number for s in sessions) + 1,
        kind=SessionKind.CASE_REVIEW, status=SessionStatus.PLANNED, extraordinary=True,
        capacity=sessions[2].capacity,
        starts_at=sessions[2].starts_at + timedelta(days=1),
        ends_at=sessions[2].ends_at + timedelta(days=1),
        cutoff_at=sessions[2].cutoff_at + timedelta(days=1),
        room_url="https://video.telemed.local/extraordinaria",
    )  # fmt: skip
    db.session.add(extraordinary)

    case_service.add_attachments(referring, held.own_case, [(LONG_FILE_NAMES[0], PDF_BYTES)],
                                 material="pathology_report")  # fmt: skip
    case_service.add_attachments(referring, held.own_case, [(LONG_FILE_NAMES[1], PNG_BYTES)])
    referral = db.session.scalars(
        select(Referral).where(Referral.recommendation_id.is_not(None))
    ).one()
    db.session.commit()
    return Journey(held, later, extraordinary, held.own_case, referral)
