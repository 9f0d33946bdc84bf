"""A case travels draft → submitted → returned → resubmitted → accepted → closed.

The referring doctor and the coordinator press the buttons on the case page (or call the
API); every step lands on the timeline with who took it, and steps that make no sense in
the case's state are refused with a message, leaving the case and the audit log as they were.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from telemed.audit.models import AuditEntry
from telemed.auth.models import Role, User
from telemed.cases import service as case_service
from telemed.cases.models import Case, CaseEvent, CaseStatus, Urgency
from tests import conftest
from tests.conftest import case_payload

QUESTION = "¿Se cuenta con inmunofenotipo por citometría de flujo de la recaída?"
ANSWER = "Sí: CD19+, CD10+, CD34+; se adjunta el reporte del laboratorio de Guadalajara."

# The path from a fresh draft to each status, as (action, who, message).
PATHS: dict[CaseStatus, list[tuple[str, str, str | None]]] = {
    CaseStatus.DRAFT: [],
    CaseStatus.SUBMITTED: [("submit", "referring", None)],
    CaseStatus.RETURNED: [("submit", "referring", None), ("return", "coordinator", QUESTION)],
    CaseStatus.RESUBMITTED: [
        ("submit", "referring", None),
        ("return", "coordinator", QUESTION),
        ("resubmit", "referring", ANSWER),
    ],
    CaseStatus.ACCEPTED: [("submit", "referring", None), ("accept", "coordinator", None)],
    CaseStatus.CLOSED: [
        ("submit", "referring", None),
        ("accept", "coordinator", None),
        ("close", "coordinator", None),
    ],
    CaseStatus.WITHDRAWN: [("withdraw", "referring", "La paciente falleció.")],
}


@pytest.fixture
def client_for(app: Flask) -> Callable[[User], FlaskClient]:
    """A separate logged-in browser per person, in English so messages can be read."""

    return lambda user: conftest.client_for(app, user)


@pytest.fixture
def case_in(
    make_case: Callable[..., Case], referring: User, coordinator: User
) -> Callable[[CaseStatus], Case]:
    """A complete case of the Tijuana centre brought to ``status`` through the service."""

    def make(status: CaseStatus) -> Case:
        case = make_case(submit=False)
        actors = {"referring": referring, "coordinator": coordinator}
        for action, who, message in PATHS[status]:
            case_service.transition(actors[who], case, action, message)
        assert case.status is status
        return case

    return make


def audit_count(db: Any) -> int:
    return db.session.scalar(select(func.count(AuditEntry.id)))


def event_count(db: Any, case: Case) -> int:
    return db.session.scalar(select(func.count(CaseEvent.id)).where(CaseEvent.case_id == case.id))


def status_of(db: Any, case: Case) -> CaseStatus:
    db.session.expire_all()
    return db.session.get(Case, case.id).status


def snapshot(db: Any, case: Case) -> tuple[CaseStatus, int, int]:
    """What a refused request must leave untouched: status, timeline and audit log."""
    return status_of(db, case), event_count(db, case), audit_count(db)


def alerts(page: str) -> list[str]:
    return [
        re.sub(r"\s+", " ", m).strip()
        for m in re.findall(r'<div class="alert[^"]*" role="alert">(.*?)</div>', page, re.S)
    ]


def timeline(page: str) -> list[str]:
    """Each ``<li>`` of the case page's timeline as plain text."""
    block = re.search(r'<ol class="timeline" id="timeline">(.*?)</ol>', page, re.S)
    assert block, "the case page has a timeline"
    items = re.findall(r"<li>(.*?)</li>", block.group(1), re.S)
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", item)).strip() for item in items]


def beside(page: str, box: str) -> str:
    """The error shown under the text box ``box`` of the case page (which points to it)."""
    field = re.search(rf'<textarea[^>]*id="{box}"[^>]*>', page)
    assert field is not None and "is-invalid" in field.group(0), box
    assert f'aria-describedby="{box}-error"' in field.group(0)
    message = re.search(rf'<div id="{box}-error"[^>]*>([^<]*)</div>', page)
    assert message is not None, box
    return message.group(1)


def press(client: FlaskClient, case: Case, action: str, message: str | None = None) -> Any:
    data = {"message": message} if message is not None else {}
    return client.post(f"/cases/{case.id}/actions/{action}", data=data)


# --- the whole journey on the web -------------------------------------------------------


def test_case_goes_through_its_whole_life_with_the_web_buttons(
    client_for, make_case, referring, coordinator, db
):
    case = make_case(submit=False)
    doctor, board = client_for(referring), client_for(coordinator)

    page = doctor.get(f"/cases/{case.id}").get_data(as_text=True)
    assert f'action="/cases/{case.id}/actions/submit"' in page
    assert f'action="/cases/{case.id}/actions/accept"' not in page  # not the doctor's step

    response = press(doctor, case, "submit")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/cases/{case.id}"
    assert status_of(db, case) is CaseStatus.SUBMITTED
    assert "Case CE-0001 was sent to the board." in alerts(doctor.get(f"/cases/{case.id}").text)

    page = board.get(f"/cases/{case.id}").get_data(as_text=True)
    for action in ("accept", "return", "withdraw"):
        assert f'action="/cases/{case.id}/actions/{action}"' in page
    assert f'action="/cases/{case.id}/actions/close"' not in page

    # Returning needs a question: without one nothing changes and the coordinator is told why,
    # beside the question's box.
    before = snapshot(db, case)
    response = press(board, case, "return", "   ")
    assert response.status_code == 422
    assert snapshot(db, case) == before
    assert beside(response.text, "message-return") == "Please write the reason or the question."

    assert press(board, case, "return", QUESTION).status_code == 302
    assert status_of(db, case) is CaseStatus.RETURNED

    # The doctor answers; an empty answer is refused the same way.
    before = snapshot(db, case)
    press(doctor, case, "resubmit", "")
    assert snapshot(db, case) == before
    assert press(doctor, case, "resubmit", ANSWER).status_code == 302
    assert status_of(db, case) is CaseStatus.RESUBMITTED

    assert press(board, case, "accept").status_code == 302
    assert status_of(db, case) is CaseStatus.ACCEPTED
    assert press(board, case, "close").status_code == 302
    assert status_of(db, case) is CaseStatus.CLOSED

    page = doctor.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "/actions/" not in page  # a closed case offers no more steps
    steps = timeline(page)
    expected = [
        ("Created", referring.name),
        ("Submitted", referring.name),
        ("Returned with a question", coordinator.name),
        ("Answered and resubmitted", referring.name),
        ("Accepted", coordinator.name),
        ("Closed", coordinator.name),
    ]
    assert len(steps) == len(expected), steps
    for step, (label, who) in zip(steps, expected, strict=True):
        assert step.startswith(label), step
        assert who in step, step
    assert QUESTION in steps[2]
    assert ANSWER in steps[3]

    audited = db.session.execute(
        select(AuditEntry.action, AuditEntry.actor_id)
        .where(AuditEntry.action.in_(
            ["case.submit", "case.return", "case.resubmit", "case.accept", "case.close"]))
        .order_by(AuditEntry.id)
    ).all()  # fmt: skip
    assert [tuple(row) for row in audited] == [
        ("case.submit", referring.id),
        ("case.return", coordinator.id),
        ("case.resubmit", referring.id),
        ("case.accept", coordinator.id),
        ("case.close", coordinator.id),
    ]


def test_a_colleague_of_the_same_centre_may_answer_for_the_case(
    client_for, case_in, make_user, centre, db
):
    case = case_in(CaseStatus.RETURNED)
    colleague = make_user(Role.REFERRING, centre_id=centre.id, name="Dra. Colega Tijuana")
    assert press(client_for(colleague), case, "resubmit", ANSWER).status_code == 302
    assert status_of(db, case) is CaseStatus.RESUBMITTED
    step = timeline(client_for(colleague).get(f"/cases/{case.id}").text)[-1]
    assert step.startswith("Answered and resubmitted") and "Dra. Colega Tijuana" in step


# --- the same journey through the API ----------------------------------------------------


def api_act(client: FlaskClient, case: Case, action: str, message: str | None = None) -> Any:
    body = {"message": message} if message is not None else {}
    return client.post(f"/api/v1/cases/{case.id}/actions/{action}", json=body)


def test_case_goes_through_its_whole_life_through_the_api(
    client_for, make_case, referring, coordinator, db
):
    case = make_case(submit=False)
    doctor, board = client_for(referring), client_for(coordinator)
    assert doctor.get(f"/api/v1/cases/{case.id}").get_json()["actions"] == ["submit", "withdraw"]

    response = api_act(doctor, case, "submit")
    assert response.status_code == 200
    assert response.get_json()["status"] == "submitted"
    assert response.get_json()["submitted_at"] == "2026-03-02T17:00:00+00:00"

    detail = board.get(f"/api/v1/cases/{case.id}").get_json()
    assert detail["actions"] == ["accept", "return", "withdraw"]

    before = snapshot(db, case)
    response = api_act(board, case, "return")
    assert response.status_code == 422
    assert list(response.get_json()["errors"]) == ["message"]
    assert snapshot(db, case) == before

    response = api_act(board, case, "return", QUESTION)
    assert response.status_code == 200
    assert response.get_json()["status"] == "returned"
    assert response.get_json()["actions"] == ["withdraw"]  # the board waits for the answer

    before = snapshot(db, case)
    response = api_act(doctor, case, "resubmit", "  ")
    assert response.status_code == 422
    assert "message" in response.get_json()["errors"]
    assert snapshot(db, case) == before

    assert api_act(doctor, case, "resubmit", ANSWER).get_json()["status"] == "resubmitted"
    assert api_act(board, case, "accept").get_json()["status"] == "accepted"
    closed = api_act(board, case, "close").get_json()
    assert closed["status"] == "closed"
    assert closed["actions"] == []
    assert [
        (e["kind"], e["actor"], e["from_status"], e["to_status"]) for e in closed["timeline"]
    ] == [
        ("created", referring.name, None, "draft"),
        ("submit", referring.name, "draft", "submitted"),
        ("return", coordinator.name, "submitted", "returned"),
        ("resubmit", referring.name, "returned", "resubmitted"),
        ("accept", coordinator.name, "resubmitted", "accepted"),
        ("close", coordinator.name, "accepted", "closed"),
    ]
    assert closed["timeline"][2]["message"] == QUESTION
    assert closed["timeline"][3]["message"] == ANSWER


def test_transition_body_must_be_json_with_known_fields(client_for, case_in, coordinator, db):
    case = case_in(CaseStatus.SUBMITTED)
    board = client_for(coordinator)
    before = snapshot(db, case)
    response = board.post(
        f"/api/v1/cases/{case.id}/actions/return", json={"message": QUESTION, "reason": "x"}
    )
    assert response.status_code == 422
    assert list(response.get_json()["errors"]) == ["reason"]
    response = board.post(
        f"/api/v1/cases/{case.id}/actions/return", data=QUESTION, content_type="text/plain"
    )
    assert response.status_code == 400
    assert response.is_json
    assert snapshot(db, case) == before


# --- withdrawing ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "status",
    [CaseStatus.DRAFT, CaseStatus.SUBMITTED, CaseStatus.RETURNED, CaseStatus.RESUBMITTED,
     CaseStatus.ACCEPTED],
)  # fmt: skip
def test_referring_doctor_withdraws_an_open_case_on_the_web(
    status, client_for, case_in, referring, db
):
    case = case_in(status)
    doctor = client_for(referring)
    before = snapshot(db, case)
    press(doctor, case, "withdraw")  # the reason is required
    assert snapshot(db, case) == before

    response = press(doctor, case, "withdraw", "La familia decidió continuar en otro hospital.")
    assert response.status_code == 302
    assert status_of(db, case) is CaseStatus.WITHDRAWN
    step = timeline(doctor.get(f"/cases/{case.id}").text)[-1]
    assert step.startswith("Withdrawn")
    assert referring.name in step and "continuar en otro hospital" in step


@pytest.mark.parametrize(
    "status", [CaseStatus.SUBMITTED, CaseStatus.RESUBMITTED, CaseStatus.ACCEPTED]
)
def test_coordinator_withdraws_an_open_case_through_the_api(
    status, client_for, case_in, coordinator, db
):
    case = case_in(status)
    response = api_act(client_for(coordinator), case, "withdraw", "Duplicado de CE-0002.")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "withdrawn"
    assert body["timeline"][-1]["actor"] == coordinator.name
    assert body["timeline"][-1]["from_status"] == status.value
    assert status_of(db, case) is CaseStatus.WITHDRAWN


# --- illegal steps ----------------------------------------------------------------------

ILLEGAL = [
    # (status, action, who, API status, words the message must contain)
    (CaseStatus.DRAFT, "accept", "coordinator", 409, "draft"),
    (CaseStatus.DRAFT, "close", "coordinator", 409, "draft"),
    (CaseStatus.SUBMITTED, "close", "coordinator", 409, "submitted"),
    (CaseStatus.SUBMITTED, "submit", "referring", 409, "submitted"),
    (CaseStatus.SUBMITTED, "resubmit", "referring", 409, "submitted"),
    (CaseStatus.RETURNED, "accept", "coordinator", 409, "returned"),
    (CaseStatus.ACCEPTED, "return", "coordinator", 409, "accepted"),
    (CaseStatus.CLOSED, "withdraw", "referring", 409, "closed"),
    (CaseStatus.WITHDRAWN, "withdraw", "coordinator", 409, "withdrawn"),
    (CaseStatus.WITHDRAWN, "submit", "referring", 409, "withdrawn"),
    (CaseStatus.SUBMITTED, "accept", "referring", 403, "not allowed"),
    (CaseStatus.SUBMITTED, "return", "referring", 403, "not allowed"),
    (CaseStatus.DRAFT, "submit", "coordinator", 403, "not allowed"),
    (CaseStatus.RETURNED, "resubmit", "admin", 403, "not allowed"),
    (CaseStatus.SUBMITTED, "approve", "coordinator", 409, "Unknown action"),
]


def illegal_id(param: Any) -> str:
    return param.value if isinstance(param, CaseStatus) else str(param)


@pytest.mark.parametrize(("status", "action", "who", "code", "words"), ILLEGAL, ids=illegal_id)
def test_illegal_step_is_refused_by_the_api_and_changes_nothing(
    status, action, who, code, words, request, client_for, case_in, db
):
    case = case_in(status)
    client = client_for(request.getfixturevalue(who))
    before = snapshot(db, case)
    response = api_act(client, case, action, "Un mensaje cualquiera para el paso.")
    assert response.status_code == code
    body = response.get_json()
    assert body["code"] == code
    assert words in body["message"]
    assert snapshot(db, case) == before


@pytest.mark.parametrize(("status", "action", "who", "code", "words"), ILLEGAL, ids=illegal_id)
def test_illegal_step_on_the_web_flashes_why_and_changes_nothing(
    status, action, who, code, words, request, client_for, case_in, db
):
    case = case_in(status)
    client = client_for(request.getfixturevalue(who))
    before = snapshot(db, case)
    response = press(client, case, action, "Un mensaje cualquiera para el paso.")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/cases/{case.id}"
    assert snapshot(db, case) == before
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    messages = alerts(page)
    assert any(words in m for m in messages), messages
    assert status_of(db, case) is status


def test_submitting_an_incomplete_draft_through_the_api_names_the_missing_fields(
    client_for, referring, db
):
    case = case_service.create_case(referring, {"patient_reference": "EXP-77"}, submit=False)
    doctor = client_for(referring)
    before = snapshot(db, case)
    response = api_act(doctor, case, "submit")
    assert response.status_code == 422
    errors = response.get_json()["errors"]
    for field in ("age_years", "sex", "icd10_code", "diagnosis_text", "question",
                  "request_kind", "specialty"):  # fmt: skip
        assert field in errors, field
    assert snapshot(db, case) == before


# --- editing ----------------------------------------------------------------------------


def form(**overrides: Any) -> dict[str, Any]:
    data = case_payload(**overrides)
    data["high_complexity"] = "on" if data.pop("high_complexity") else None
    return {k: v for k, v in data.items() if v is not None}


def test_referring_doctor_edits_a_draft_and_a_returned_case(client_for, case_in, referring, db):
    doctor = client_for(referring)
    for status in (CaseStatus.DRAFT, CaseStatus.RETURNED):
        case = case_in(status)
        assert doctor.get(f"/cases/{case.id}/edit").status_code == 200
        response = doctor.post(f"/cases/{case.id}/edit", data=form(stage="Riesgo muy alto"))
        assert response.status_code == 302
        db.session.expire_all()
        assert db.session.get(Case, case.id).stage == "Riesgo muy alto"
        assert db.session.get(Case, case.id).status is status  # editing does not move it
        entry = db.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "case.update",
                                     AuditEntry.object_id == case.id)
        ).one()  # fmt: skip
        assert entry.details["fields"] == ["stage"]
        assert timeline(doctor.get(f"/cases/{case.id}").text)[-1].startswith("Edited")


def test_returned_case_is_edited_through_the_api(client_for, case_in, referring, db):
    case = case_in(CaseStatus.RETURNED)
    response = client_for(referring).patch(
        f"/api/v1/cases/{case.id}", json={"current_treatment": "Reinducción con blinatumomab"}
    )
    assert response.status_code == 200
    assert response.get_json()["current_treatment"] == "Reinducción con blinatumomab"
    assert response.get_json()["status"] == "returned"
    # fields not sent keep their values (no defaults sneak in on a partial edit)
    assert response.get_json()["urgency"] == "priority"
    assert response.get_json()["high_complexity"] is True


@pytest.mark.parametrize(
    "status", [CaseStatus.SUBMITTED, CaseStatus.RESUBMITTED, CaseStatus.ACCEPTED,
               CaseStatus.CLOSED, CaseStatus.WITHDRAWN]
)  # fmt: skip
def test_case_cannot_be_edited_once_it_left_the_doctor(status, client_for, case_in, referring, db):
    case = case_in(status)
    doctor = client_for(referring)
    before = snapshot(db, case)
    page = doctor.get(f"/cases/{case.id}").get_data(as_text=True)
    assert f'href="/cases/{case.id}/edit"' not in page
    assert doctor.get(f"/cases/{case.id}/edit").status_code == 403
    assert doctor.post(f"/cases/{case.id}/edit", data=form(stage="Otro")).status_code == 403
    response = doctor.patch(f"/api/v1/cases/{case.id}", json={"stage": "Otro"})
    assert response.status_code == 409
    assert "draft or returned" in response.get_json()["message"]
    db.session.expire_all()
    assert db.session.get(Case, case.id).stage == "Riesgo alto"
    status_now, events, _ = snapshot(db, case)
    assert (status_now, events) == before[:2]
    assert db.session.scalar(
        select(func.count(AuditEntry.id)).where(AuditEntry.action == "case.update")
    ) == 0  # fmt: skip


def test_staff_cannot_edit_a_doctors_case(client_for, case_in, coordinator, admin, db):
    case = case_in(CaseStatus.RETURNED)
    for user in (coordinator, admin):
        client = client_for(user)
        assert client.get(f"/cases/{case.id}/edit").status_code == 403
        assert client.post(f"/cases/{case.id}/edit", data=form(stage="Otro")).status_code == 403
        response = client.patch(f"/api/v1/cases/{case.id}", json={"stage": "Otro"})
        assert response.status_code == 403
        assert response.get_json()["message"]
    db.session.expire_all()
    assert db.session.get(Case, case.id).stage == "Riesgo alto"


def test_returned_case_edited_to_be_incomplete_is_refused(client_for, case_in, referring, db):
    case = case_in(CaseStatus.RETURNED)
    doctor = client_for(referring)
    before = snapshot(db, case)

    response = doctor.patch(f"/api/v1/cases/{case.id}", json={"question": None, "sex": None})
    assert response.status_code == 422
    assert set(response.get_json()["errors"]) == {"question", "sex"}

    response = doctor.post(
        f"/cases/{case.id}/edit", data=form(urgency="urgent", urgency_justification="")
    )
    assert response.status_code == 422
    assert 'id="urgency_justification-error"' in response.get_data(as_text=True)

    db.session.expire_all()
    stored = db.session.get(Case, case.id)
    assert stored.question == case_payload()["question"]
    assert stored.urgency is Urgency.PRIORITY
    assert snapshot(db, case) == before


def test_clearing_the_justification_of_an_urgent_returned_case_is_refused(
    client_for, make_case, referring, coordinator, db
):
    case = make_case(urgency="urgent", urgency_justification="Recaída con hiperleucocitosis.")
    case_service.transition(coordinator, case, "return", QUESTION)
    doctor = client_for(referring)
    before = snapshot(db, case)
    response = doctor.patch(f"/api/v1/cases/{case.id}", json={"urgency_justification": None})
    assert response.status_code == 422
    assert "urgency_justification" in response.get_json()["errors"]
    db.session.expire_all()
    assert db.session.get(Case, case.id).urgency_justification == "Recaída con hiperleucocitosis."
    assert snapshot(db, case) == before


def test_a_draft_may_stay_incomplete_while_edited(client_for, referring, db):
    case = case_service.create_case(referring, {"patient_reference": "EXP-77"}, submit=False)
    response = client_for(referring).patch(
        f"/api/v1/cases/{case.id}", json={"icd10_code": "C71", "age_years": 9}
    )
    assert response.status_code == 200
    body = response.get_json()
    assert (body["icd10_code"], body["age_years"], body["status"]) == ("C71", 9, "draft")
    assert body["question"] is None


def test_clearing_a_required_field_keeps_a_draft_incomplete_and_refuses_a_returned_case(
    login_as, referring, coordinator, make_case, db
):
    draft = make_case(submit=False)
    client = login_as(referring)
    response = client.post(
        f"/cases/{draft.id}/edit", data={"question": "", "patient_reference": "X-99"}
    )
    assert response.status_code == 302
    db.session.refresh(draft)
    assert draft.question is None  # the draft forgets it; it cannot be sent until filled in

    returned = make_case()
    from telemed.cases import service

    service.transition(coordinator, returned, "return", "¿Tiene inmunofenotipo?")
    response = client.post(f"/cases/{returned.id}/edit", data={"question": "  "})
    assert response.status_code == 422
    assert 'id="question-error"' in response.get_data(as_text=True)
    db.session.refresh(returned)
    assert returned.question.startswith("¿Es candidata")


def test_api_action_with_a_form_body_is_a_clear_400(login_as, coordinator, make_case, db):
    case = make_case()
    client = login_as(coordinator)
    response = client.post(f"/api/v1/cases/{case.id}/actions/accept", data={"message": "ok"})
    assert response.status_code == 400
    assert response.is_json
    db.session.refresh(case)
    assert case.status.value == "submitted"


# --- the moments the network counts ---------------------------------------------------


def test_acceptance_keeps_when_the_case_was_first_accepted(case_in, coordinator, clock, db):
    case = case_in(CaseStatus.RESUBMITTED)  # returned once: not accepted yet
    assert case.accepted_at is None
    clock.advance(timedelta(days=2))
    accepted_at = clock()
    case_service.transition(coordinator, case, "accept")
    db.session.expire_all()
    assert case.accepted_at == accepted_at

    # Discussed, then back to scheduling for a follow-up: still the first acceptance.
    case.status = CaseStatus.RECOMMENDATION_ISSUED
    db.session.commit()
    clock.advance(timedelta(days=30))
    case_service.transition(coordinator, case, "follow_up")
    db.session.expire_all()
    assert case.status is CaseStatus.ACCEPTED and case.accepted_at == accepted_at


# --- the case page's next steps -------------------------------------------------------------


def steps_section(page: str) -> str:
    block = re.search(r'<section class="card mb-3" id="next-steps".*?</section>', page, re.S)
    return block.group(0) if block else ""


def test_each_next_step_is_a_labelled_button_with_its_own_form(client_for, case_in, referring):
    """The steps used to share one unlabeled box ("Reason, question or answer") that looked
    like a comment box beside a lone red "Withdraw" button."""
    case = case_in(CaseStatus.RETURNED)
    page = client_for(referring).get(f"/cases/{case.id}").text
    steps = steps_section(page)
    assert "Reason, question or answer" not in page
    forms = re.findall(r'<form method="post" action="/cases/\d+/actions/(\w+)"', steps)
    assert forms == ["resubmit", "withdraw"]  # withdrawing last
    assert '<label for="message-resubmit" class="form-label small">Your answer to the' in steps
    assert ">Answer and resubmit</button>" in steps
    # Withdrawing is behind a first button (a <details>, no script): the second one confirms.
    confirm = re.search(r'<details class="case-step-confirm">(.*?)</details>', steps, re.S)
    assert confirm is not None
    assert "<summary " in confirm.group(1) and ">Withdraw the case…</summary>" in confirm.group(1)
    assert '<label for="message-withdraw" class="form-label small">Reason for withdrawing' in (
        confirm.group(1)
    )
    assert ">Yes, withdraw CE-0001</button>" in confirm.group(1)
    assert "cannot be undone" in confirm.group(1)


@pytest.mark.parametrize("status", [CaseStatus.DISCUSSED, CaseStatus.RECOMMENDATION_ISSUED])
def test_a_discussed_case_can_no_longer_be_withdrawn(
    status, client_for, case_in, referring, coordinator, db
):
    """Once the board has discussed it, a case is closed or followed up, never withdrawn: the
    referring doctor is offered no step, the coordinator close and follow-up only."""
    case = case_in(CaseStatus.ACCEPTED)
    case.status = status
    conftest.committed(case)
    doctor, board = client_for(referring), client_for(coordinator)
    assert steps_section(doctor.get(f"/cases/{case.id}").text) == ""
    board_steps = steps_section(board.get(f"/cases/{case.id}").text)
    assert re.findall(r'action="/cases/\d+/actions/(\w+)"', board_steps) == ["close", "follow_up"]
    assert doctor.get(f"/api/v1/cases/{case.id}").get_json()["actions"] == []

    before = snapshot(db, case)
    response = press(doctor, case, "withdraw", "Ya no se requiere.")
    assert response.status_code == 302 and snapshot(db, case) == before
    assert api_act(board, case, "withdraw", "Duplicado.").status_code == 409
    assert status_of(db, case) is status


def test_a_refused_step_says_why_beside_its_box_and_keeps_the_text(app, case_in, referring, db):
    """In Spanish, the confirmation stays open and what was typed is still there."""
    case = case_in(CaseStatus.SUBMITTED)
    doctor = app.test_client()
    doctor.environ_base["HTTP_ACCEPT_LANGUAGE"] = "es-MX"
    assert conftest.login(doctor, referring).status_code == 302
    before = snapshot(db, case)
    reason = "La familia decidió continuar el tratamiento en otro hospital. " * 70
    response = press(doctor, case, "withdraw", reason)
    assert response.status_code == 422
    assert snapshot(db, case) == before
    page = response.text
    assert beside(page, "message-withdraw") == "Escriba como máximo 4000 caracteres."
    assert '<details class="case-step-confirm" open>' in page
    assert reason.strip() in page
    assert ">Retirar el caso…</summary>" in page

    response = press(doctor, case, "withdraw", "")
    assert beside(response.text, "message-withdraw") == "Escriba el motivo o la pregunta."
