"""Finding cases in the list: filters, dates in the viewer's time zone, search by code, pages.

The patient's record number never appears whole in a list, on the page or in the API.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import pytest
from flask.testing import FlaskClient

from telemed.auth.models import Role, User
from telemed.cases import service as case_service
from telemed.cases.models import Case
from telemed.centres.models import Centre
from tests import conftest
from tests.conftest import case_payload, client_for


def listed(page: str) -> list[str]:
    """The case codes in the list page's table, in order."""
    return re.findall(r'<a class="case-code" href="/cases/\d+">(CE-\d+)</a>', page)


def html_codes(client: FlaskClient, query: str = "") -> list[str]:
    response = client.get(f"/cases/{query}")
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return listed(response.get_data(as_text=True))


def api_codes(client: FlaskClient, query: str = "") -> list[str]:
    response = client.get(f"/api/v1/cases{query}")
    assert response.status_code == 200, response.get_json()
    return [item["code"] for item in response.get_json()["items"]]


def both(client: FlaskClient, query: str) -> list[str]:
    """The page and the API must agree on every filter."""
    codes = html_codes(client, query)
    assert api_codes(client, query) == codes, query
    return codes


@pytest.fixture
def cancun_doctor(make_user: Callable[..., User], other_centre: Centre) -> User:
    return make_user(Role.REFERRING, centre_id=other_centre.id, name="Dra. Cancún")


def test_filters_by_status_centre_specialty_and_urgency(
    app, make_case, referring, coordinator, cancun_doctor, centre, other_centre, db
):
    make_case()  # CE-0001 submitted, priority, leukaemia
    make_case(submit=False)  # CE-0002 draft
    accepted = make_case(specialty="cns_tumours", icd10_code="C71", urgency="routine")  # CE-0003
    case_service.transition(coordinator, accepted, "accept")
    case_service.create_case(  # CE-0004, Cancún
        cancun_doctor,
        case_payload(urgency="urgent", urgency_justification="Síndrome de vena cava superior."),
        submit=True,
    )

    board = client_for(app, coordinator)
    assert both(board, "") == ["CE-0004", "CE-0003", "CE-0002", "CE-0001"]
    assert both(board, "?status=submitted") == ["CE-0004", "CE-0001"]
    assert both(board, "?status=draft") == ["CE-0002"]
    assert both(board, "?status=accepted") == ["CE-0003"]
    assert both(board, f"?centre_id={other_centre.id}") == ["CE-0004"]
    assert both(board, f"?centre_id={centre.id}") == ["CE-0003", "CE-0002", "CE-0001"]
    assert both(board, "?specialty=cns_tumours") == ["CE-0003"]
    assert both(board, "?urgency=urgent") == ["CE-0004"]
    assert both(board, "?urgency=routine") == ["CE-0003"]
    assert both(board, f"?status=submitted&centre_id={centre.id}&urgency=priority") == ["CE-0001"]
    assert both(board, "?status=closed") == []

    # The same filters never widen what a referring doctor sees.
    doctor = client_for(app, referring)
    assert both(doctor, "") == ["CE-0003", "CE-0002", "CE-0001"]
    assert both(doctor, f"?centre_id={other_centre.id}") == []
    assert both(doctor, "?urgency=urgent") == []


def test_a_filter_that_makes_no_sense_is_answered_with_what_is_wrong(app, coordinator, db):
    board = client_for(app, coordinator)
    response = board.get("/api/v1/cases?status=lost&per_page=500&date_from=ayer")
    assert response.status_code == 422
    assert set(response.get_json()["errors"]) == {"status", "per_page", "date_from"}
    response = board.get("/cases/?status=lost")
    assert response.status_code == 422
    assert response.mimetype == "text/html"
    assert "status" in response.get_data(as_text=True)


def spanish_client(app, user: User) -> FlaskClient:
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "es-MX"
    assert conftest.login(client, user).status_code == 302
    return client


def beside(page: str, name: str) -> str:
    """The error shown under the filter ``name`` (the field says it describes it)."""
    field = re.search(rf'<(?:input|select)[^>]*id="{name}"[^>]*>', page)
    assert field is not None and "is-invalid" in field.group(0), name
    assert f'aria-describedby="{name}-error"' in field.group(0)
    message = re.search(rf'<div id="{name}-error"[^>]*>([^<]*)</div>', page)
    assert message is not None, name
    return message.group(1)


def test_a_bad_filter_shows_the_list_with_the_error_beside_it(app, make_case, coordinator, db):
    """A long search or a bad date used to end on a page reading "q: Longer than maximum
    length 20."; now the list stays, filtered by the good filters, the bad one marked."""
    make_case()  # CE-0001 submitted
    make_case(submit=False)  # CE-0002 draft
    board = spanish_client(app, coordinator)
    long_search = "CE-0001 leucemia linfoblástica"
    response = board.get("/cases/", query_string={"q": long_search, "status": "submitted"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert listed(page) == ["CE-0001"]  # the status filter still applies
    assert beside(page, "q") == "Escriba como máximo 20 caracteres."
    assert f'value="{long_search}"' in page  # what was typed, to correct it
    assert '<option value="submitted" selected>' in page
    assert "Longer than" not in page and "q:" not in page

    page = board.get("/cases/?date_from=2026-02-30&date_to=ayer").get_data(as_text=True)
    assert beside(page, "date_from") == "Escriba una fecha válida (AAAA-MM-DD)."
    assert beside(page, "date_to") == "Escriba una fecha válida (AAAA-MM-DD)."
    assert listed(page) == ["CE-0002", "CE-0001"]
    assert 'value="2026-02-30"' in page

    page = board.get("/cases/?status=lost").get_data(as_text=True)
    assert beside(page, "status") == "Seleccione una de las opciones."
    assert listed(page) == ["CE-0002", "CE-0001"]


def test_date_filter_uses_the_viewers_time_zone(app, clock, make_case, referring, make_user, db):
    # Tijuana is UTC-8 in early March 2026 (US daylight time starts 8 March).
    clock.set(datetime(2026, 3, 2, 7, 30, tzinfo=UTC))  # 1 Mar 23:30 in Tijuana
    make_case()  # CE-0001
    clock.set(datetime(2026, 3, 3, 5, 30, tzinfo=UTC))  # 2 Mar 21:30 in Tijuana
    make_case()  # CE-0002
    clock.set(datetime(2026, 3, 3, 9, 0, tzinfo=UTC))  # 3 Mar 01:00 in Tijuana
    make_case()  # CE-0003

    doctor = client_for(app, referring)  # sees dates as in Tijuana (the centre's zone)
    assert both(doctor, "?date_from=2026-03-02&date_to=2026-03-02") == ["CE-0002"]
    assert both(doctor, "?date_from=2026-03-01&date_to=2026-03-01") == ["CE-0001"]
    assert both(doctor, "?date_from=2026-03-03") == ["CE-0003"]
    assert both(doctor, "?date_to=2026-03-02") == ["CE-0002", "CE-0001"]
    page = doctor.get("/cases/?date_from=2026-03-02&date_to=2026-03-02").get_data(as_text=True)
    assert "2 Mar 2026, 21:30" in page  # shown in Tijuana time too

    # A coordinator working in Cancún (UTC-5) sees the same instants on other days.
    cancun = make_user(Role.COORDINATOR, timezone="America/Cancun")
    board = client_for(app, cancun)
    assert both(board, "?date_from=2026-03-02&date_to=2026-03-02") == ["CE-0001"]
    assert both(board, "?date_from=2026-03-03&date_to=2026-03-03") == ["CE-0003", "CE-0002"]


@pytest.mark.parametrize("query", ["CE-0003", "3", "ce-0003", " CE 0003 "])
def test_search_by_case_code(query, app, make_case, referring, db):
    for _ in range(12):
        make_case()
    doctor = client_for(app, referring)
    assert both(doctor, f"?q={query}") == ["CE-0003"]


def test_search_that_matches_nothing(app, make_case, referring, db):
    make_case()
    doctor = client_for(app, referring)
    assert both(doctor, "?q=leucemia") == []
    assert both(doctor, "?q=CE-0099") == []
    assert "No cases match." in doctor.get("/cases/?q=CE-0099").get_data(as_text=True)


def test_pages_of_cases_newest_first(app, make_case, referring, db):
    for _ in range(5):
        make_case()
    doctor = client_for(app, referring)
    assert both(doctor, "?per_page=2") == ["CE-0005", "CE-0004"]
    assert both(doctor, "?per_page=2&page=2") == ["CE-0003", "CE-0002"]
    assert both(doctor, "?per_page=2&page=3") == ["CE-0001"]
    assert both(doctor, "?per_page=2&page=4") == []

    body = doctor.get("/api/v1/cases?per_page=2&page=2").get_json()
    assert {k: body[k] for k in ("page", "per_page", "total", "total_exact")} == {
        "page": 2, "per_page": 2, "total": 5, "total_exact": True,
    }  # fmt: skip
    following = urlsplit(body["next"])
    assert following.path == "/api/v1/cases" and "page" not in parse_qs(following.query)

    page = doctor.get("/cases/?per_page=2&status=submitted").get_data(as_text=True)
    assert "5 cases" in page
    # the pager's next link keeps the filters
    links = re.findall(r'class="page-link" rel="next" href="([^"]+)"', page)
    assert len(links) == 1 and "per_page=2" in links[0] and "status=submitted" in links[0]
    following = doctor.get(html.unescape(links[0])).get_data(as_text=True)
    assert listed(following) == ["CE-0003", "CE-0002"]


def test_default_page_holds_25_cases(app, make_case, referring, db):
    for _ in range(26):
        make_case()
    doctor = client_for(app, referring)
    codes = api_codes(doctor)
    assert len(codes) == 25 and codes[0] == "CE-0026" and codes[-1] == "CE-0002"
    assert api_codes(doctor, "?page=2") == ["CE-0001"]


def test_patient_reference_is_masked_in_lists_and_whole_in_the_detail(
    app, make_case, referring, coordinator, db
):
    case: Case = make_case(patient_reference="NSS-4455667788")
    for user in (referring, coordinator):
        client = client_for(app, user)
        page = client.get("/cases/").get_data(as_text=True)
        assert "4455667788" not in page
        assert "•••788" in page

        body = client.get("/api/v1/cases").get_json()
        item = body["items"][0]
        assert "patient_reference" not in item
        assert item["patient_reference_masked"] == "•••788"
        assert "4455667788" not in str(body)
        assert set(item) >= {"id", "code", "status", "urgency", "specialty", "centre",
                             "created_at", "diagnosis_text"}  # fmt: skip
        assert item["centre"]["code"] == "OC-BC-TIJ"

        detail = client.get(f"/api/v1/cases/{case.id}").get_json()
        assert detail["patient_reference"] == "NSS-4455667788"
        assert "NSS-4455667788" in client.get(f"/cases/{case.id}").get_data(as_text=True)
