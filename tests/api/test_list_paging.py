"""Long lists (issue 16): the case and session lists walk by keyset (`next`), count at most
``COUNT_LIMIT`` rows, read only the columns they show, and cost the same few statements
whatever the page size or the number of rows; the lean JSON is exactly what the OpenAPI
document (and the marshmallow schema behind it) describes.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from typing import Any

import jsonschema_rs
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from telemed.auth import tokens
from telemed.auth.models import User
from telemed.boards.models import Board
from telemed.cases.models import Case
from telemed.cases.schemas import CaseSummarySchema
from telemed.core import keyset
from telemed.core.sql import plain_rows
from telemed.core.vocabulary import Specialty
from telemed.extensions import db
from telemed.sessions.api_schemas import SessionOutSchema
from telemed.sessions.models import BoardSession
from telemed.sessions.service import generate_sessions
from tests.api.test_cases_api import bearer_client
from tests.conftest import client_for, committed
from tests.scenes.statements import statements


def walk(client: FlaskClient, address: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Every item of a list, following ``next`` from ``address``; and every envelope."""
    items: list[dict[str, Any]] = []
    bodies: list[dict[str, Any]] = []
    next_address: str | None = address
    while next_address is not None:
        response = client.get(next_address)
        assert response.status_code == 200, response.get_json()
        body = response.get_json()
        bodies.append(body)
        items.extend(body["items"])
        next_address = body["next"]
        assert len(bodies) < 100, "the walk never ends"
    return items, bodies


def codes(items: list[dict[str, Any]]) -> list[str]:
    return [item["code"] for item in items]


def visible_codes(user: User, **filters: Any) -> list[str]:
    """What the user may see, newest first, read straight from the database."""
    query = select(Case).order_by(Case.id.desc())
    if user.centre_id is not None:
        query = query.where(Case.centre_id == user.centre_id)
    for name, value in filters.items():
        query = query.where(getattr(Case, name) == value)
    return [case.code for case in db.session.scalars(query)]


@pytest.fixture
def two_centres(make_case: Callable[..., Case], referring: User, other_referring: User) -> None:
    """17 cases from Tijuana (some drafts, some urgent) and 9 from Cancún, interleaved."""
    for number in range(26):
        doctor = other_referring if number % 3 == 1 else referring
        urgent = number % 4 == 0
        make_case(
            by=doctor, submit=number % 5 != 2,
            urgency="urgent" if urgent else "routine",
            urgency_justification="Compresión medular." if urgent else None,
        )  # fmt: skip


def meeting_boards(
    make_board: Callable[..., Board], count: int, first: int = 0, **overrides: Any
) -> list[Board]:
    """``count`` boards meeting on Thursdays at 18:00 (one specialty each), with their
    sessions for the coming weeks."""
    boards = [make_board(specialties=(specialty,), **overrides)
              for specialty in list(Specialty)[first : first + count]]  # fmt: skip
    committed(generate_sessions())
    return boards


# --- walking `next` -------------------------------------------------------------------


def test_walking_next_shows_every_visible_case_once_newest_first(
    app: Flask, two_centres: None, referring: User, other_referring: User, coordinator: User
) -> None:
    for user in (coordinator, referring, other_referring):
        client = bearer_client(app, user)
        items, bodies = walk(client, "/api/v1/cases?per_page=4")
        assert codes(items) == visible_codes(user), user.role
        assert [len(body["items"]) for body in bodies[:-1]] == [4] * (len(bodies) - 1)
        assert bodies[0]["page"] == 1 and all(body["page"] is None for body in bodies[1:])
        assert {body["total"] for body in bodies} == {len(visible_codes(user))}
        assert all(body["total_exact"] for body in bodies)


def test_a_referring_doctor_never_sees_another_centres_case_on_any_page(
    app: Flask, two_centres: None, referring: User, other_referring: User
) -> None:
    theirs = set(visible_codes(other_referring))
    for address in ("/api/v1/cases?per_page=3", "/api/v1/cases?per_page=3&urgency=urgent"):
        items, _ = walk(bearer_client(app, referring), address)
        assert items and not theirs & set(codes(items))
        assert {item["centre"]["id"] for item in items} == {referring.centre_id}
    # nor on the page, however far it goes
    browser = client_for(app, referring)
    page = browser.get("/cases/?per_page=3")
    seen: list[str] = []
    while True:
        text = page.get_data(as_text=True)
        seen += re.findall(r'class="case-code" href="/cases/\d+">(CE-\d+)<', text)
        following = re.search(r'class="page-link" rel="next" href="([^"]+)"', text)
        if following is None:
            break
        page = browser.get(html.unescape(following.group(1)))
    assert seen == visible_codes(referring)


def test_filters_are_kept_on_every_next_page(
    app: Flask, two_centres: None, coordinator: User
) -> None:
    client = bearer_client(app, coordinator)
    items, bodies = walk(client, "/api/v1/cases?per_page=2&urgency=urgent&status=submitted")
    assert codes(items) == visible_codes(coordinator, urgency="urgent", status="submitted")
    assert len(bodies) > 2
    for body in bodies[:-1]:
        assert "urgency=urgent" in body["next"] and "status=submitted" in body["next"]


def test_a_case_sent_while_walking_neither_repeats_nor_hides_one(
    app: Flask, two_centres: None, make_case: Callable[..., Case], coordinator: User
) -> None:
    """Page numbers shift when a case arrives (the last of page 1 shows again on page 2);
    the cursor does not."""
    client = bearer_client(app, coordinator)
    before = visible_codes(coordinator)
    first = client.get("/api/v1/cases?per_page=5").get_json()
    make_case()  # newest of all: it belongs on page 1, not in the walk already begun
    rest, _ = walk(client, first["next"])
    assert codes(first["items"]) + codes(rest) == before


def test_sessions_at_the_same_hour_are_each_listed_once(
    app: Flask, make_board: Callable[..., Board], coordinator: User
) -> None:
    """Three boards meeting on Thursday at 18:00: every start is shared by three sessions,
    and pages of five cut through those ties."""
    boards = meeting_boards(make_board, 3)
    expected = list(
        db.session.scalars(
            select(BoardSession.id).order_by(BoardSession.starts_at, BoardSession.id)
        )
    )
    assert len(expected) >= 15 and len(expected) % 5 != 0
    client = bearer_client(app, coordinator)
    items, _ = walk(client, "/api/v1/sessions?per_page=5")
    assert [item["id"] for item in items] == expected
    assert len({item["starts_at"] for item in items}) == len(expected) // 3  # real ties

    one_board, _ = walk(client, f"/api/v1/sessions?per_page=2&board_id={boards[1].id}")
    assert {item["board_id"] for item in one_board} == {boards[1].id}
    assert len(one_board) == len(expected) // 3


# --- the count ------------------------------------------------------------------------


def test_a_long_list_says_more_than_the_limit_instead_of_counting_it_all(
    app: Flask, two_centres: None, coordinator: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(keyset, "COUNT_LIMIT", 10)  # 26 cases: "more than 10"
    client = bearer_client(app, coordinator)
    body = client.get("/api/v1/cases?per_page=4").get_json()
    assert (body["total"], body["total_exact"]) == (10, False)
    last = client.get("/api/v1/cases?per_page=4&page=99").get_json()  # past the end
    assert (last["items"], last["next"], last["total"], last["total_exact"]) == (
        [],
        None,
        10,
        False,
    )
    page = client_for(app, coordinator).get("/cases/").get_data(as_text=True)
    assert "More than 10 cases" in page
    urgent = client.get("/api/v1/cases?urgency=urgent").get_json()
    assert (urgent["total"], urgent["total_exact"]) == (7, True)


# --- cursors that are not ours ----------------------------------------------------------


def test_a_page_read_in_an_operation_sees_its_own_unflushed_changes(
    make_case: Callable[..., Case],
) -> None:
    """Pages are read on the session's connection (``core.sql.plain_rows``), past the
    session's autoflush: an operation that changed a case and then lists still sees it."""
    case = make_case()
    case_id = case.id  # read now: reading it later would load the case, flushing first
    case.diagnosis_text = "Changed in this transaction, not flushed yet"
    assert db.session.dirty
    rows = plain_rows(select(Case.diagnosis_text).where(Case.id == case_id))
    assert rows == [("Changed in this transaction, not flushed yet",)]
    db.session.rollback()


@pytest.mark.parametrize("cursor", ["nonsense", "WyJ4Il0", "WzEsMl0", "Wy0xZTMwMF0", "e30"])
def test_a_cursor_that_is_not_one_is_refused_with_a_reason(
    app: Flask, two_centres: None, referring: User, cursor: str
) -> None:
    response = bearer_client(app, referring).get(f"/api/v1/cases?after={cursor}")
    assert response.status_code == 422
    assert "first page" in response.get_json()["errors"]["after"][0]
    sessions = bearer_client(app, referring).get(f"/api/v1/sessions?after={cursor}")
    assert sessions.status_code == 422
    # a session cursor (a date and an id) is not a case cursor
    session_cursor = keyset.encode_cursor(["2026-03-05T00:00:00+00:00", 3])
    assert (
        bearer_client(app, referring).get(f"/api/v1/cases?after={session_cursor}").status_code
        == 422
    )

    page = client_for(app, referring).get(f"/cases/?after={cursor}&urgency=urgent")
    assert page.status_code == 422
    text = page.get_data(as_text=True)
    assert "This page link is no longer valid" in text
    listed = re.findall(r'class="case-code" href="/cases/\d+">(CE-\d+)<', text)
    assert listed == visible_codes(referring, urgency="urgent")  # the first page, filtered


# --- statements -----------------------------------------------------------------------


def test_a_token_is_checked_with_one_statement(app: Flask, referring: User) -> None:
    secret = committed(tokens.create_token(referring, "Sistema del hospital"))[1]
    committed(tokens.user_for_secret(secret))  # first use: marks it used
    db.session.expunge_all()  # a new request knows nothing yet
    with statements() as sent:
        user = tokens.user_for_secret(secret)
        assert user is not None and user.centre is not None and user.display_timezone
    assert len(sent) == 1, sent


@pytest.mark.parametrize("address", ["/api/v1/cases", "/api/v1/sessions"])
def test_a_list_costs_the_same_statements_whatever_its_size(
    app: Flask,
    address: str,
    make_case: Callable[..., Case],
    referring: User,
    coordinator: User,
    make_board: Callable[..., Board],
) -> None:
    def sent_for(client: FlaskClient, query: str) -> int:
        client.get(address + query)  # the token's first use is written once, not counted
        with statements() as sent:
            assert client.get(address + query).status_code == 200
        return len(sent)

    meeting_boards(make_board, 1)
    for _ in range(3):
        make_case()
    small = {sent_for(bearer_client(app, user), q) for user in (referring, coordinator)
             for q in ("?per_page=1", "?per_page=100", "?per_page=2&page=1")}  # fmt: skip
    for _ in range(12):
        make_case()
    meeting_boards(make_board, 2, first=1)
    large = {sent_for(bearer_client(app, user), q) for user in (referring, coordinator)
             for q in ("?per_page=1", "?per_page=100", "?per_page=2&page=1")}  # fmt: skip
    # the token with its user, then the page with its bounded count (it was 5: the token,
    # its user, the page, a count of every visible row, the user again for the access log)
    assert small == large == {2}


def test_the_case_page_costs_the_same_statements_whatever_its_size(
    app: Flask, make_case: Callable[..., Case], referring: User
) -> None:
    client = client_for(app, referring)
    make_case()
    client.get("/cases/")
    with statements() as few:
        client.get("/cases/")
    for _ in range(30):
        make_case()
    with statements() as many:
        client.get("/cases/?per_page=100")
    assert len(few) == len(many) == 2  # the login session with its user; the page


# --- the answer is what the document says -----------------------------------------------


def json_schema(spec: dict[str, Any], node: Any) -> Any:
    """An OpenAPI 3.0 schema as JSON Schema: references inlined, ``nullable`` as a type."""
    if isinstance(node, list):
        return [json_schema(spec, value) for value in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        return json_schema(spec, spec["components"]["schemas"][node["$ref"].split("/")[-1]])
    converted = {k: json_schema(spec, v) for k, v in node.items() if k != "nullable"}
    if node.get("nullable") and "type" in node:
        converted["type"] = [node["type"], "null"]
    return converted


def documented(app: Flask, path: str) -> dict[str, Any]:
    spec = app.test_client().get("/api/v1/openapi.json").get_json()
    response = spec["paths"][path]["get"]["responses"]["200"]
    schema: dict[str, Any] = json_schema(spec, response["content"]["application/json"]["schema"])
    return schema


def assert_exactly_documented(schema: dict[str, Any], body: dict[str, Any]) -> None:
    jsonschema_rs.validate(schema, body)
    assert set(body) == set(schema["properties"]) == set(schema["required"])
    item_schema = schema["properties"]["items"]["items"]
    for item in body["items"]:
        assert set(item) == set(item_schema["properties"]), set(item) ^ set(
            item_schema["properties"]
        )


def test_case_list_items_are_what_the_schema_documents_and_dumps(
    app: Flask, two_centres: None, coordinator: User
) -> None:
    case = db.session.get(Case, 3)
    assert case is not None
    case.clinical_deadline = case.created_at.date()
    committed(None)
    body = bearer_client(app, coordinator).get("/api/v1/cases?per_page=100").get_json()
    assert_exactly_documented(documented(app, "/api/v1/cases"), body)
    dumped = {c.id: CaseSummarySchema().dump(c) for c in db.session.scalars(select(Case))}
    assert body["items"] == [dumped[item["id"]] for item in body["items"]]
    assert any(item["submitted_at"] is None for item in body["items"])  # drafts
    assert any(item["clinical_deadline"] for item in body["items"])


def test_session_list_items_are_what_the_schema_documents_and_dumps(
    app: Flask, make_board: Callable[..., Board], coordinator: User
) -> None:
    meeting_boards(make_board, 1, timezone="America/Tijuana")
    meeting_boards(make_board, 1, first=1)
    body = bearer_client(app, coordinator).get("/api/v1/sessions?per_page=100").get_json()
    assert_exactly_documented(documented(app, "/api/v1/sessions"), body)
    dumped = {s.id: SessionOutSchema().dump(s) for s in db.session.scalars(select(BoardSession))}
    assert body["items"] == [dumped[item["id"]] for item in body["items"]]
    assert {item["timezone"] for item in body["items"]} == {
        "America/Tijuana",
        "America/Mexico_City",
    }
