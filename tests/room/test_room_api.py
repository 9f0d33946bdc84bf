"""``/api/v1``: attendance, start and end, outcomes, recommendations and adherence, with the
rules of the pages (hidden 404, forbidden 403, bad input 422 naming the field and writing
nothing) and in the OpenAPI document."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from telemed.cases.models import CaseStatus
from telemed.extensions import db
from telemed.outbox.models import OutboxMessage
from telemed.room.models import Attendance, Recommendation
from telemed.sessions.models import DeferralReason, ItemOutcome
from tests.conftest import client_for
from tests.scenes.boards import emails
from tests.scenes.room import PATIENT_REFERENCE, audits, count
from tests.scenes.session import item_for

ROOM_KEYS = {
    "session_id", "number", "status", "started_at", "ended_at", "started_at_local",
    "ended_at_local", "quorum", "people", "guests", "unlisted",
}  # fmt: skip
PERSON_KEYS = {"attendance_id", "user_id", "name", "unit", "role", "discipline", "present"}
RECOMMENDATION_KEYS = {
    "id", "case_id", "case_code", "session_id", "session_number", "agenda_item_id",
    "agenda_code", "category", "text", "consensus", "dissent", "responsible", "recorded_by",
    "recorded_at", "adherence",
}  # fmt: skip
RECOMMENDATION = {
    "outcome": "discussed",
    "category": "referral",
    "text": "Referir a HITO para trasplante haploidéntico.",
    "consensus": True,
    "responsible": "Dra. Coordinadora de trasplantes, HITO",
}


def error(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.get_data(as_text=True)
    body = response.get_json()
    assert body["code"] == status and body["message"]
    return body


def nothing_written() -> tuple[int, int, int]:
    db.session.expire_all()
    return count(Attendance), count(Recommendation), count(OutboxMessage)


# --- attendance -----------------------------------------------------------------------


def test_attendance_shape_marks_and_guests(app, in_session, board, chair, radiologist, referring):
    board.quorum_disciplines = ["paediatric_oncology", "radiology"]
    db.session.commit()
    client = client_for(app, chair)
    url = f"/api/v1/sessions/{in_session.id}/attendance"
    body = client.get(url).get_json()
    assert set(body) == ROOM_KEYS
    assert (body["session_id"], body["number"], body["status"]) == (in_session.id, 1,
                                                                    "agenda_closed")  # fmt: skip
    both = ["paediatric_oncology", "radiology"]
    assert body["quorum"] == {"required": both, "covered": [], "missing": both, "met": False}
    assert all(set(p) == PERSON_KEYS for p in body["people"])
    people = {p["user_id"]: p for p in body["people"]}
    assert people[chair.id]["role"] == "chair" and people[chair.id]["present"] is None
    assert people[referring.id]["unit"] == "HGR No. 1 Tijuana"
    assert len(audits("session.attendance")) == 1

    for user in (chair, radiologist):
        response = client.post(url, json={"user_id": user.id, "present": True})
        assert response.status_code == 200
    body = response.get_json()
    assert body["quorum"]["met"] is True
    body = client.post(url, json={"name": "Lic. Marta Soto", "unit": "Trabajo social"}).get_json()
    [guest] = body["guests"]
    assert (guest["name"], guest["unit"], guest["role"], guest["present"]) == (
        "Lic. Marta Soto",
        "Trabajo social",
        "guest",
        True,
    )
    body = client.delete(f"{url}/{guest['attendance_id']}").get_json()
    assert body["guests"] == []
    error(client.delete(f"{url}/999999"), 404)


def test_attendance_refusals(app, in_session, chair, referring, specialist, coordinator):
    url = f"/api/v1/sessions/{in_session.id}/attendance"
    before = nothing_written()
    error(app.test_client().get(url), 401)
    error(app.test_client().post(url, json={"user_id": chair.id}), 401)
    error(client_for(app, specialist).get(url), 404)  # not a member: the room is hidden
    assert error(client_for(app, referring).post(url, json={"user_id": referring.id}), 403)
    client = client_for(app, coordinator)
    body = error(client.post(url, json={}), 422)
    assert set(body["errors"]) == {"name", "unit"}
    body = error(client.post(url, json={"name": "Sin unidad"}), 422)
    assert set(body["errors"]) == {"unit"}
    body = error(client.post(url, json={"user_id": specialist.id}), 422)
    assert set(body["errors"]) == {"user_id"}
    body = error(client.post(url, json={"user_id": chair.id, "present": "quizá"}), 422)
    assert set(body["errors"]) == {"present"}
    body = error(client.post(url, json={"user_id": chair.id, "colour": "red"}), 422)
    assert set(body["errors"]) == {"colour"}
    error(client.post(url, data="user_id=1"), 400)
    assert nothing_written() == before
    error(client.get("/api/v1/sessions/999999/attendance"), 404)


def test_start_and_end(app, in_session, chair, referring, clock):
    client = client_for(app, chair)
    base = f"/api/v1/sessions/{in_session.id}"
    error(client_for(app, referring).post(f"{base}/start"), 403)
    error(client.post(f"{base}/end"), 409)  # not started yet

    clock.set(in_session.starts_at + timedelta(minutes=3))
    body = client.post(f"{base}/start").get_json()
    assert body["started_at"] == "2026-03-06T00:03:00+00:00"
    assert body["started_at_local"] == "2026-03-05T18:03:00-06:00"
    error(client.post(f"{base}/start"), 409)
    body = client.post(f"{base}/start", json={"at_local": "2026-03-05T18:00"}).get_json()
    assert body["started_at_local"] == "2026-03-05T18:00:00-06:00"  # corrected

    clock.set(in_session.starts_at + timedelta(minutes=90))
    body = error(client.post(f"{base}/end", json={"at_local": "2026-03-05T17:00"}), 422)
    assert set(body["errors"]) == {"at_local"}
    body = error(client.post(f"{base}/end", json={"at_local": "jueves"}), 422)
    assert set(body["errors"]) == {"at_local"}
    db.session.expire_all()
    assert in_session.ended_at is None
    body = client.post(f"{base}/end", json={"at_local": "2026-03-05T19:25"}).get_json()
    assert (body["started_at_local"], body["ended_at_local"]) == (
        "2026-03-05T18:00:00-06:00",
        "2026-03-05T19:25:00-06:00",
    )


# --- outcomes and recommendations -----------------------------------------------------


def test_outcome_discussed_with_a_recommendation(app, in_session, own_case, referring, chair):
    item = item_for(in_session, own_case)
    client = client_for(app, chair)
    response = client.post(f"/api/v1/agenda-items/{item.id}/outcome", json=RECOMMENDATION)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["item_id"] == item.id and body["agenda_code"] == f"CE 1.{own_case.id}"
    assert (body["outcome"], body["case_status"]) == ("discussed", "recommendation_issued")
    assert body["presented_by"] == referring.name and body["decided_at"]
    recommendation = body["recommendation"]
    assert set(recommendation) == RECOMMENDATION_KEYS
    assert (recommendation["category"], recommendation["consensus"],
            recommendation["dissent"]) == ("referral", True, None)  # fmt: skip
    assert recommendation["agenda_code"] == f"CE 1.{own_case.id}"
    assert recommendation["case_code"] == own_case.code
    assert recommendation["adherence"] is None
    assert PATIENT_REFERENCE not in response.get_data(as_text=True)
    [email] = emails("recommendation_issued")
    assert email.to_address == referring.email

    # A further recommendation, then the case's list as its referring doctor reads it.
    more = client.post(f"/api/v1/agenda-items/{item.id}/recommendations", json={
        "category": "further_studies", "text": "Tipificación HLA de la familia.",
        "responsible": "Banco de sangre, HGR No. 1 Tijuana",
    })  # fmt: skip
    assert more.status_code == 201 and more.get_json()["category"] == "further_studies"
    listed = client_for(app, referring).get(f"/api/v1/cases/{own_case.id}/recommendations")
    assert [r["category"] for r in listed.get_json()] == ["referral", "further_studies"]
    assert audits("recommendation.list")[-1].actor_id == referring.id


def test_outcome_deferred(app, in_session, own_case, chair):
    item = item_for(in_session, own_case)
    response = client_for(app, chair).post(
        f"/api/v1/agenda-items/{item.id}/outcome",
        json={"outcome": "deferred", "reason": "Se acabó el tiempo.", "deferral_reason": "no_time"},
    )
    body = response.get_json()
    assert (
        body["outcome"],
        body["deferral_reason"],
        body["case_status"],
        body["recommendation"],
    ) == (
        "deferred",
        "no_time",
        "accepted",
        None,
    )
    db.session.expire_all()
    assert item.deferral_reason is DeferralReason.NO_TIME
    assert own_case.carry_over == 1 and len(emails("case_deferred")) == 1


def test_a_discussed_outcome_has_no_deferral_reason(app, in_session, own_case, chair):
    item = item_for(in_session, own_case)
    response = client_for(app, chair).post(
        f"/api/v1/agenda-items/{item.id}/outcome",
        json={**RECOMMENDATION, "deferral_reason": "no_time"},  # ignored when discussed
    )
    assert response.status_code == 200
    assert (response.get_json()["outcome"], response.get_json()["deferral_reason"]) == (
        "discussed",
        None,
    )
    db.session.expire_all()
    assert item.deferral_reason is None


def test_outcome_refusals(app, in_session, own_case, foreign_case, referring, specialist, chair):
    own, foreign = item_for(in_session, own_case), item_for(in_session, foreign_case)
    url = f"/api/v1/agenda-items/{own.id}/outcome"
    before = nothing_written()
    error(app.test_client().post(url, json=RECOMMENDATION), 401)
    error(client_for(app, referring).post(url, json=RECOMMENDATION), 403)
    error(client_for(app, referring).post(f"/api/v1/agenda-items/{foreign.id}/outcome",
                                          json=RECOMMENDATION), 404)  # fmt: skip
    error(client_for(app, specialist).post(url, json=RECOMMENDATION), 404)
    error(client_for(app, chair).post("/api/v1/agenda-items/999999/outcome",
                                      json=RECOMMENDATION), 404)  # fmt: skip
    client = client_for(app, chair)
    for data, fields in (
        ({**RECOMMENDATION, "consensus": False}, {"dissent"}),
        ({"outcome": "discussed"}, {"category", "text", "responsible"}),
        ({**RECOMMENDATION, "category": "chemotherapy"}, {"category"}),
        ({"outcome": "deferred"}, {"reason", "deferral_reason"}),
        ({"outcome": "deferred", "reason": "Falta el informe."}, {"deferral_reason"}),
        (
            {"outcome": "deferred", "reason": "Falta.", "deferral_reason": "bored"},
            {"deferral_reason"},
        ),
        ({**RECOMMENDATION, "outcome": "skipped"}, {"outcome"}),
        ({**RECOMMENDATION, "presenter_id": 999999}, {"presenter_id"}),
        ({**RECOMMENDATION, "text": "x" * 5001}, {"text"}),
    ):
        assert set(error(client.post(url, json=data), 422)["errors"]) == fields, data
    assert nothing_written() == before
    db.session.expire_all()
    assert own.outcome is ItemOutcome.PENDING and own_case.status is CaseStatus.SCHEDULED

    assert client.post(url, json=RECOMMENDATION).status_code == 200
    error(client.post(url, json=RECOMMENDATION), 409)
    # A further recommendation needs a discussed entry.
    further = {k: v for k, v in RECOMMENDATION.items() if k != "outcome"}
    error(client.post(f"/api/v1/agenda-items/{foreign.id}/recommendations", json=further), 409)
    # Another centre's case: its recommendations are hidden from the referring doctor.
    error(client_for(app, referring).get(f"/api/v1/cases/{foreign_case.id}/recommendations"), 404)


def test_adherence(app, in_session, own_case, referring, other_referring, chair):
    item = item_for(in_session, own_case)
    body = client_for(app, chair).post(f"/api/v1/agenda-items/{item.id}/outcome",
                                       json=RECOMMENDATION).get_json()  # fmt: skip
    url = f"/api/v1/recommendations/{body['recommendation']['id']}/adherence"
    error(client_for(app, chair).post(url, json={"adherence": "yes"}), 403)
    error(client_for(app, other_referring).post(url, json={"adherence": "yes"}), 404)
    client = client_for(app, referring)
    assert set(error(client.post(url, json={"adherence": "no"}), 422)["errors"]) == {"reason"}
    assert set(error(client.post(url, json={"adherence": "sí"}), 422)["errors"]) == {"adherence"}
    response = client.post(url, json={"adherence": "no", "reason": "La familia rechazó el "
                                      "traslado a Querétaro."})  # fmt: skip
    assert response.status_code == 200
    adherence = response.get_json()["adherence"]
    assert (adherence["value"], adherence["by"]) == ("no", referring.name)
    assert adherence["reason"].startswith("La familia rechazó") and adherence["at"]


def test_the_endpoints_are_in_the_openapi_document(app):
    spec = app.test_client().get("/api/v1/openapi.json").get_json()
    paths = {(path, method) for path, item in spec["paths"].items() for method in item}
    assert {
        ("/api/v1/sessions/{session_id}/attendance", "get"),
        ("/api/v1/sessions/{session_id}/attendance", "post"),
        ("/api/v1/sessions/{session_id}/attendance/{attendance_id}", "delete"),
        ("/api/v1/sessions/{session_id}/start", "post"),
        ("/api/v1/sessions/{session_id}/end", "post"),
        ("/api/v1/cases/{case_id}/recommendations", "get"),
        ("/api/v1/agenda-items/{item_id}/outcome", "post"),
        ("/api/v1/agenda-items/{item_id}/recommendations", "post"),
        ("/api/v1/recommendations/{recommendation_id}/adherence", "post"),
    } <= paths
    schemas = spec["components"]["schemas"]
    outcome = schemas["OutcomeInput"]["properties"]
    assert outcome["outcome"]["enum"] == ["discussed", "deferred"]
    assert "treatment_plan" in outcome["category"]["enum"]
    assert set(outcome["deferral_reason"]["enum"]) >= {"missing_material", "no_time", "other"}
    assert "deferral_reason" in schemas["OutcomeOut"]["properties"]
    assert schemas["AdherenceInput"]["properties"]["adherence"]["enum"] == ["yes", "partly", "no"]
