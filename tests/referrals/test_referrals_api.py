# ruff: noqa: F811  (fixtures imported from referral_support are requested by name below)
"""A hospital's system follows referrals through ``/api/v1/referrals`` with the access rules
of the pages: the receiving centre gets the case summary only, each side takes only its
own steps, and refused requests write nothing."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select

from telemed.extensions import db
from telemed.referrals.models import Referral, ReferralStatus
from tests.api.test_cases_api import bearer_client
from tests.conftest import client_for
from tests.scenes.boards import PATIENT_REFERENCE
from tests.scenes.referrals import (  # noqa: F401  (fixtures)
    audit_actions,
    counts,
    hito_doctor,
    network,
    recommend,
)

REASON = "Candidata a trasplante haploidéntico tras recaída medular temprana."
LIST_KEYS = {
    "id", "case_id", "case_code", "status", "from_centre", "to_centre", "needs",
    "transplant_type", "scheduled_for", "created_at", "updated_at",
}  # fmt: skip
DETAIL_KEYS = LIST_KEYS | {
    "reason", "pending_studies", "case", "steps", "recommendation_id", "actions", "can_add_note",
}  # fmt: skip
SUMMARY_KEYS = {
    "code", "age_years", "age_months", "sex", "icd10_code", "diagnosis_text", "stage", "question",
}  # fmt: skip


def payload(recommendation, centre, **overrides: Any) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    data: dict[str, Any] = {
        "recommendation_id": recommendation.id, "needs": ["has_transplant_unit"],
        "transplant_type": "haploidentical", "to_centre_id": centre.id, "reason": REASON,
        "send": True,
    }  # fmt: skip
    data.update(overrides)
    return data


def test_a_board_member_refers_a_patient_to_hito(
    app, in_session, own_case, chair, coordinator, network
):
    recommendation = recommend(in_session, own_case, chair, discuss_as=coordinator)
    response = client_for(app, chair).post(
        "/api/v1/referrals", json=payload(recommendation, network["hito"])
    )
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert set(body) == DETAIL_KEYS
    assert body["status"] == "sent"
    assert body["case_id"] == own_case.id and body["case_code"] == "CE-0001"
    assert body["recommendation_id"] == recommendation.id
    assert body["to_centre"]["code"] == "HITO"
    assert body["from_centre"]["code"] == "OC-BC-TIJ"
    assert (body["needs"], body["transplant_type"]) == (["has_transplant_unit"], "haploidentical")
    assert [(s["from_status"], s["to_status"]) for s in body["steps"]] == [
        (None, "proposed"),
        ("proposed", "sent"),
    ]
    assert body["actions"] == ["cancelled"]
    assert set(body["case"]) == SUMMARY_KEYS
    assert PATIENT_REFERENCE not in json.dumps(body)


def test_the_workflow_over_the_api(
    app, in_session, own_case, chair, coordinator, referring, hito_doctor, network
):
    recommendation = recommend(in_session, own_case, chair, discuss_as=coordinator)
    created = client_for(app, chair).post(
        "/api/v1/referrals", json=payload(recommendation, network["hito"], send=False)
    )
    referral_id = created.get_json()["id"]
    assert created.get_json()["status"] == "proposed"
    hito = bearer_client(app, hito_doctor)
    doctor = bearer_client(app, referring)
    url = f"/api/v1/referrals/{referral_id}"
    assert hito.get(url).status_code == 404  # not sent yet

    assert doctor.post(f"{url}/status", json={"status": "sent"}).get_json()["status"] == "sent"
    detail = hito.get(url).get_json()
    assert detail["actions"] == ["accepted", "declined"] and detail["can_add_note"] is True
    steps = [
        {"status": "accepted", "note": "Recibida."},
        {"status": "under_evaluation", "pending_studies": "HLA de la madre."},
        {"status": "scheduled", "scheduled_for": "2026-04-15"},
        {"status": "completed"},
    ]
    for body in steps:
        response = hito.post(f"{url}/status", json=body)
        assert response.status_code == 200, (body, response.get_json())
        assert response.get_json()["status"] == body["status"]
    response = doctor.post(f"{url}/notes", json={"note": "Gracias; seguimiento local."})
    assert response.status_code == 201
    body = response.get_json()
    assert body["steps"][-1]["note"] == "Gracias; seguimiento local."
    assert body["steps"][-1]["to_status"] is None
    assert body["steps"][-1]["actor"] == referring.name
    assert body["status"] == "completed" and body["actions"] == []
    assert body["scheduled_for"] == "2026-04-15" and body["pending_studies"] == "HLA de la madre."


def test_the_receiving_centre_gets_the_summary_only(
    app, in_session, own_case, chair, coordinator, hito_doctor, network
):
    recommendation = recommend(in_session, own_case, chair, discuss_as=coordinator)
    client_for(app, chair).post("/api/v1/referrals", json=payload(recommendation, network["hito"]))
    referral = db.session.scalars(select(Referral)).one()
    hito = client_for(app, hito_doctor)

    body = hito.get(f"/api/v1/referrals/{referral.id}").get_json()
    assert set(body) == DETAIL_KEYS
    assert body["case_id"] is None and body["recommendation_id"] is None
    assert body["case"] == {
        "code": "CE-0001", "age_years": 7, "age_months": 4, "sex": "female",
        "icd10_code": "C91.0", "diagnosis_text": "Leucemia linfoblástica aguda de precursores B",
        "stage": "Riesgo alto",
        "question": "¿Es candidata a trasplante haploidéntico tras recaída medular temprana?",
    }  # fmt: skip
    assert PATIENT_REFERENCE not in json.dumps(body)
    assert "referral.view" in audit_actions("referral", referral.id)
    assert hito.get(f"/api/v1/cases/{own_case.id}").status_code == 404

    page = hito.get("/api/v1/referrals").get_json()
    assert set(page) == {"items", "page", "per_page", "total", "pages"}
    assert page["total"] == 1
    assert set(page["items"][0]) == LIST_KEYS
    assert page["items"][0]["case_id"] is None


def test_list_filters_by_status_and_pages(
    app, in_session, own_case, foreign_case, chair, coordinator, network
):
    first = recommend(in_session, own_case, chair, discuss_as=coordinator)
    second = recommend(in_session, foreign_case, chair, discuss_as=coordinator)
    client = client_for(app, coordinator)
    client.post("/api/v1/referrals", json=payload(first, network["hito"]))
    client.post("/api/v1/referrals", json=payload(second, network["hito"], send=False))

    assert client.get("/api/v1/referrals").get_json()["total"] == 2
    sent = client.get("/api/v1/referrals?status=sent").get_json()
    assert [item["case_code"] for item in sent["items"]] == ["CE-0001"]
    page = client.get("/api/v1/referrals?per_page=1&page=2").get_json()
    assert (page["total"], page["pages"], len(page["items"])) == (2, 2, 1)
    response = client.get("/api/v1/referrals?status=lost")
    assert response.status_code == 422 and "status" in response.get_json()["errors"]


def test_access_answers_401_403_404_and_409(
    app, in_session, own_case, chair, coordinator, referring, other_referring, hito_doctor,
    network,
):  # fmt: skip
    recommendation = recommend(in_session, own_case, chair, discuss_as=coordinator)
    client_for(app, chair).post("/api/v1/referrals", json=payload(recommendation, network["hito"]))
    referral = db.session.scalars(select(Referral)).one()
    url = f"/api/v1/referrals/{referral.id}"

    anonymous = app.test_client()
    for path in ("/api/v1/referrals", url, "/api/v1/referrals/suggestions?case_id=1"):
        assert anonymous.get(path).status_code == 401, path
    assert anonymous.post(f"{url}/status", json={"status": "accepted"}).status_code == 401

    before = counts()
    doctor, hito = client_for(app, referring), client_for(app, hito_doctor)
    response = doctor.post(f"{url}/status", json={"status": "accepted"})
    assert response.status_code == 403
    assert response.get_json()["message"] == "Only the receiving centre can take this step."
    response = hito.post(f"{url}/status", json={"status": "cancelled", "note": "No."})
    assert response.status_code == 403
    response = hito.post(f"{url}/status", json={"status": "completed"})
    assert response.status_code == 409
    assert response.get_json()["message"] == (
        "This referral is sent, so it cannot be moved to completed."
    )
    stranger = client_for(app, other_referring)
    assert stranger.get(url).status_code == 404
    assert stranger.post(f"{url}/notes", json={"note": "x"}).status_code == 404
    assert stranger.get("/api/v1/referrals").get_json()["total"] == 0
    assert client_for(app, chair).get("/api/v1/referrals/999").status_code == 404
    # Only the board refers: the case's own doctor may not.
    response = doctor.post("/api/v1/referrals", json=payload(recommendation, network["siglo_xxi"]))
    assert response.status_code == 403
    assert counts() == before


def test_bad_input_is_a_422_and_writes_nothing(
    app, in_session, own_case, foreign_case, chair, coordinator, hito_doctor, other_referring,
    network,
):  # fmt: skip
    recommendation = recommend(in_session, own_case, chair, discuss_as=coordinator)
    other = recommend(in_session, foreign_case, chair, discuss_as=coordinator)
    client = client_for(app, chair)
    before = counts()
    refused = [
        (payload(recommendation, network["la_raza"]), "to_centre_id"),
        (payload(recommendation, network["hito"], transplant_type=None), "transplant_type"),
        (payload(recommendation, network["hito"], transplant_type="xenogeneic"),
         "transplant_type"),
        (payload(recommendation, network["hito"], reason="x"), "reason"),
        (payload(recommendation, network["hito"], needs=["has_helipad"]), "needs.0"),
        (payload(recommendation, network["hito"], recommendation_id=9999), "recommendation_id"),
        (payload(recommendation, network["hito"], colour="blue"), "colour"),
        ({**payload(recommendation, network["hito"]), "to_centre_id": None}, "to_centre_id"),
    ]  # fmt: skip
    for body, field in refused:
        response = client.post("/api/v1/referrals", json=body)
        assert response.status_code == 422, body
        assert field in response.get_json()["errors"], (field, response.get_json())
    assert client.post("/api/v1/referrals", data="x").status_code == 400
    # A recommendation on a case the caller cannot see is not found either.
    stranger_view = client_for(app, hito_doctor).post(
        "/api/v1/referrals", json=payload(other, network["siglo_xxi"])
    )
    assert stranger_view.status_code == 422
    assert "recommendation_id" in stranger_view.get_json()["errors"]
    assert counts() == before

    client.post("/api/v1/referrals", json=payload(recommendation, network["hito"]))
    referral = db.session.scalars(select(Referral)).one()
    hito = client_for(app, hito_doctor)
    hito.post(f"/api/v1/referrals/{referral.id}/status", json={"status": "accepted"})
    before = counts()
    url = f"/api/v1/referrals/{referral.id}/status"
    for body, field in [
        ({"status": "scheduled", "scheduled_for": "2026-03-01"}, "scheduled_for"),
        ({"status": "scheduled"}, "scheduled_for"),
        ({"status": "scheduled", "scheduled_for": "soon"}, "scheduled_for"),
        ({"status": "under_evaluation"}, "pending_studies"),
        (
            {"status": "scheduled", "scheduled_for": "2026-04-01", "pending_studies": "HLA"},
            "pending_studies",
        ),
        ({"status": "proposed"}, "status"),
        ({}, "status"),
    ]:
        response = hito.post(url, json=body)
        assert response.status_code == 422, body
        assert field in response.get_json()["errors"], body
    response = hito.post(f"/api/v1/referrals/{referral.id}/notes", json={"note": ""})
    assert response.status_code == 422 and "note" in response.get_json()["errors"]
    assert counts() == before
    db.session.expire_all()
    assert referral.status is ReferralStatus.ACCEPTED


def test_suggestions_follow_the_needs_and_put_hito_first_for_a_transplant(
    app, in_session, own_case, chair, other_referring, network
):
    client = client_for(app, chair)
    base = f"/api/v1/referrals/suggestions?case_id={own_case.id}"
    body = client.get(f"{base}&needs=has_transplant_unit").get_json()
    assert [c["code"] for c in body] == ["HITO", "UMAE-SXXI"]
    assert set(body[0]) == {"id", "code", "name", "kind", "state", "city", "capabilities"}
    assert "has_transplant_unit" in body[0]["capabilities"]
    assert [c["code"] for c in client.get(f"{base}&transplant_type=autologous").get_json()] == [
        "HITO", "UMAE-SXXI",
    ]  # fmt: skip
    both = client.get(f"{base}&needs=has_linear_accelerator,has_neurosurgery").get_json()
    assert [c["code"] for c in both] == ["UMAE-LR", "UMAE-SXXI", "OC-AGS"]
    repeated = f"{base}&needs=has_linear_accelerator&needs=has_neurosurgery"
    assert client.get(repeated).get_json() == both

    response = client.get(f"{base}&needs=has_helipad")
    assert response.status_code == 422
    assert client.get("/api/v1/referrals/suggestions").status_code == 422
    # Suggestions for a case the caller cannot see are not found.
    stranger = client_for(app, other_referring)
    assert stranger.get(f"{base}&needs=has_ct").status_code == 404


def test_the_openapi_document_describes_the_referral_endpoints(app):
    spec = app.test_client().get("/api/v1/openapi.json").get_json()
    paths = spec["paths"]
    expected = {
        ("/api/v1/referrals", "get"), ("/api/v1/referrals", "post"),
        ("/api/v1/referrals/suggestions", "get"),
        ("/api/v1/referrals/{referral_id}", "get"),
        ("/api/v1/referrals/{referral_id}/status", "post"),
        ("/api/v1/referrals/{referral_id}/notes", "post"),
    }  # fmt: skip
    for path, method in expected:
        assert paths[path][method]["summary"], (path, method)
    create = spec["components"]["schemas"]["ReferralCreateInput"]["properties"]
    assert create["transplant_type"]["enum"][:4] == [
        "haploidentical", "related_allogeneic", "unrelated_allogeneic", "autologous",
    ]  # fmt: skip
    step = spec["components"]["schemas"]["ReferralStepInput"]["properties"]
    assert "proposed" not in step["status"]["enum"]
