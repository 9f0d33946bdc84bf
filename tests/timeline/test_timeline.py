"""The case page tells the whole story on one timeline: submitted, accepted, scheduled (which
session), preparation, discussed, recommendation, referral and its steps, agreements, closed.

Steps owned by other parts of the issue (recommendations, referrals, agreements, deferral)
are written here with ``add_event`` as those services write them; the rest by the real
services. The Tijuana doctor reads Thursday 18:00 Mexico City as 16:00 PST.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from telemed.cases import service as case_service
from telemed.cases.labels import EVENT_LABELS
from telemed.cases.models import CaseEvent, CaseStatus
from telemed.extensions import db
from telemed.preparation import service as preparation
from telemed.sessions.agenda import place_by_hand, remove_by_hand
from telemed.sessions.models import AgendaItem
from telemed.sessions.service import mark_discussed
from telemed.timeline.service import STYLES
from tests.conftest import client_for
from tests.scenes.boards import PATIENT_REFERENCE, sessions_of
from tests.scenes.preparation import text_of, timeline
from tests.scenes.session import item_for

BRIEF_KINDS = ("discussed", "deferred", "recommendation", "adherence", "referral", "agreement",
               "agreement_done", "question", "answer", "reviewed", "material_missing")  # fmt: skip


@pytest.mark.parametrize("kind", BRIEF_KINDS)
def test_every_event_kind_of_the_issue_has_a_label_and_a_style(kind):
    assert kind in EVENT_LABELS and kind in STYLES


def test_every_lifecycle_action_has_a_label():
    assert set(case_service.ACTIONS) <= set(EVENT_LABELS)


def step(steps: list[str], label: str) -> str:
    found = [s for s in steps if s.startswith(label)]
    assert len(found) == 1, (label, steps)
    return found[0]


def test_the_whole_story_reads_in_order(
    app, board, in_session, own_case, chair, radiologist, referring, coordinator, clock
):
    session = in_session
    item = item_for(session, own_case)
    code = item.agenda_code
    # Preparation (real services): a question, its answer, a review mark.
    clock.set(session.cutoff_at)
    asked = {"kind": "question", "text": "¿Biopsia de la recaída?"}
    question = preparation.add_note(chair, session, own_case.id, asked)
    preparation.answer_question(referring, question, {"answer": "Sí, del 20 de febrero."})
    preparation.mark_reviewed(radiologist, session, own_case.id)
    clock.set(session.starts_at)
    mark_discussed(coordinator, item)
    # Other parts of the issue write these.
    for kind, message in (
        ("recommendation", None),
        ("referral", "proposed · Hospital Infantil Teletón de Oncología"),
        ("referral", "accepted · Hospital Infantil Teletón de Oncología"),
        ("agreement", None),
        ("agreement_done", None),
        ("adherence", "yes"),
    ):
        case_service.add_event(own_case, chair, kind, None, None, message)
    db.session.commit()
    case_service.transition(coordinator, own_case, "close")

    page = text_of(client_for(app, referring).get(f"/cases/{own_case.id}"))
    steps = timeline(page)
    expected = ["Created", "Submitted", "Accepted", "Placed on a session's agenda",
                "Question from the board", "Question answered", "Reviewed by a board member",
                "Discussed by the board", "Recommendation issued", "Referral", "Referral",
                "Agreement recorded", "Agreement done",
                "Whether the recommendation was carried out", "Closed"]  # fmt: skip
    assert [next(lbl for lbl in expected if s.startswith(lbl)) for s in steps] == expected

    # Which session: board, number, date on the reader's clock, agenda code.
    scheduled = step(steps, "Placed on a session's agenda")
    assert board.name in scheduled and "session 1" in scheduled
    assert "5 Mar 2026, 16:00" in scheduled and code in scheduled
    discussed = step(steps, "Discussed by the board")
    assert "session 1" in discussed and code in discussed and coordinator.name in discussed
    assert chair.name in step(steps, "Question from the board")
    assert referring.name in step(steps, "Question answered")
    assert radiologist.name in step(steps, "Reviewed by a board member")
    referrals = [s for s in steps if s.startswith("Referral")]
    assert "proposed · Hospital Infantil Teletón de Oncología" in referrals[0]
    assert "accepted" in referrals[1]
    assert "agreement_done" not in " ".join(steps)  # labels, never raw kinds
    assert PATIENT_REFERENCE not in "".join(steps)
    assert 'class="tl-icon text-bg-success"' in page  # coloured by kind


def test_scheduled_and_unscheduled_steps_name_their_session(
    app, board, accepted, coordinator, referring
):
    second = sessions_of(board)[1]
    case = accepted()
    place_by_hand(coordinator, case, second)
    remove_by_hand(coordinator, db.session.scalars(select(AgendaItem)).one())
    events = {e.kind: e.message for e in case.events}
    assert events["scheduled"] == events["unscheduled"] == f"CE {second.number}.{case.id}"

    steps = timeline(text_of(client_for(app, referring).get(f"/cases/{case.id}")))
    assert "session 2" in step(steps, "Placed on a session's agenda")
    assert "session 2" in step(steps, "Taken off the agenda")


def test_automatic_assignment_writes_the_agenda_code(agenda, own_case, foreign_case):
    for case in (own_case, foreign_case):
        [event] = [e for e in case.events if e.kind == "scheduled"]
        assert event.message == item_for(agenda, case).agenda_code


def test_an_older_scheduled_step_without_a_code_still_finds_its_session(
    app, agenda, own_case, referring
):
    event = db.session.scalars(
        select(CaseEvent).where(CaseEvent.case_id == own_case.id, CaseEvent.kind == "scheduled")
    ).one()
    event.message = None  # as assignment wrote it before this issue
    db.session.commit()
    steps = timeline(text_of(client_for(app, referring).get(f"/cases/{own_case.id}")))
    assert item_for(agenda, own_case).agenda_code in step(steps, "Placed on a session's agenda")


def test_board_only_steps_are_hidden_from_referring_doctors(
    app, agenda, own_case, chair, referring, coordinator
):
    case_service.add_event(own_case, chair, "note", None, None, "Solo para el comité")
    case_service.add_event(own_case, chair, "deferred", CaseStatus.SCHEDULED, CaseStatus.ACCEPTED,
                           item_for(agenda, own_case).agenda_code)  # fmt: skip
    db.session.commit()
    doctor = text_of(client_for(app, referring).get(f"/cases/{own_case.id}"))
    assert "Solo para el comité" not in doctor
    assert "session 1" in step(timeline(doctor), "Deferred to a later session")
    for reader in (chair, coordinator):
        assert "Solo para el comité" in text_of(
            client_for(app, reader).get(f"/cases/{own_case.id}")
        )
