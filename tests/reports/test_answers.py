"""Stored answers of the figures (``reports/answers.py``) and their ETags: a repeated read
costs a few statements, a 304 while nothing changed, and every change to the data — through
a service, a bulk statement, or roll-ups forgotten — shows on the next read."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
from sqlalchemy import delete, update

from telemed.api import stats as stats_api
from telemed.cases.models import Case, CaseStatus
from telemed.cases.service import transition
from telemed.core.clock import now_utc
from telemed.extensions import db
from telemed.reports import answers, rollups
from telemed.reports import views as reports_views
from telemed.reports.models import StatsAnswer, StatsRollupTotal
from telemed.reports.service import VIEW_NAMES
from telemed.reports.tables import ViewResult
from telemed.reports.version import FIGURE_TABLES, FIGURES
from telemed.sessions.service import move_session
from tests.conftest import client_for, committed, english, without_csrf
from tests.reports.conftest import figure_value
from tests.scenes.statements import statements

ALL = "/api/v1/stats?period=all"
PAGE = "/reports/overview?period=all"


@pytest.fixture(autouse=True)
def no_memory() -> None:
    """Each test starts with nothing remembered in this process (the database is new)."""
    answers.memo.clear()
    stats_api.bodies.clear()
    reports_views.pages.clear()


def submitted(body: dict) -> int:
    value: int = body["views"]["overview"]["figures"]["submitted"]["value"]
    return value


def test_a_repeated_read_sends_only_the_login_scope_and_version(network, admin, app):
    client = client_for(app, admin)
    with statements() as first:
        assert client.get(ALL).status_code == 200
    with statements() as again:
        reply = client.get(ALL)
    assert reply.status_code == 200
    assert len(first) > 60  # six views computed (82 in the measurement)
    # login session, the viewer's boards, the version, the user after the commit
    assert len(again) <= 5, again
    assert submitted(reply.get_json()) == 14


def test_a_remembered_text_is_the_computed_one_and_a_change_replaces_it(network, admin, app):
    """The API keeps each answer's JSON text by ETag: what it sends again is byte for byte
    what it computed, and a change sends the new figures, never the remembered text."""
    client = client_for(app, admin)
    first = client.get(ALL)
    with statements() as again:
        second = client.get(ALL)
    assert second.data == first.data and second.headers["ETag"] == first.headers["ETag"]
    assert second.mimetype == "application/json"
    assert second.headers["Cache-Control"] == "private, no-cache"
    assert not any("FROM cases" in sql for sql in again)

    committed(transition(admin, network.cases["k9"], "accept"))
    changed = client.get(ALL)
    assert changed.headers["ETag"] != first.headers["ETag"]
    accepted = changed.get_json()["views"]["overview"]["figures"]["accepted"]["value"]
    assert accepted == first.get_json()["views"]["overview"]["figures"]["accepted"]["value"] + 1
    answers.memo.clear()
    stats_api.bodies.clear()  # computed afresh: the same text as the one just sent
    assert client.get(ALL).data == changed.data


def test_another_process_reads_the_stored_answer(network, admin, app):
    client = client_for(app, admin)
    body = client.get(ALL).get_json()
    answers.memo.clear()  # another web server: only the database is shared
    with statements() as again:
        assert client.get(ALL).get_json() == body
    assert len(again) <= 6
    assert not any("FROM cases" in sql for sql in again)


def test_unchanged_figures_answer_304_and_a_change_a_new_etag(network, admin, app):
    client = client_for(app, admin)
    first = client.get(ALL)
    etag = first.headers["ETag"]
    assert first.headers["Cache-Control"] == "private, no-cache"

    unchanged = client.get(ALL, headers={"If-None-Match": etag})
    assert unchanged.status_code == 304
    assert unchanged.data == b""
    assert unchanged.headers["ETag"] == etag

    k9 = network.cases["k9"]
    committed(transition(admin, k9, "accept"))

    changed = client.get(ALL, headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["ETag"] != etag
    accepted = changed.get_json()["views"]["overview"]["figures"]["accepted"]["value"]
    assert accepted == first.get_json()["views"]["overview"]["figures"]["accepted"]["value"] + 1


def test_a_moved_session_shows_on_the_next_read(network, admin, app):
    client = client_for(app, admin)
    month = "/api/v1/stats?view=sessions&period=month"
    rows = client.get(month).get_json()["views"]["sessions"]["tables"]["sessions"]["rows"]
    s6 = network.sessions["S6"]  # planned for 18 December
    committed(move_session(admin, s6, datetime(2027, 1, 20, 10, 0)))

    after = client.get(month).get_json()["views"]["sessions"]["tables"]["sessions"]["rows"]
    assert after != rows
    assert total_planned(after) == total_planned(rows) - 1


def total_planned(rows: list[dict]) -> int:
    return sum(int(row.get("planned") or 0) for row in rows)


def test_a_bulk_update_shows_on_the_next_read(network, admin, app):
    """The assignment run's kind of statement: no object passes through the flush."""
    client = client_for(app, admin)
    cases = "/api/v1/stats?view=cases&period=all"

    def closed() -> int:
        rows = client.get(cases).get_json()["views"]["cases"]["tables"]["by_status"]["rows"]
        return {row["key"]: row["count"] for row in rows}["closed"]

    assert closed() == 0
    db.session.execute(
        update(Case).where(Case.id == network.cases["k2"].id).values(status=CaseStatus.CLOSED)
    )
    rollups.forget_case_months([network.cases["k2"].id])
    db.session.commit()
    assert closed() == 1


def test_forgotten_rollups_are_read_again(network, admin, app):
    """An answer built on a wrong roll-up is not served once the roll-ups are forgotten."""
    client = client_for(app, admin)
    before = submitted(client.get(ALL).get_json())
    db.session.execute(update(StatsRollupTotal).values(n=StatsRollupTotal.n + 100))
    db.session.execute(delete(StatsAnswer))
    db.session.commit()  # neither is the figures' data: the version stays
    answers.memo.clear()
    assert submitted(client.get(ALL).get_json()) > before  # computed from the wrong totals

    rollups.forget_all()
    db.session.commit()
    assert submitted(client.get(ALL).get_json()) == before  # rebuilt from the cases


def test_a_new_day_is_a_new_answer_without_any_change(network, admin, app, clock):
    client = client_for(app, admin)
    first = client.get("/api/v1/stats?view=overview")
    version = FIGURES.current()
    clock.advance(timedelta(days=20))  # into January: "this month" is another month
    later = client.get(
        "/api/v1/stats?view=overview", headers={"If-None-Match": first.headers["ETag"]}
    )
    assert FIGURES.current() == version
    assert later.status_code == 200
    assert later.get_json()["period"]["first"] == "2027-01-01"


def test_an_urgent_case_starts_to_count_when_its_72_hours_run_out(network, admin, app, clock):
    """Without any change to the data: the 72-hour share counts an urgent case not yet
    discussed once its 72 hours are over."""
    k9 = network.cases["k9"]
    k9.urgency, k9.submitted_at = k9.urgency.URGENT, now_utc() - timedelta(hours=71)
    db.session.commit()
    client = client_for(app, admin)
    path = "/api/v1/stats?view=cases&period=month"

    def counted() -> object:
        return client.get(path).get_json()["views"]["cases"]["figures"]["urgent_72h_share"]

    before = counted()
    clock.advance(timedelta(hours=2))
    assert counted() != before


def test_a_coordinator_never_gets_the_administrators_answer(network, admin, coordinator, app):
    body = client_for(app, admin).get("/api/v1/stats?view=overview&period=all").get_json()
    assert submitted(body) == 14
    mine = client_for(app, coordinator).get("/api/v1/stats?view=overview&period=all")
    assert submitted(mine.get_json()) == 10  # their board only (test_api)
    other = client_for(app, network.tj_coordinator).get("/api/v1/stats?view=overview&period=all")
    assert submitted(other.get_json()) == 3
    assert len({mine.headers["ETag"], other.headers["ETag"]}) == 2


def test_the_page_answers_304_and_shows_a_change(network, admin, app):
    client = client_for(app, admin)
    client.get("/reports/overview?period=all")  # the first page gives the session its token
    page = client.get("/reports/overview?period=all")
    etag = page.headers["ETag"]
    assert page.headers["Cache-Control"] == "private, no-cache"
    assert client.get("/reports/overview?period=all",
                      headers={"If-None-Match": etag}).status_code == 304  # fmt: skip

    committed(transition(admin, network.cases["k9"], "accept"))
    again = client.get("/reports/overview?period=all", headers={"If-None-Match": etag})
    assert again.status_code == 200
    before = int(figure_value(page.get_data(as_text=True), "accepted"))
    assert int(figure_value(again.get_data(as_text=True), "accepted")) == before + 1


def test_a_remembered_page_is_the_rendered_one_and_a_change_replaces_it(
    network, admin, app, monkeypatch
):
    """The figures page keeps its text by ETag: a reader whose browser has no copy gets it
    without a new rendering, the new figures after a change, and a message flashed for the
    page is shown in it, never lost to a remembered page."""
    client = client_for(app, admin)
    client.get(PAGE)  # the first page gives the session its form token
    page = client.get(PAGE)

    def no_rendering(*_args: object, **_kwargs: object) -> str:
        raise AssertionError("a remembered page is not rendered again")

    with monkeypatch.context() as patch:
        patch.setattr(reports_views, "render_template", no_rendering)
        again = client.get(PAGE)
    assert again.data == page.data and again.headers["ETag"] == page.headers["ETag"]

    committed(transition(admin, network.cases["k9"], "accept"))
    changed = client.get(PAGE).get_data(as_text=True)
    before = int(figure_value(page.get_data(as_text=True), "accepted"))
    assert int(figure_value(changed, "accepted")) == before + 1
    answers.memo.clear()
    reports_views.pages.clear()  # rendered afresh: the same page as the one just sent
    assert without_csrf(client.get(PAGE).get_data(as_text=True)) == without_csrf(changed)

    with client.session_transaction() as cookie:
        cookie["_flashes"] = [("success", "Filtros guardados.")]
    assert "Filtros guardados." in client.get(PAGE).get_data(as_text=True)


def test_another_reader_of_the_page_never_gets_a_304_for_someone_elses_page(
    network, admin, coordinator, app
):
    admin_page = client_for(app, admin)
    admin_page.get("/reports/overview?period=all")
    etag = admin_page.get("/reports/overview?period=all").headers["ETag"]
    reply = client_for(app, coordinator).get(
        "/reports/overview?period=all", headers={"If-None-Match": etag}
    )
    assert reply.status_code == 200


def test_private_answers_stay_no_store(network, admin, app):
    reply = client_for(app, admin).get("/api/v1/cases")
    assert reply.headers["Cache-Control"] == "private, no-store"
    assert "ETag" not in reply.headers


@pytest.mark.parametrize("view", VIEW_NAMES)
def test_a_stored_answer_reads_as_the_computed_one(network, admin, app, view):
    from telemed.reports.service import compute_view

    with app.test_request_context(), english():
        computed = compute_view(view, {"period": "all"}, admin)
        loaded = answers.load(answers.dump(computed))
        assert isinstance(loaded, ViewResult)
        assert loaded.as_json() == computed.as_json()  # lazy labels read in the same language
        assert [c.config() for c in loaded.charts] == [c.config() for c in computed.charts]
        assert [str(c.note) for c in loaded.charts] == [str(c.note) for c in computed.charts]
    assert [(f.key, f.unit, f.value) for f in loaded.figures] == [
        (f.key, f.unit, f.value) for f in computed.figures
    ]


@pytest.mark.parametrize("view", VIEW_NAMES)
def test_every_table_a_view_reads_raises_the_version(network, admin, app, view):
    """A view reading a table outside FIGURE_TABLES would be served stale after its change."""
    from telemed.reports.service import compute_view

    rollups.forget_all()
    db.session.commit()
    assert admin.role  # the reader loaded again after the commit: not what the view reads
    with statements() as seen:
        compute_view(view, {"period": "all"}, admin)
    read = {name for sql in seen for name in re.findall(r"(?:FROM|JOIN)\s+(\w+)", sql)}
    own = {"stats_rollups", "stats_rollup_months", "stats_rollup_totals",
           "stats_rollup_totals_marks"}  # fmt: skip
    assert read - own - FIGURE_TABLES == set()


def test_expired_answers_are_deleted(network, admin, app, clock):
    client_for(app, admin).get(ALL)
    db.session.expire_all()
    assert db.session.query(StatsAnswer).count() == 6
    clock.advance(timedelta(days=5))
    answers.refresh()
    db.session.commit()
    assert db.session.query(StatsAnswer).count() == 0


def test_the_invitations_bookkeeping_keeps_the_answers(network, admin, app):
    """The invitations job marks each session it synced: no figure reads that."""
    s6 = network.sessions["S6"]
    version = FIGURES.current()
    s6.invites_sequence, s6.invites_roster = s6.sequence, s6.roster_version
    db.session.commit()
    assert FIGURES.current() == version
    s6.capacity += 1
    db.session.commit()
    assert FIGURES.current() != version
