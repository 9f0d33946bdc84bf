"""``/api/v1/agreements``: record, list (by board, session, open, overdue) and mark done, with
the access of the room: members and coordinators record, the owner may also mark done, and
a referring doctor reads the text of agreements about their own centre's cases only."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from telemed.agreements import service
from telemed.agreements.models import Agreement
from telemed.auth.models import Role
from telemed.extensions import db
from tests.api.test_cases_api import bearer_client
from tests.conftest import client_for, committed
from tests.scenes.boards import sessions_of, utc
from tests.scenes.referrals import audit_actions, counts, mails_to

KEYS = {
    "id", "board_id", "board", "session_id", "session_number", "case_id", "case_code", "text",
    "owner_id", "owner_name", "owner_unit", "due_date", "overdue", "created_at", "created_by",
    "done", "done_at", "done_by", "done_note", "done_session_id",
}  # fmt: skip


def body(session, **fields: Any) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    data: dict[str, Any] = {"session_id": session.id, "text": "Solicitar revisión de laminillas.",
                            "owner_unit": "Patología", "due_date": "2026-03-12"}  # fmt: skip
    data.update(fields)
    return data


def test_a_member_records_an_agreement(app, in_session, own_case, chair, radiologist):
    client = bearer_client(app, chair)
    response = client.post("/api/v1/agreements", json=body(
        in_session, owner_id=radiologist.id, case_id=own_case.id,
    ))  # fmt: skip
    assert response.status_code == 201, response.get_json()
    created = response.get_json()
    assert set(created) == KEYS
    assert created["session_number"] == in_session.number
    assert (created["owner_id"], created["owner_name"], created["owner_unit"]) == (
        radiologist.id, radiologist.name, "Patología",
    )  # fmt: skip
    assert (created["case_id"], created["case_code"]) == (own_case.id, "CE-0001")
    assert (created["done"], created["overdue"], created["due_date"]) == (False, False,
                                                                          "2026-03-12")  # fmt: skip
    assert created["created_by"] == chair.name
    assert len(mails_to(radiologist, "agreement")) == 1
    assert audit_actions("agreement") == ["agreement.create"]


def test_recording_answers_401_403_and_422_and_writes_nothing(
    app, in_session, board, chair, referring, make_user
):
    before = counts()
    assert app.test_client().post("/api/v1/agreements", json=body(in_session)).status_code == 401
    response = client_for(app, referring).post("/api/v1/agreements", json=body(in_session))
    assert response.status_code == 403
    stranger = make_user(Role.SPECIALIST, email="otra@hospital.test")
    response = client_for(app, stranger).post("/api/v1/agreements", json=body(in_session))
    assert response.status_code == 422 and "session_id" in response.get_json()["errors"]
    client = client_for(app, chair)
    for data, field in [
        (body(in_session, owner_unit=None), "owner_id"),
        (body(in_session, owner_id=stranger.id), "owner_id"),
        (body(in_session, due_date="2026-03-01"), "due_date"),
        (body(in_session, due_date=None), "due_date"),
        (body(in_session, case_id=999), "case_id"),
        (body(in_session, text=""), "text"),
        (body(in_session, session_id=999), "session_id"),
        (body(in_session, colour="red"), "colour"),
    ]:
        response = client.post("/api/v1/agreements", json=data)
        assert response.status_code == 422, data
        assert field in response.get_json()["errors"], (field, response.get_json())
    assert counts() == before


def test_lists_filter_by_board_session_open_and_overdue(
    app, board, in_session, own_case, foreign_case, chair, coordinator, referring, make_board,
    make_user, clock,
):  # fmt: skip
    first, second = sessions_of(board)[:2]
    early = service.record_agreement(chair, first, {
        "text": "Confirmar inmunofenotipo.", "owner_unit": "Hematología",
        "due_date": "2026-03-09", "case_id": own_case.id,
    })  # fmt: skip
    later = service.record_agreement(chair, first, {
        "text": "Presentar protocolo de Cancún.", "owner_id": referring.id,
        "due_date": "2026-03-30", "case_id": foreign_case.id,
    })  # fmt: skip
    general = service.record_agreement(chair, second, {
        "text": "Actualizar directorio.", "owner_unit": "Coordinación", "due_date": "2026-03-31",
    })  # fmt: skip
    client = client_for(app, coordinator)

    page = client.get("/api/v1/agreements").get_json()
    assert set(page) == {"items", "page", "per_page", "total", "pages"}
    assert [a["id"] for a in page["items"]] == [early.id, later.id, general.id]
    assert set(page["items"][0]) == KEYS
    page = client.get("/api/v1/agreements?per_page=2&page=2").get_json()
    assert (page["total"], page["pages"]) == (3, 2)
    assert [a["id"] for a in page["items"]] == [general.id]

    def ids(query: str, reader=client) -> list[int]:  # type: ignore[no-untyped-def]
        response = reader.get(f"/api/v1/agreements?{query}")
        assert response.status_code == 200, response.get_json()
        return [a["id"] for a in response.get_json()["items"]]

    assert ids(f"session_id={second.id}") == [general.id]
    assert ids(f"board_id={board.id}") == [early.id, later.id, general.id]
    assert ids("board_id=999") == []
    assert ids("overdue=true") == []
    clock.set(utc(2026, 3, 10, 6, 30))  # Tuesday 00:30 in Mexico City: Monday's is overdue
    assert ids("overdue=true") == [early.id]
    assert ids("overdue=false") == [later.id, general.id]
    service.mark_done(chair, early, {})
    assert ids("open=true") == [later.id, general.id]
    assert ids("open=false") == [early.id]
    assert ids("overdue=true") == []
    assert client.get("/api/v1/agreements?open=perhaps").status_code == 422

    # A referring doctor sees the sessions with their centre's cases (not the second one);
    # the text only of agreements about their own cases or none.
    response = client_for(app, referring).get("/api/v1/agreements").get_json()
    texts = {a["id"]: a["text"] for a in response["items"]}
    assert texts == {early.id: "Confirmar inmunofenotipo.", later.id: None}
    stranger = make_user(Role.SPECIALIST, email="ajena@hospital.test")
    assert ids("", reader=client_for(app, stranger)) == []
    assert app.test_client().get("/api/v1/agreements").status_code == 401


def test_marking_done_over_the_api(
    app, board, in_session, own_case, chair, referring, other_referring, make_user
):
    agreement = committed(service.record_agreement(chair, in_session, {
        "text": "Enviar laminillas.", "owner_id": referring.id, "due_date": "2026-03-12",
        "case_id": own_case.id,
    }))  # fmt: skip
    url = f"/api/v1/agreements/{agreement.id}/done"
    before = counts()
    assert app.test_client().post(url, json={}).status_code == 401
    assert client_for(app, other_referring).post(url, json={}).status_code == 403
    stranger = make_user(Role.SPECIALIST, email="nadie@hospital.test")
    assert client_for(app, stranger).post(url, json={}).status_code == 404
    assert client_for(app, chair).post("/api/v1/agreements/999/done", json={}).status_code == 404
    response = client_for(app, chair).post(url, json={"session_id": 999})
    assert response.status_code == 422 and "session_id" in response.get_json()["errors"]
    response = client_for(app, chair).post(url, json={"note": "x" * 2001})
    assert response.status_code == 422 and "note" in response.get_json()["errors"]
    assert counts() == before

    response = bearer_client(app, referring).post(url, json={"note": "Enviadas el martes."})
    assert response.status_code == 200
    done = response.get_json()
    assert (done["done"], done["done_by"]) == (True, referring.name)
    assert done["done_note"] == "Enviadas el martes."
    assert done["done_session_id"] == in_session.id  # the session in progress reports it
    response = client_for(app, chair).post(url)
    assert response.status_code == 409
    assert response.get_json()["message"] == "This agreement is already marked done."
    db.session.expire_all()
    assert db.session.scalars(select(Agreement)).one().done_by_id == referring.id
    assert "agreement.done" in audit_actions("agreement", agreement.id)


def test_the_openapi_document_describes_the_agreement_endpoints(app):
    spec = app.test_client().get("/api/v1/openapi.json").get_json()
    for path, method in [("/api/v1/agreements", "get"), ("/api/v1/agreements", "post"),
                         ("/api/v1/agreements/{agreement_id}/done", "post")]:  # fmt: skip
        assert spec["paths"][path][method]["summary"], (path, method)
    filters = {p["name"] for p in spec["paths"]["/api/v1/agreements"]["get"]["parameters"]}
    assert filters >= {"board_id", "session_id", "open", "overdue", "page", "per_page"}
