"""``GET /api/v1/stats``: the page's figures as JSON, with the page's access rules."""

from __future__ import annotations

import pytest

from telemed.auth.models import Role
from tests.conftest import client_for
from tests.reports.dataset import OCTOBER


def test_administrator_gets_every_view_with_definitions(network, admin, app):
    body = client_for(app, admin).get("/api/v1/stats?period=all").get_json()
    assert body["period"] == {"kind": "all", "first": None, "last": None}
    assert set(body["views"]) == {
        "overview", "cases", "turnaround", "referrals", "sessions", "outcomes",
    }  # fmt: skip
    overview = body["views"]["overview"]["figures"]
    assert overview["sessions_held"]["value"] == 6  # as on the page (test_figures)
    assert overview["examined"]["value"] == 10
    assert "first discussed" in overview["examined"]["definition"]
    hito = body["views"]["referrals"]["tables"]["referred_to_hito"]
    assert hito["columns"] == ["centre", "patients"]
    assert hito["rows"][-1]["patients"] == 9  # 5 from La Raza + 4 from Siglo XXI


def test_one_view_for_a_custom_month(network, admin, app):
    query = "&".join(f"{k}={v}" for k, v in OCTOBER.items())
    body = client_for(app, admin).get(f"/api/v1/stats?view=cases&{query}").get_json()
    assert list(body["views"]) == ["cases"]
    assert body["period"] == {"kind": "custom", "first": "2026-10-01", "last": "2026-10-31"}
    assert body["views"]["cases"]["figures"]["submitted"]["value"] == 8


def test_coordinator_counts_only_their_boards(network, coordinator, app):
    body = client_for(app, coordinator).get("/api/v1/stats?view=overview&period=all").get_json()
    assert body["views"]["overview"]["figures"]["submitted"]["value"] == 10
    other_board = network.boards["TJ"].id
    response = client_for(app, coordinator).get(f"/api/v1/stats?period=all&board={other_board}")
    assert response.status_code == 422
    assert "board" in response.get_json()["errors"]


@pytest.mark.parametrize("role", [Role.REFERRING, Role.SPECIALIST])
def test_clinicians_are_refused(network, app, make_user, role):
    clinician = make_user(role, centre_id=network.centres["RAZA"].id)
    response = client_for(app, clinician).get("/api/v1/stats?period=all")
    assert response.status_code == 403


def test_anonymous_must_authenticate(network, app):
    assert client_for(app).get("/api/v1/stats").status_code == 401


@pytest.mark.parametrize(
    ("query", "field"),
    [("period=decade", "period"), ("view=everything", "view"), ("period=custom&from=2026-10-01",
     "to"), ("centre=abc", "centre")],
)  # fmt: skip
def test_bad_query_names_the_field(network, admin, app, query, field):
    response = client_for(app, admin).get(f"/api/v1/stats?{query}")
    assert response.status_code == 422
    assert any(key.split(".")[0] == field for key in response.get_json()["errors"])


def test_documented_in_openapi(app):
    spec = app.test_client().get("/api/v1/openapi.json").get_json()
    operation = spec["paths"]["/api/v1/stats"]["get"]
    names = {p["name"] for p in operation["parameters"]}
    assert {"period", "from", "to", "board", "centre", "state", "view"} <= names
