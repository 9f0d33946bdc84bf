# ruff: noqa: F811  (fixtures imported from the scene are requested by name below)
"""``/api/v1/sessions/<id>/minutes``: a hospital's system reads the minutes, the coordinator's
scripts finalise them and add addenda, with the pages' access rules: hidden → 404, forbidden
→ 403, bad input → 422 naming the field, and nothing written."""

from __future__ import annotations

from sqlalchemy import func, select

from telemed.extensions import db
from telemed.minutes.models import Minutes, MinutesAddendum, MinutesStatus
from tests.conftest import client_for
from tests.scenes.boards import PATIENT_REFERENCE, emails
from tests.scenes.minutes import (  # noqa: F401  (fixtures)
    FOREIGN_RECOMMENDATION,
    HITO,
    OWN_RECOMMENDATION,
    held,
    hito,
)

MINUTES_KEYS = {"session_id", "status", "finalised_at", "finalised_by", "content", "addenda"}
CONTENT_KEYS = {
    "version", "generated_at", "board", "session", "topic", "speaker", "attendance",
    "follow_up", "still_open", "open_referrals", "cases", "general_matters", "agreements",
}  # fmt: skip


def url(held, suffix=""):
    return f"/api/v1/sessions/{held.session.id}/minutes{suffix}"


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_reading_the_minutes(app, held, coordinator):
    response = client_for(app, coordinator).get(url(held))
    assert response.status_code == 200
    body = response.get_json()
    assert set(body) == MINUTES_KEYS
    assert body["session_id"] == held.session.id and body["status"] == "draft"
    assert body["finalised_at"] is None and body["addenda"] == []
    content = body["content"]
    assert set(content) == CONTENT_KEYS
    assert content["board"]["name"] == held.session.board.name
    assert content["session"]["number"] == 1 and content["session"]["date"] == "2026-03-05"
    assert content["session"]["start"] == "2026-03-06T00:02:00+00:00"
    assert content["session"]["end_recorded"] is True
    codes = [(case["agenda_code"], case["outcome"]) for case in content["cases"]]
    assert codes == [
        (f"CE 1.{held.own_case.id}", "discussed"),
        (f"CE 1.{held.foreign_case.id}", "discussed"),
        (f"CE 1.{held.deferred_case.id}", "deferred"),
    ]
    assert content["cases"][0]["referrals"] == [
        {"to_centre": HITO, "transplant_type": "haploidentical", "status": "sent"}
    ]
    assert {entry["role"] for entry in content["attendance"]} >= {"chair", "guest"}
    # Followed up here: the one due by this session (overdue) and the one reported done;
    # the one not yet due is counted, with a line in the annex.
    assert [e["overdue"] for e in content["follow_up"]] == [True, False]
    assert content["still_open"]["count"] == 1 and content["still_open"]["overdue"] == 0
    [line] = content["still_open"]["annex"]
    assert line["id"] == held.follow_up["open"].id and "text" not in line
    assert PATIENT_REFERENCE not in response.get_data(as_text=True)


def test_a_referring_doctor_gets_their_own_cases_review_only(app, held, referring):
    body = client_for(app, referring).get(url(held)).get_json()
    own, foreign, _deferred = body["content"]["cases"]
    assert own["recommendations"][0]["text"] == OWN_RECOMMENDATION
    assert own.get("withheld") is False
    assert foreign["withheld"] is True and foreign["recommendations"] == []
    assert FOREIGN_RECOMMENDATION not in str(body)


def test_access_401_404_403(app, held, specialist, referring):
    anonymous = client_for(app).get(url(held))
    assert anonymous.status_code == 401 and anonymous.get_json()["code"] == 401
    assert client_for(app, specialist).get(url(held)).status_code == 404
    assert client_for(app, specialist).post(url(held, "/finalise")).status_code == 404
    assert client_for(app, referring).get("/api/v1/sessions/99999/minutes").status_code == 404
    refused = client_for(app, referring).post(url(held, "/finalise"))
    assert refused.status_code == 403
    assert "coordinator" in refused.get_json()["message"]
    assert count(Minutes) == 0 and emails("minutes_final") == []


def test_finalising_then_again(app, held, coordinator):
    browser = client_for(app, coordinator)
    done = browser.post(url(held, "/finalise"))
    assert done.status_code == 200
    body = done.get_json()
    assert body["status"] == "final" and body["finalised_by"] == coordinator.name
    assert body["finalised_at"].startswith("2026-03-06T00:00:00")
    sent = len(emails("minutes_final"))
    assert sent == 5
    again = browser.post(url(held, "/finalise"))
    assert again.status_code == 409
    assert again.get_json()["message"] == (
        "These minutes are already final; corrections go in an addendum."
    )
    assert len(emails("minutes_final")) == sent


def test_addenda(app, held, coordinator, referring):
    browser = client_for(app, coordinator)
    draft = browser.post(url(held, "/addenda"), json={"text": "Corrección temprana"})
    assert draft.status_code == 409
    browser.post(url(held, "/finalise"))

    for body, field in (({}, "text"), ({"text": ""}, "text"), ({"text": "x" * 5001}, "text"),
                        ({"text": "Válida", "extra": 1}, "extra")):  # fmt: skip
        bad = browser.post(url(held, "/addenda"), json=body)
        assert bad.status_code == 422, body
        assert field in bad.get_json()["errors"], body
    assert browser.post(url(held, "/addenda"), data="text").status_code == 400
    assert client_for(app, referring).post(
        url(held, "/addenda"), json={"text": "Corrección del referente"}
    ).status_code == 403  # fmt: skip
    assert count(MinutesAddendum) == 0

    created = browser.post(url(held, "/addenda"), json={"text": "La sesión terminó 19:25."})
    assert created.status_code == 201
    addendum = created.get_json()
    assert set(addendum) == {"id", "text", "author", "at"}
    assert addendum["author"] == coordinator.name and addendum["text"] == "La sesión terminó 19:25."
    listed = browser.get(url(held)).get_json()
    assert listed["addenda"] == [addendum] and listed["status"] == MinutesStatus.FINAL.value


def test_the_endpoints_are_in_the_openapi_document(app):
    spec = app.test_client().get("/api/v1/openapi.json").get_json()
    paths = spec["paths"]
    assert "get" in paths["/api/v1/sessions/{session_id}/minutes"]
    assert "post" in paths["/api/v1/sessions/{session_id}/minutes/finalise"]
    post = paths["/api/v1/sessions/{session_id}/minutes/addenda"]["post"]
    assert "201" in post["responses"] and "requestBody" in post
    schemas = spec["components"]["schemas"]
    assert schemas["MinutesAddendumInput"]["properties"]["text"]["maxLength"] == 5000
    content = schemas["MinutesContent"]["properties"]
    assert set(content) == CONTENT_KEYS
    assert schemas["MinutesCase"]["properties"]["outcome"]["enum"]
