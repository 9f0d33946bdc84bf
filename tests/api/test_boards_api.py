"""A hospital's system and a coordinator's scripts use boards, sessions and agendas through
``/api/v1``.

The solid-tumour board meets on Thursdays at 18:00 Mexico City; on Monday 2 March 2026 the
job has created its next eight sessions (numbers 1 to 8). A Tijuana case and a Cancún case
are accepted and placed on Thursday 5 March's agenda. Each caller sees only the sessions
and cases they should; coordinators change sessions and agendas; bad input is answered
with the fields to correct and nothing is written.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, time
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from telemed.audit.models import AuditEntry
from telemed.auth.models import Discipline, Role, User
from telemed.boards.models import Board, BoardMember, BoardSpecialty, MemberRole, SessionKind
from telemed.cases import service as case_service
from telemed.cases.models import Case, CaseStatus
from telemed.centres.models import Centre
from telemed.extensions import db as _db
from telemed.sessions.assignment import assign_cases
from telemed.sessions.models import AgendaItem, BoardSession, ItemOutcome
from telemed.sessions.service import generate_sessions
from tests.conftest import client_for

PATIENT_REFERENCE = "NSS-4455667788"  # what case_payload() sends; never in these answers

BOARD_KEYS = {
    "id", "name", "kind", "active", "specialties", "timezone", "rrule", "dtstart",
    "duration_minutes", "minutes_per_case", "case_capacity", "cutoff", "quorum_disciplines",
    "coordinator", "members",
}  # fmt: skip
SESSION_KEYS = {
    "id", "board_id", "board", "number", "kind", "status", "extraordinary", "starts_at",
    "ends_at", "cutoff_at", "timezone", "starts_at_local", "capacity", "booked", "room_url",
    "topic", "speaker", "audience", "sequence",
}  # fmt: skip
DETAIL_KEYS = SESSION_KEYS | {"agenda", "order_of_business", "order_final"}
ENTRY_KEYS = {
    "id", "position", "agenda_code", "case_id", "case_code", "urgency", "pinned",
    "carried_over", "outcome",
}  # fmt: skip


# --- the scene ------------------------------------------------------------------------


@pytest.fixture
def chair(make_user: Callable[..., User]) -> User:
    return make_user(Role.SPECIALIST, email="presidenta@hospital.test", name="Dra. Presidenta")


@pytest.fixture
def board(coordinator: User, chair: User) -> Board:
    """The solid-tumour board with its chair, and its sessions for the next eight weeks."""
    made = Board(
        name="Comité de tumores sólidos", kind=SessionKind.CASE_REVIEW, coordinator=coordinator,
        timezone="America/Mexico_City", rrule="FREQ=WEEKLY;BYDAY=TH;BYHOUR=18;BYMINUTE=0",
        dtstart=datetime(2026, 1, 1, 18, 0), duration_minutes=90, minutes_per_case=10,
        cutoff_days_before=2, cutoff_time=time(23, 59),
        room_url_pattern="https://video.telemed.local/comite-{board}/sesion-{session}",
        quorum_disciplines=["paediatric_oncology", "radiology"], next_session_number=1,
        active=True,
    )  # fmt: skip
    made.specialties = [BoardSpecialty(specialty="solid_tumours")]
    made.members = [
        BoardMember(user=chair, role=MemberRole.CHAIR, discipline=Discipline.PAEDIATRIC_ONCOLOGY)
    ]
    _db.session.add(made)
    _db.session.commit()
    generate_sessions()
    return made


@pytest.fixture
def accepted(make_case: Callable[..., Case], coordinator: User) -> Callable[..., Case]:
    """A routine solid-tumour case sent by ``by`` (the Tijuana doctor) and accepted."""

    def factory(by: User | None = None, **overrides: Any) -> Case:
        values = {"specialty": "solid_tumours", "urgency": "routine", **overrides}
        case = make_case(by=by, **values)
        return case_service.transition(coordinator, case, "accept")

    return factory


@pytest.fixture
def placed(board: Board, accepted: Callable[..., Case], referring: User, other_referring: User):  # type: ignore[no-untyped-def]
    """Tijuana's case and Cancún's case on the agenda of session 1 (Thursday 5 March)."""
    ours = accepted(by=referring)
    theirs = accepted(by=other_referring)
    report = assign_cases()
    assert report.placed == 2
    return ours, theirs


def session_number(board: Board, number: int) -> BoardSession:
    return _db.session.scalars(
        select(BoardSession).where(BoardSession.board_id == board.id, BoardSession.number == number)
    ).one()


def counts() -> tuple[int, int, int]:
    """Sessions, pending agenda entries, scheduled cases: what a refused request leaves."""
    _db.session.expire_all()
    return (
        _db.session.scalar(select(func.count(BoardSession.id))),
        _db.session.scalar(
            select(func.count(AgendaItem.id)).where(AgendaItem.outcome == ItemOutcome.PENDING)
        ),
        _db.session.scalar(select(func.count(Case.id)).where(Case.status == CaseStatus.SCHEDULED)),
    )


def assert_error(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.get_data(as_text=True)
    body = response.get_json()
    assert body["code"] == status and body["message"]
    return body


# --- boards ---------------------------------------------------------------------------


def test_any_logged_in_user_lists_the_boards(app: Flask, board, referring, coordinator, chair):
    response = client_for(app, referring).get("/api/v1/boards")
    assert response.status_code == 200
    [item] = response.get_json()
    assert set(item) == BOARD_KEYS
    assert item == {
        "id": board.id, "name": "Comité de tumores sólidos", "kind": "case_review",
        "active": True, "specialties": ["solid_tumours"], "timezone": "America/Mexico_City",
        "rrule": "FREQ=WEEKLY;BYDAY=TH;BYHOUR=18;BYMINUTE=0",
        "dtstart": "2026-01-01T18:00:00-06:00",  # the wall time, with its offset that day
        "duration_minutes": 90, "minutes_per_case": 10, "case_capacity": 9,
        "cutoff": {"days_before": 2, "time": "23:59"},
        "quorum_disciplines": ["paediatric_oncology", "radiology"],
        "coordinator": coordinator.name,
        "members": [{"user_id": chair.id, "name": "Dra. Presidenta", "role": "chair",
                     "discipline": "paediatric_oncology"}],
    }  # fmt: skip
    one = client_for(app, referring).get(f"/api/v1/boards/{board.id}")
    assert one.status_code == 200 and one.get_json() == item
    assert_error(client_for(app, referring).get(f"/api/v1/boards/{board.id + 99}"), 404)


def test_the_api_needs_a_login(app: Flask, board):
    anonymous = app.test_client()
    for path in ("/api/v1/boards", "/api/v1/sessions", f"/api/v1/boards/{board.id}"):
        response = anonymous.get(path)
        assert response.status_code == 401, path
        assert response.is_json
    assert anonymous.post("/api/v1/assignments").status_code == 401


# --- sessions: shapes, times, paging --------------------------------------------------


def test_session_detail_shows_times_agenda_and_order_of_business(
    app: Flask, board, placed, coordinator
):
    ours, theirs = placed
    first = session_number(board, 1)
    response = client_for(app, coordinator).get(f"/api/v1/sessions/{first.id}")
    assert response.status_code == 200
    body = response.get_json()
    assert set(body) == DETAIL_KEYS
    assert (body["number"], body["status"], body["kind"]) == (1, "planned", "case_review")
    # Thursday 18:00 in Mexico City (UTC-6, no DST since 2022) is Friday 00:00 UTC.
    assert body["starts_at"] == "2026-03-06T00:00:00+00:00"
    assert body["ends_at"] == "2026-03-06T01:30:00+00:00"
    assert body["starts_at_local"] == "2026-03-05T18:00:00-06:00"
    assert body["timezone"] == "America/Mexico_City"
    # The agenda closes on Tuesday 3 March at 23:59 board time.
    assert body["cutoff_at"] == "2026-03-04T05:59:00+00:00"
    assert (body["capacity"], body["booked"]) == (9, 2)
    assert body["room_url"] == f"https://video.telemed.local/comite-{board.id}/sesion-1"
    assert body["board"] == "Comité de tumores sólidos" and body["board_id"] == board.id

    assert [set(entry) for entry in body["agenda"]] == [ENTRY_KEYS, ENTRY_KEYS]
    assert [
        (e["position"], e["agenda_code"], e["case_id"], e["case_code"], e["urgency"],
         e["pinned"], e["carried_over"], e["outcome"])
        for e in body["agenda"]
    ] == [
        (1, f"CE 1.{ours.id}", ours.id, ours.code, "routine", False, False, "pending"),
        (2, f"CE 1.{theirs.id}", theirs.id, theirs.code, "routine", False, False, "pending"),
    ]  # fmt: skip
    sections = {s["key"]: s for s in body["order_of_business"]}
    assert [s["key"] for s in body["order_of_business"]] == [
        "welcome", "follow_up", "cases", "general", "agreements", "close",
    ]  # fmt: skip
    assert sections["cases"]["entries"] == [f"CE 1.{ours.id}", f"CE 1.{theirs.id}"]
    assert sections["cases"]["title"] == "Review of specific cases"
    assert body["order_final"] is False
    assert PATIENT_REFERENCE not in response.get_data(as_text=True)


def test_sessions_are_paged_and_filtered(app: Flask, board, coordinator, clock):
    client = client_for(app, coordinator)
    body = client.get("/api/v1/sessions?per_page=3").get_json()
    assert set(body) == {"items", "page", "per_page", "next", "total", "total_exact"}
    assert (body["page"], body["per_page"], body["total"], body["total_exact"]) == (1, 3, 8, True)
    assert [s["number"] for s in body["items"]] == [1, 2, 3]
    assert all(set(s) == SESSION_KEYS for s in body["items"])
    assert [s["number"] for s in client.get("/api/v1/sessions?page=3&per_page=3")
            .get_json()["items"]] == [7, 8]  # fmt: skip

    # Days are the caller's (Mexico City for a coordinator without a centre): the session of
    # Thursday 12 March 18:00 is on the 12th there although it is the 13th in UTC.
    coordinator_zone = coordinator.display_timezone
    assert coordinator_zone == "America/Mexico_City"
    days = client.get("/api/v1/sessions?from=2026-03-12&to=2026-03-19").get_json()
    assert [s["number"] for s in days["items"]] == [2, 3]
    assert [s["number"] for s in client.get("/api/v1/sessions?to=2026-03-11")
            .get_json()["items"]] == [1]  # fmt: skip

    second = session_number(board, 2)
    assert client.post(f"/api/v1/sessions/{second.id}/cancel").status_code == 200
    cancelled = client.get("/api/v1/sessions?status=cancelled").get_json()
    assert [s["number"] for s in cancelled["items"]] == [2]
    assert cancelled["items"][0]["status"] == "cancelled"
    assert client.get(f"/api/v1/sessions?board_id={board.id + 1}").get_json()["total"] == 0

    bad = assert_error(client.get("/api/v1/sessions?status=someday&per_page=500&from=mañana"), 422)
    assert set(bad["errors"]) == {"status", "per_page", "from"}


# --- who sees what --------------------------------------------------------------------


def entries_by_code(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {entry["agenda_code"]: entry for entry in body["agenda"]}


def test_a_referring_doctor_sees_only_sessions_with_a_case_of_their_centre(
    app: Flask, board, placed, referring, other_referring
):
    ours, theirs = placed
    first, second = session_number(board, 1), session_number(board, 2)
    client = client_for(app, referring)
    listed = client.get("/api/v1/sessions").get_json()
    assert [s["id"] for s in listed["items"]] == [first.id]
    assert listed["total"] == 1
    assert_error(client.get(f"/api/v1/sessions/{second.id}"), 404)

    response = client.get(f"/api/v1/sessions/{first.id}")
    assert response.status_code == 200
    entries = entries_by_code(response.get_json())
    mine, other = entries[f"CE 1.{ours.id}"], entries[f"CE 1.{theirs.id}"]
    assert (mine["case_id"], mine["case_code"], mine["urgency"]) == (ours.id, ours.code, "routine")
    # Cancún's case: the agenda code only.
    assert (other["case_id"], other["case_code"], other["urgency"]) == (None, None, None)
    assert PATIENT_REFERENCE not in response.get_data(as_text=True)

    # The Cancún doctor sees the same session the other way round.
    seen = client_for(app, other_referring).get(f"/api/v1/sessions/{first.id}").get_json()
    entries = entries_by_code(seen)
    assert entries[f"CE 1.{theirs.id}"]["case_id"] == theirs.id
    assert entries[f"CE 1.{ours.id}"]["case_id"] is None


def test_people_without_a_case_or_a_seat_see_no_session(
    app: Flask, board, placed, make_user, make_centre, specialist
):
    far: Centre = make_centre(code="OC-YUC-MID", timezone="America/Merida")
    lonely = make_user(Role.REFERRING, centre_id=far.id)
    first = session_number(board, 1)
    for user in (lonely, specialist):  # a specialist who does not sit on the board
        client = client_for(app, user)
        assert client.get("/api/v1/sessions").get_json()["total"] == 0
        assert_error(client.get(f"/api/v1/sessions/{first.id}"), 404)
        assert client.get("/api/v1/boards").status_code == 200  # boards are public inside


def test_board_members_and_coordinators_see_every_session_of_the_board(
    app: Flask, board, placed, chair, coordinator
):
    ours, theirs = placed
    first = session_number(board, 1)
    for user in (chair, coordinator):
        client = client_for(app, user)
        assert client.get("/api/v1/sessions").get_json()["total"] == 8
        agenda = client.get(f"/api/v1/sessions/{first.id}").get_json()["agenda"]
        assert [entry["case_id"] for entry in agenda] == [ours.id, theirs.id]


# --- assignment -----------------------------------------------------------------------


def test_a_coordinator_runs_the_assignment(app: Flask, board, accepted, coordinator, db):
    first_case = accepted()
    second_case = accepted(urgency="urgent", urgency_justification="Compresión medular.")
    client = client_for(app, coordinator)
    response = client.post("/api/v1/assignments")
    assert response.status_code == 200
    # Thursday 18:00 is 79 hours after Monday 11:00: the urgent case is flagged as well.
    assert response.get_json() == {
        "placed": 2, "flagged": 1, "unplaced": 0, "boards": {"Comité de tumores sólidos": 2},
    }  # fmt: skip
    db.session.expire_all()
    assert db.session.get(Case, first_case.id).status is CaseStatus.SCHEDULED
    agenda = client.get(f"/api/v1/sessions/{session_number(board, 1).id}").get_json()["agenda"]
    assert [e["case_id"] for e in agenda] == [second_case.id, first_case.id]  # urgent first
    again = client.post("/api/v1/assignments", json={})
    assert again.get_json()["placed"] == 0


def test_only_coordinators_run_the_assignment(app: Flask, board, accepted, referring, chair):
    accepted()
    before = counts()
    for user in (referring, chair):
        body = assert_error(client_for(app, user).post("/api/v1/assignments"), 403)
        assert "coordinators" in body["message"]
    assert counts() == before


# --- changing sessions ----------------------------------------------------------------


def test_a_coordinator_adds_an_extraordinary_session(app: Flask, board, coordinator):
    client = client_for(app, coordinator)
    response = client.post(
        f"/api/v1/boards/{board.id}/sessions",
        json={"starts_at_local": "2026-03-04T18:00", "topic": "Caso urgente de neuroblastoma"},
    )
    assert response.status_code == 201
    body = response.get_json()
    assert set(body) == DETAIL_KEYS
    assert (body["number"], body["extraordinary"], body["status"]) == (9, True, "planned")
    assert body["starts_at"] == "2026-03-05T00:00:00+00:00"
    assert body["starts_at_local"] == "2026-03-04T18:00:00-06:00"
    assert body["cutoff_at"] == body["starts_at"]  # takes cases until it starts
    assert body["topic"] == "Caso urgente de neuroblastoma"
    assert body["agenda"] == []
    assert client.get("/api/v1/sessions").get_json()["total"] == 9
    missing = client.post(
        f"/api/v1/boards/{board.id + 99}/sessions", json={"starts_at_local": "2026-03-04T18:00"}
    )
    assert_error(missing, 404)


def test_the_api_schedules_through_the_same_service_as_the_form(app: Flask, board, coordinator):
    """Speaker and audience are kept with the session, and the creation is audited."""
    response = client_for(app, coordinator).post(
        f"/api/v1/boards/{board.id}/sessions",
        json={"starts_at_local": "2026-03-04T18:00", "topic": "Hora Dorada",
              "speaker": "Dra. Ana Martínez", "audience": "Pediatras de guardia"},
    )  # fmt: skip
    assert response.status_code == 201
    body = response.get_json()
    assert (body["speaker"], body["audience"]) == ("Dra. Ana Martínez", "Pediatras de guardia")
    entry = _db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "session.create")
    ).one()
    assert (entry.actor_id, entry.object_id) == (coordinator.id, body["id"])


@pytest.mark.parametrize(
    ("payload", "fields"),
    [
        ({}, {"starts_at_local"}),
        ({"starts_at_local": "2026-03-05"}, {"starts_at_local"}),
        ({"starts_at_local": "2026-03-05T18:00-06:00"}, {"starts_at_local"}),
        ({"starts_at_local": "jueves 18:00", "topic": "x" * 301}, {"starts_at_local", "topic"}),
        ({"starts_at_local": "2026-03-02T09:00"}, {"starts_at_local"}),  # already past
        ({"starts_at_local": "2026-03-05T18:00", "sala": "B"}, {"sala"}),
    ],
    ids=["missing", "date-only", "with-offset", "garbage", "past", "unknown-field"],
)
def test_bad_extraordinary_sessions_name_the_field_and_write_nothing(
    payload, fields, app: Flask, board, coordinator
):
    before = counts()
    response = client_for(app, coordinator).post(
        f"/api/v1/boards/{board.id}/sessions", json=payload
    )
    body = assert_error(response, 422)
    assert set(body["errors"]) == fields
    assert counts() == before


def test_a_coordinator_moves_and_cancels_sessions(app: Flask, board, placed, coordinator, db):
    ours, theirs = placed
    first, second = session_number(board, 1), session_number(board, 2)
    client = client_for(app, coordinator)
    response = client.post(
        f"/api/v1/sessions/{first.id}/move", json={"starts_at_local": "2026-03-06T12:00"}
    )
    assert response.status_code == 200
    body = response.get_json()
    assert body["starts_at_local"] == "2026-03-06T12:00:00-06:00"
    assert body["starts_at"] == "2026-03-06T18:00:00+00:00"
    assert body["sequence"] == 1
    assert (body["agenda"], body["booked"]) == ([], 0)  # its cases go back to the queue
    db.session.expire_all()
    assert db.session.get(Case, ours.id).status is CaseStatus.ACCEPTED
    assert db.session.get(Case, theirs.id).carry_over == 1

    response = client.post(f"/api/v1/sessions/{second.id}/cancel")
    assert response.status_code == 200 and response.get_json()["status"] == "cancelled"
    assert (
        "cancelled"
        in assert_error(client.post(f"/api/v1/sessions/{second.id}/cancel"), 409)["message"]
    )
    assert_error(client.post("/api/v1/sessions/999999/cancel"), 404)


def test_a_bad_move_changes_nothing(app: Flask, board, placed, coordinator, db):
    first = session_number(board, 1)
    client = client_for(app, coordinator)
    before = counts()
    for payload in ({"starts_at_local": "2026-02-26T18:00"}, {"starts_at_local": 5}, {}):
        body = assert_error(client.post(f"/api/v1/sessions/{first.id}/move", json=payload), 422)
        assert list(body["errors"]) == ["starts_at_local"]
    response = client.post(
        f"/api/v1/sessions/{first.id}/move", data="mañana", content_type="text/plain"
    )
    assert_error(response, 400)
    assert counts() == before
    db.session.expire_all()
    moved = db.session.get(BoardSession, first.id)
    assert (moved.sequence, moved.booked) == (0, 2)


# --- agendas by hand ------------------------------------------------------------------


def test_a_coordinator_places_orders_and_removes_cases_by_hand(
    app: Flask, board, placed, accepted, coordinator, db
):
    ours, theirs = placed
    first, second = session_number(board, 1), session_number(board, 2)
    late = accepted()
    client = client_for(app, coordinator)

    response = client.post(f"/api/v1/sessions/{second.id}/agenda", json={"case_id": late.id})
    assert response.status_code == 201
    [entry] = response.get_json()["agenda"]
    assert (entry["case_id"], entry["agenda_code"], entry["pinned"]) == (
        late.id, f"CE 2.{late.id}", True,
    )  # fmt: skip
    assert_error(client.post(f"/api/v1/sessions/{second.id}/agenda", json={"case_id": late.id}),
                 409)  # fmt: skip

    agenda = client.get(f"/api/v1/sessions/{first.id}").get_json()["agenda"]
    ids = [e["id"] for e in agenda]
    response = client.post(
        f"/api/v1/sessions/{first.id}/agenda/order", json={"item_ids": ids[::-1]}
    )
    assert response.status_code == 200
    reordered = response.get_json()["agenda"]
    assert [e["case_id"] for e in reordered] == [theirs.id, ours.id]
    assert all(e["pinned"] for e in reordered)

    response = client.delete(f"/api/v1/sessions/{first.id}/agenda/{ids[0]}")
    assert response.status_code == 200
    assert [e["case_id"] for e in response.get_json()["agenda"]] == [theirs.id]
    db.session.expire_all()
    held = db.session.get(Case, ours.id)
    assert (held.status, held.scheduling_hold) == (CaseStatus.ACCEPTED, True)
    assert_error(client.delete(f"/api/v1/sessions/{second.id}/agenda/{ids[1]}"), 404)


def test_bad_agenda_changes_name_the_field_and_write_nothing(
    app: Flask, board, placed, make_case, coordinator
):
    ours, theirs = placed
    first = session_number(board, 1)
    leukaemia = make_case()  # submitted for another board, not accepted
    client = client_for(app, coordinator)
    item_ids = [e["id"] for e in client.get(f"/api/v1/sessions/{first.id}").get_json()["agenda"]]
    before = counts()
    cases = [
        ("agenda", {"case_id": 999_999}, "case_id"),
        ("agenda", {"case_id": "CE-0001"}, "case_id"),
        ("agenda", {"case_id": leukaemia.id}, "case_id"),  # the board does not cover it
        ("agenda", {}, "case_id"),
        ("agenda/order", {"item_ids": item_ids[:1]}, "item_ids"),  # one is missing
        ("agenda/order", {"item_ids": "all"}, "item_ids"),
    ]
    for path, payload, field in cases:
        response = client.post(f"/api/v1/sessions/{first.id}/{path}", json=payload)
        body = assert_error(response, 422)
        assert list(body["errors"]) == [field], (path, payload)
    assert counts() == before
    agenda = client.get(f"/api/v1/sessions/{first.id}").get_json()["agenda"]
    assert [e["case_id"] for e in agenda] == [ours.id, theirs.id]
    assert not any(e["pinned"] for e in agenda)


@pytest.mark.parametrize("role", ["referring", "chair"])
def test_only_coordinators_change_sessions_and_agendas(
    role, request, app: Flask, board, placed, accepted
):
    user = request.getfixturevalue(role)
    ours, _theirs = placed
    late = accepted()
    first = session_number(board, 1)
    item_id = _db.session.scalars(select(AgendaItem.id).where(AgendaItem.case_id == ours.id)).one()
    client = client_for(app, user)
    before = counts()
    attempts = [
        client.post(f"/api/v1/boards/{board.id}/sessions",
                    json={"starts_at_local": "2026-03-04T18:00"}),
        client.post(f"/api/v1/sessions/{first.id}/move",
                    json={"starts_at_local": "2026-03-06T12:00"}),
        client.post(f"/api/v1/sessions/{first.id}/cancel"),
        client.post(f"/api/v1/sessions/{first.id}/agenda", json={"case_id": late.id}),
        client.delete(f"/api/v1/sessions/{first.id}/agenda/{item_id}"),
        client.post(f"/api/v1/sessions/{first.id}/agenda/order", json={"item_ids": [item_id]}),
    ]  # fmt: skip
    for response in attempts:
        assert_error(response, 403)
    assert counts() == before
    _db.session.expire_all()
    session = _db.session.get(BoardSession, first.id)
    assert (session.status.value, session.sequence) == ("planned", 0)


# --- the OpenAPI document -------------------------------------------------------------


def test_the_openapi_document_describes_boards_and_sessions(app: Flask):
    spec = app.test_client().get("/api/v1/openapi.json").get_json()
    paths = spec["paths"]
    expected = {
        ("/api/v1/boards", "get"), ("/api/v1/boards/{board_id}", "get"),
        ("/api/v1/boards/{board_id}/sessions", "post"), ("/api/v1/assignments", "post"),
        ("/api/v1/sessions", "get"), ("/api/v1/sessions/{session_id}", "get"),
        ("/api/v1/sessions/{session_id}/move", "post"),
        ("/api/v1/sessions/{session_id}/cancel", "post"),
        ("/api/v1/sessions/{session_id}/agenda", "post"),
        ("/api/v1/sessions/{session_id}/agenda/{item_id}", "delete"),
        ("/api/v1/sessions/{session_id}/agenda/order", "post"),
    }  # fmt: skip
    present = {(path, method) for path, item in paths.items() for method in item}
    assert expected <= present
    for path, method in expected:
        assert paths[path][method].get("summary"), (path, method)

    filters = {p["name"] for p in paths["/api/v1/sessions"]["get"]["parameters"]}
    assert filters >= {"board_id", "from", "to", "status", "page", "per_page"}
    schemas = spec["components"]["schemas"]
    assert set(schemas["SessionDetailOut"]["properties"]) == DETAIL_KEYS
    assert set(schemas["AgendaEntryOut"]["properties"]) == ENTRY_KEYS
    assert set(schemas["BoardOut"]["properties"]) == BOARD_KEYS
    assert set(schemas["AssignmentReportOut"]["properties"]) == {
        "placed", "flagged", "unplaced", "boards",
    }  # fmt: skip
    create = schemas["ExtraordinaryInput"]
    assert create["required"] == ["starts_at_local"]
    assert create.get("additionalProperties") is False
    body = paths["/api/v1/boards/{board_id}/sessions"]["post"]["requestBody"]
    assert body["content"]["application/json"]["schema"]["$ref"].endswith("ExtraordinaryInput")
    order = paths["/api/v1/sessions/{session_id}/agenda/order"]["post"]["requestBody"]
    assert order["content"]["application/json"]["schema"]["$ref"].endswith("AgendaOrderInput")
