"""Times read as people say them on every page of the journey and in the minutes (issue 17,
finding 6): no "GMT-08:00", no "America/Mexico_City", no "2026-03-05 18:00" — and the
session's time named by its board's city, with the reader's own clock beside it.

The reader is a coordinator and an administrator in Tijuana (two hours behind the Mexico
City board in March), in Spanish and in English, after the held session's minutes were
finalised and corrected by an addendum. Every email kind is checked in
``tests/test_every_email.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import select

from telemed.auth.models import Role, User
from telemed.core.clock import Clock
from telemed.extensions import db
from telemed.minutes import service as minutes
from telemed.referrals.models import Referral
from telemed.room import service as room
from tests.conftest import client_for, committed
from tests.scenes.minutes import Held, flat, pdf_text
from tests.scenes.session import item_for
from tests.scenes.times import technical_times, visible_text

TIJUANA = "America/Tijuana"
SPANISH_WHEN = "jueves 5 de marzo de 2026, 18:00–19:30 h (hora de la Ciudad de México)"


@pytest.fixture
def finalised(held: Held, coordinator: User, clock: Clock) -> Held:
    """The held session's times corrected in the room (audited), its minutes final and then
    corrected; the coordinator in Tijuana."""
    clock.set(held.session.ended_at + timedelta(minutes=20))
    times = {"started_at_local": "2026-03-05T18:02", "ended_at_local": "2026-03-05T19:25"}
    committed(room.correct_times(coordinator, held.session, times))
    committed(minutes.finalise_minutes(coordinator, held.session))
    clock.advance(timedelta(days=1))
    committed(minutes.add_session_addendum(coordinator, held.session, "Corrige la hora."))
    coordinator.timezone = TIJUANA
    db.session.commit()
    return held


def journey(held: Held) -> list[str]:
    session = held.session
    referral = db.session.scalars(
        select(Referral).where(Referral.case_id == held.own_case.id).order_by(Referral.id)
    ).first()
    assert referral is not None
    return [
        "/boards/dashboard",
        f"/boards/{session.board_id}",
        f"/sessions/{session.id}",
        f"/sessions/{session.id}/room",
        f"/sessions/{session.id}/items/{item_for(session, held.own_case).id}",
        f"/sessions/{session.id}/preparation",
        f"/sessions/{session.id}/minutes",
        f"/sessions/{session.id}/minutes/print",
        f"/sessions/{held.previous.id}",
        f"/cases/{held.own_case.id}",
        "/cases/",
        "/referrals",
        f"/referrals/{referral.id}",
        "/auth/profile",
    ]


@pytest.mark.parametrize("locale", ["es_MX", "en"])
def test_pages_of_the_journey_say_times_as_people_do(
    app: Flask, finalised: Held, coordinator: User, make_user: Callable[..., User], locale: str
) -> None:
    coordinator.locale = locale
    admin = make_user(Role.ADMIN, locale=locale, timezone=TIJUANA)
    db.session.commit()
    problems = []
    client = client_for(app, coordinator)
    for url in journey(finalised):
        response = client.get(url)
        assert response.status_code == 200, url
        problems += [f"{url} {p}" for p in technical_times(visible_text(response.text))]
    admin_client = client_for(app, admin)
    for url in ("/admin/audit/", "/boards/", "/centres/"):
        response = admin_client.get(url)
        assert response.status_code == 200, url
        problems += [f"{url} {p}" for p in technical_times(visible_text(response.text))]
    pdf = client.get(f"/sessions/{finalised.session.id}/minutes.pdf")
    problems += [f"minutes.pdf {p}" for p in technical_times(flat(pdf_text(pdf.data)))]
    assert problems == []


def test_the_session_page_names_the_boards_clock_and_the_readers(
    app: Flask, finalised: Held, coordinator: User
) -> None:
    coordinator.locale = "es_MX"
    db.session.commit()
    client = client_for(app, coordinator)
    page = visible_text(client.get(f"/sessions/{finalised.session.id}").text)
    assert f"{SPANISH_WHEN.replace(' de 2026', '')}; 16:00–17:30 h en su hora (Tijuana)" in page
    room = visible_text(client.get(f"/sessions/{finalised.session.id}/room").text)
    assert "(hora de la Ciudad de México); 16:00–17:30 h en su hora (Tijuana)" in room


def test_the_minutes_are_dated_as_a_record_on_the_boards_clock(
    app: Flask, finalised: Held, coordinator: User
) -> None:
    coordinator.locale = "es_MX"
    db.session.commit()
    client = client_for(app, coordinator)
    session = finalised.session
    printed = visible_text(client.get(f"/sessions/{session.id}/minutes/print").text)
    assert "jueves 5 de marzo de 2026 · 18:02–19:25 h (hora de la Ciudad de México)" in printed
    # Finalised 19:45 and corrected a day later on the board's clock, whoever reads them.
    assert "5 mar 2026, 19:45 h (hora de la Ciudad de México)" in printed
    assert "6 mar 2026, 19:45 h (hora de la Ciudad de México)" in printed
    text = flat(pdf_text(client.get(f"/sessions/{session.id}/minutes.pdf").data))
    assert "Fecha: jueves 5 de marzo de 2026" in text
    assert "Inicio: 18:02 h · Término: 19:25 h (hora de la Ciudad de México)" in text
