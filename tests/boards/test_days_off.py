"""The board page's days off: its coordinator (or an administrator) marks and removes them,
sees the official rest days, and chooses what becomes of a meeting due on one of them.

The ``board`` fixture meets on Thursdays at 18:00 Mexico City time; the clock starts on
Monday 2 March 2026, so its sessions are 5, 12, 19 and 26 March, 2, 9, 16 and 23 April.
"""

from __future__ import annotations

import html
import re
from datetime import date

from sqlalchemy import func, select

from telemed.audit.models import AuditEntry
from telemed.auth.models import Role
from telemed.boards.models import BoardDayOff, DayOffPolicy
from telemed.extensions import db
from telemed.sessions.models import SessionStatus
from telemed.sessions.service import generate_sessions
from tests.boards.test_board_views import board_form, plain, section, text_of
from tests.conftest import client_for
from tests.scenes.boards import MEXICO_CITY, local, sessions_of


def days_off() -> list[tuple[date, str]]:
    rows = db.session.execute(select(BoardDayOff.day, BoardDayOff.reason).order_by("day"))
    return [(day, reason) for day, reason in rows]


def audits(action: str) -> list[AuditEntry]:
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def spanish(client):  # type: ignore[no-untyped-def]
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "es-MX"
    return client


def test_the_coordinator_marks_a_day_off_and_its_session_moves(app, coordinator, board):
    board.day_off_policy = DayOffPolicy.NEXT
    db.session.commit()
    client = client_for(app, coordinator)
    page = text_of(client.get(f"/boards/{board.id}"))
    assert "Days without sessions" in page and 'id="days-off-form"' in page
    assert "Hold it on the next working day" in section(page, "day-off-policy")

    response = client.post(
        f"/boards/{board.id}/days-off", data={"first": "2026-03-12", "reason": "Congreso SMeO"}
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/boards/{board.id}#days-off")
    db.session.expire_all()
    assert days_off() == [(date(2026, 3, 12), "Congreso SMeO")]
    moved = sessions_of(board)[1]
    assert moved.starts_at == local(2026, 3, 13, 18) and moved.status is SessionStatus.PLANNED
    [entry] = audits("board.days_off_add")
    assert entry.actor_id == coordinator.id
    assert entry.details == {"days": ["2026-03-12"], "reason": "Congreso SMeO"}
    assert [e.object_id for e in audits("session.move")] == [moved.id]

    page = text_of(client.get(f"/boards/{board.id}"))
    assert "1 day marked off. Sessions on them: 1 moved, 0 cancelled" in page
    listed = plain(section(page, "board-days-off"))
    assert "Thursday, March 12, 2026" in listed and "Congreso SMeO" in listed
    row = plain(section(page, f"session-{moved.id}"))
    assert "moved from Mar 12, 2026" in row


def test_a_stretch_marked_off_cancels_its_sessions_when_the_board_skips(app, coordinator, board):
    client = client_for(app, coordinator)
    response = client.post(
        f"/boards/{board.id}/days-off",
        data={"first": "2026-03-16", "last": "2026-03-27", "reason": "Vacaciones"},
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert len(days_off()) == 12
    statuses = {
        s.starts_at.astimezone(MEXICO_CITY).date(): s.status for s in sessions_of(board)
    }  # fmt: skip
    assert statuses[date(2026, 3, 19)] is SessionStatus.CANCELLED
    assert statuses[date(2026, 3, 26)] is SessionStatus.CANCELLED
    assert statuses[date(2026, 3, 12)] is SessionStatus.PLANNED
    page = text_of(client.get(f"/boards/{board.id}"))
    assert "12 days marked off. Sessions on them: 0 moved, 2 cancelled" in page

    # Marking the same days again changes nothing and says why.
    again = client.post(f"/boards/{board.id}/days-off", data={"first": "2026-03-20"})
    assert again.status_code == 422
    assert "These days are already marked off." in section(text_of(again), "days-off-form")


def test_removing_a_day_off_says_cancelled_sessions_stay_and_the_day_is_filled_again(
    app, coordinator, board, clock
):
    client = client_for(app, coordinator)
    client.post(f"/boards/{board.id}/days-off", data={"first": "2026-03-19"})
    # A day beyond the sessions generated so far: skipped when its time comes.
    client.post(f"/boards/{board.id}/days-off", data={"first": "2026-04-30"})
    clock.set(local(2026, 3, 9, 11))
    generate_sessions()
    db.session.expire_all()
    days = [s.starts_at.astimezone(MEXICO_CITY).date() for s in sessions_of(board)]
    assert date(2026, 4, 30) not in days

    page = text_of(client.get(f"/boards/{board.id}"))
    assert "Removing a day off later does not bring back a cancelled session" in page
    for row in db.session.scalars(select(BoardDayOff)).all():
        response = client.post(f"/boards/{board.id}/days-off/{row.id}/remove")
        assert response.status_code == 302
    assert days_off() == []
    assert [e.details["day"] for e in audits("board.days_off_remove")] == [
        "2026-03-19", "2026-04-30"
    ]  # fmt: skip
    page = text_of(client.get(f"/boards/{board.id}"))
    assert "Sessions cancelled for it stay cancelled" in page

    generate_sessions()
    db.session.expire_all()
    by_day = {s.starts_at.astimezone(MEXICO_CITY).date(): s.status for s in sessions_of(board)}
    assert by_day[date(2026, 3, 19)] is SessionStatus.CANCELLED  # not brought back
    assert by_day[date(2026, 4, 30)] is SessionStatus.PLANNED  # generated now


def test_bad_days_off_are_refused_beside_the_field_in_spanish(app, coordinator, board):
    client = spanish(client_for(app, coordinator))
    for data, field, message in (
        ({"first": "2026-03-12", "last": "2026-03-10"}, "last",
         "El último día no puede ser anterior al primero."),
        ({"first": "2026-03-12", "last": "2026-06-30"}, "last",
         "Marque como máximo 62 días a la vez."),
        ({"first": "2026-03-01"}, "first", "Elija hoy o un día posterior."),
        ({"first": ""}, "first", "Este campo es obligatorio."),
        ({"first": "2026-03-12", "reason": "x" * 201}, "reason",
         "Escriba el motivo en 200 caracteres como máximo."),
    ):  # fmt: skip
        response = client.post(f"/boards/{board.id}/days-off", data=data)
        assert response.status_code == 422, data
        page = text_of(response)
        assert f'<div id="{field}-error" class="invalid-feedback d-block">{message}</div>' in page
        assert 'value="2026-03-12"' in page or data["first"] != "2026-03-12"  # kept as typed
    assert days_off() == [] and audits("board.days_off_add") == []
    assert all(s.status is SessionStatus.PLANNED for s in sessions_of(board))


def test_only_the_boards_coordinator_or_an_administrator_marks_days_off(
    app, board, coordinator, admin, make_user, chair
):
    other = make_user(Role.COORDINATOR, email="otra.coordinadora@hospital.test")
    for user in (other, chair):
        client = client_for(app, user)
        assert (
            client.post(f"/boards/{board.id}/days-off", data={"first": "2026-03-12"}).status_code
            == 403
        )
        assert 'id="days-off-form"' not in text_of(client.get(f"/boards/{board.id}"))
    assert days_off() == []

    response = client_for(app, admin).post(
        f"/boards/{board.id}/days-off", data={"first": "2026-03-12"}
    )
    assert response.status_code == 302
    [row] = db.session.scalars(select(BoardDayOff)).all()
    removal = f"/boards/{board.id}/days-off/{row.id}/remove"
    for user in (other, chair):
        assert client_for(app, user).post(removal).status_code == 403
    assert db.session.scalar(select(func.count()).select_from(BoardDayOff)) == 1
    assert client_for(app, coordinator).post(removal).status_code == 302
    assert days_off() == []


def test_the_board_page_lists_the_official_rest_days_in_the_viewers_language(app, board, referring):
    english = text_of(client_for(app, referring).get(f"/boards/{board.id}"))
    rest = html.unescape(plain(section(english, "rest-days")))
    assert "Monday, March 16, 2026 · Benito Juárez's birthday" in rest
    assert "Friday, May 1, 2026 · Labor Day" in rest
    assert "Ley Federal del Trabajo" in english
    assert 'id="days-off-form"' not in english  # a doctor sees the days, not the form

    spanish_page = text_of(spanish(client_for(app, referring)).get(f"/boards/{board.id}"))
    rest = plain(section(spanish_page, "rest-days"))
    assert "lunes, 16 de marzo de 2026 · Natalicio de Benito Juárez" in rest
    assert "Días sin sesiones" in spanish_page


def test_the_board_form_sets_what_becomes_of_a_session_on_a_day_off(app, coordinator, board):
    client = client_for(app, coordinator)
    form = text_of(client.get(f"/boards/{board.id}/edit"))
    assert re.search(r'<option value="skip"\s+selected>Skip it</option>', form)
    response = client.post(
        f"/boards/{board.id}/edit",
        data=board_form(name=board.name, specialties=["solid_tumours"], day_off_policy="previous"),
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert board.day_off_policy is DayOffPolicy.PREVIOUS
    [entry] = audits("board.update")
    assert "day_off_policy" in entry.details["changed"]

    bad = client.post(
        f"/boards/{board.id}/edit",
        data=board_form(name=board.name, specialties=["solid_tumours"], day_off_policy="never"),
    )
    assert bad.status_code == 422
    assert 'id="day_off_policy-error"' in text_of(bad)
