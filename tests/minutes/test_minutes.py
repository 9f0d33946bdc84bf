# ruff: noqa: F811  (fixtures imported from the scene are requested by name below)
"""The minutes of a session, generated from its record: the coordinator reviews the draft,
finalises it once the session has ended (attendees and members get a link, never patient
data), and later corrections are dated addenda. Print view and PDF say the same. Whoever may
enter the room reads them; a referring doctor reads the review of their own cases only."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from flask import render_template_string
from flask_babel import refresh
from flask_login import login_user
from sqlalchemy import func, select

from telemed.audit.models import AuditEntry
from telemed.auth.models import Role
from telemed.core.errors import InvalidTransition
from telemed.core.transaction import unit_of_work
from telemed.extensions import db
from telemed.minutes import content as minutes_content
from telemed.minutes import notices as minutes_notices
from telemed.minutes import service as minutes
from telemed.minutes.models import Minutes, MinutesAddendum, MinutesStatus
from telemed.sessions.models import BoardSession
from tests.conftest import client_for, english
from tests.scenes.boards import PATIENT_REFERENCE, emails, local
from tests.scenes.minutes import (  # noqa: F401  (fixtures)
    FOREIGN_AGREEMENT,
    FOREIGN_DISSENT,
    FOREIGN_RECOMMENDATION,
    GENERAL_MATTERS,
    GUEST,
    HITO,
    MERIDA,
    OWN_RECOMMENDATION,
    flat,
    held,
    hito,
    pdf_text,
    training,
)

MASKED = "•••788"  # how pages mask the reference; not even that belongs in minutes


def page(app, user, held, suffix=""):
    response = client_for(app, user).get(f"/sessions/{held.session.id}/minutes{suffix}")
    return response


def no_patient_data(text: str) -> None:
    assert PATIENT_REFERENCE not in text
    assert "4455667788" not in text and MASKED not in text


def viewed() -> list[AuditEntry]:
    return list(db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "minutes.viewed").order_by(AuditEntry.id)
    ))  # fmt: skip


# --- what the minutes say -------------------------------------------------------------


def test_the_draft_minutes_say_what_the_session_recorded(app, held, coordinator, chair,
                                                         radiologist, referring):  # fmt: skip
    response = page(app, coordinator, held)
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    board = held.session.board
    assert board.name in text and "Session 1" in text and "Case review" in text
    assert 'id="minutes-status">draft' in text
    assert "Thursday 5 March 2026" in text  # the board's day (it is 6 March in UTC)
    assert "18:02" in text and "19:25" in text and "(Mexico City time)" in text
    assert "(scheduled)" not in text  # both times were recorded

    # Attendance: who, in what role, from which unit and discipline; absentees are not listed.
    for name, role, unit in (
        (chair.name, "Chair", "UMAE Hospital de Pediatría CMN Siglo XXI"),
        (radiologist.name, "Board member", "Hospital General CMN La Raza"),
        (coordinator.name, "Coordinator", "Coordinación de telemedicina"),
        (referring.name, "Referring doctor", "HGR No. 1 Tijuana"),  # from their centre
        (GUEST, "Guest", "HGZ No. 1 Campeche"),
    ):
        assert f"<td>{name}</td><td>{role}</td><td>{unit}</td>" in text, name
    assert "Radiology" in text and "Paediatric oncology" in text
    assert held.absent.name not in text

    # Follow-up of the previous session's agreements: the one reported done here and the one
    # due by this session, in full; the one not due yet is counted and listed in the annex
    # (without its text); the one settled before the previous session ended is not followed
    # up again.
    for key, state in (("done", "follow-up-done"), ("overdue", "follow-up-overdue")):
        agreement = held.follow_up[key]
        assert f'<li class="follow-up {state}">\n      {agreement.text}' in text, key
    assert held.follow_up["open"].text not in text
    assert "1 more agreement from earlier sessions is still open (0 overdue)" in text
    assert text.count('class="annex-entry"') == 1 and "<td>Coordinación</td>" in text
    assert held.follow_up["settled"].text not in text
    assert "done Mar 5, 2026" in text and "overdue" in text
    # Open referrals of the board's cases (the completed one is not listed).
    assert text.count(MERIDA) == 2

    # Each case by its agenda code with its presenter and outcome, recommendations, referrals.
    own, foreign, deferred = held.session.agenda
    assert [item.agenda_code for item in (own, foreign, deferred)] == [
        f"CE 1.{held.own_case.id}", f"CE 1.{held.foreign_case.id}", f"CE 1.{held.deferred_case.id}"
    ]  # fmt: skip
    for item in (own, foreign, deferred):
        assert f'<span class="agenda-code">{item.agenda_code}</span>' in text
        assert f"Presented by: {item.presented_by.name}" in text
    assert text.count('case-outcome">deferred · Material missing<') == 1
    assert text.count('case-outcome">discussed<') == 2
    assert OWN_RECOMMENDATION in text and "<strong>Referral</strong>" in text
    assert "By consensus" in text and "Responsible: Hematología, HGR No. 1 Tijuana" in text
    assert FOREIGN_RECOMMENDATION in text and "<strong>Further studies</strong>" in text
    assert f"Not by consensus; dissent: {FOREIGN_DISSENT}" in text
    assert f"Referral: {HITO} · Haploidentical · sent" in text

    assert GENERAL_MATTERS in text
    for agreement in held.agreements.values():
        assert agreement.text in text
    assert f"Owner: {chair.name}" in text and "Due: Mar 12, 2026" in text
    no_patient_data(text)


def test_print_view_and_pdf_say_the_same_without_patient_data(app, held, coordinator, chair):
    printed = page(app, coordinator, held, "/print")
    assert printed.status_code == 200
    html = printed.get_data(as_text=True)
    # Its A4 print rules come from a stylesheet of its own (the CSP allows no inline style).
    sheet = re.search(r'href="([^"]*/static/minutes-print\.css)"', html)
    assert sheet, "the print page links its print stylesheet"
    stylesheet = app.test_client().get(sheet.group(1))
    css = stylesheet.get_data(as_text=True)
    stylesheet.close()
    assert "@page" in css and "@media print" in css and "break-inside: avoid" in css
    assert "navbar" not in html and "Log out" not in html  # standalone, no navigation
    assert f'<p class="mb-0" id="print-board">{held.session.board.name}</p>' in html
    assert "Thursday 5 March 2026 · 18:02–19:25 (Mexico City time)" in html
    assert "DRAFT" in html
    assert OWN_RECOMMENDATION in html and f"CE 1.{held.own_case.id}" in html
    no_patient_data(html)

    response = page(app, coordinator, held, ".pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    text = pdf_text(response.data)
    joined = flat(text)
    assert f"Minutes: {held.session.board.name}, session 1" in text  # "Comité": accents survive
    assert "Date: Thursday 5 March 2026" in text
    assert "Start: 18:02" in text and "End: 19:25 (Mexico City time)" in text
    assert f"{chair.name} - Chair - UMAE Hospital de Pediatría CMN Siglo XXI" in joined
    assert f"{GUEST} - Guest - HGZ No. 1 Campeche" in joined
    assert held.follow_up["overdue"].text in joined and "[overdue]" in joined
    assert f"CE 1.{held.own_case.id} - {held.own_case.code} - discussed" in text
    deferred_line = f"CE 1.{held.deferred_case.id} - {held.deferred_case.code} - deferred"
    assert deferred_line in text and "Material missing" in joined.split(deferred_line)[1][:20]
    assert OWN_RECOMMENDATION in joined and "haploidéntico" in joined
    assert f"Referral: {HITO} - Haploidentical - sent" in joined  # "Teletón" survives
    assert GENERAL_MATTERS in joined
    assert held.agreements["general"].text in joined
    no_patient_data(text)
    assert [e.details["via"] for e in viewed()] == ["print", "pdf"]


def test_the_draft_follows_the_record_and_times_not_recorded_are_flagged(app, held,
                                                                         coordinator):  # fmt: skip
    held.session.general_matters = "Se acordó cambiar de plataforma de video."
    held.session.ended_at = None
    db.session.commit()
    text = page(app, coordinator, held).get_data(as_text=True)
    assert "Se acordó cambiar de plataforma de video." in text and GENERAL_MATTERS not in text
    assert '<span id="minutes-end">19:30</span> <span class="text-muted small">(scheduled)' in text
    content = minutes_content.build_minutes(held.session)
    assert content["session"]["end_recorded"] is False
    assert content["session"]["start_recorded"] is True


def test_the_content_stores_values_so_labels_follow_the_reader(app, held, coordinator):
    content = minutes_content.build_minutes(held.session)
    assert content["session"]["kind"] == "case_review"
    assert {e["role"] for e in content["attendance"]} == {
        "chair", "member", "coordinator", "referring", "guest",
    }  # fmt: skip
    own = content["cases"][0]
    assert own["outcome"] == "discussed" and own["recommendations"][0]["category"] == "referral"
    assert own["referrals"] == [
        {"to_centre": HITO, "transplant_type": "haploidentical", "status": "sent"}
    ]
    assert PATIENT_REFERENCE not in str(content)

    browser = client_for(app, coordinator)
    browser.environ_base["HTTP_ACCEPT_LANGUAGE"] = "es-MX"
    spanish = browser.get(f"/sessions/{held.session.id}/minutes").get_data(as_text=True)
    assert "jueves 5 de marzo de 2026" in spanish


# --- who reads what -------------------------------------------------------------------


def test_a_referring_doctor_reads_the_review_of_their_own_cases_only(app, held, referring):
    response = page(app, referring, held)
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert OWN_RECOMMENDATION in text and HITO in text
    assert f"CE 1.{held.foreign_case.id}" in text  # the code and outcome, not the review
    assert FOREIGN_RECOMMENDATION not in text and FOREIGN_DISSENT not in text
    assert FOREIGN_AGREEMENT not in text and held.follow_up["overdue"].text not in text
    assert "The review of this case is shown to its centre and the board only." in text
    assert text.count(MERIDA) == 1  # the Cancún case's open referral is not theirs
    assert 'id="finalise-form"' not in text
    pdf = flat(pdf_text(page(app, referring, held, ".pdf").data))
    assert OWN_RECOMMENDATION in pdf and FOREIGN_RECOMMENDATION not in pdf
    no_patient_data(text)


def test_who_may_read_the_minutes(app, held, make_user, specialist, radiologist, admin):
    assert page(app, specialist, held).status_code == 404  # not a member: no such session
    assert page(app, specialist, held, ".pdf").status_code == 404
    assert page(app, specialist, held, "/print").status_code == 404
    outsider = make_user(Role.REFERRING, centre_id=None, email="sin-centro@hospital.test")
    assert page(app, outsider, held).status_code == 404
    assert page(app, radiologist, held).status_code == 200
    assert page(app, admin, held).status_code == 200
    assert client_for(app).get(f"/sessions/{held.session.id}/minutes").status_code == 302
    assert client_for(app, admin).get("/sessions/999999/minutes").status_code == 404
    assert [e.actor_id for e in viewed()] == [radiologist.id, admin.id]


def test_an_invited_referring_doctor_reads_but_cannot_finalise(app, held, referring):
    browser = client_for(app, referring)
    assert browser.get(f"/sessions/{held.session.id}/minutes").status_code == 200
    refused = browser.post(f"/sessions/{held.session.id}/minutes/finalise")
    assert refused.status_code == 403
    assert minutes.current_status(held.session) is MinutesStatus.DRAFT
    assert emails("minutes_final") == []


def test_a_member_cannot_finalise_either(app, held, radiologist):
    browser = client_for(app, radiologist)
    assert browser.post(f"/sessions/{held.session.id}/minutes/finalise").status_code == 403
    assert db.session.scalar(select(func.count()).select_from(Minutes)) == 0


# --- finalising -----------------------------------------------------------------------


def test_a_finalisation_whose_emails_fail_finalises_nothing(app, held, coordinator, monkeypatch):
    """Freezing the minutes and queueing their emails is one operation: when the third email
    cannot be written, the minutes stay a draft, the record stays open and nobody is mailed."""
    browser = client_for(app, coordinator)
    real, calls = minutes_notices.minutes_final, {"n": 0}

    def fails_on_the_third(session: Any, user: Any) -> None:
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("the mail template is missing")
        real(session, user)

    monkeypatch.setattr(minutes_notices, "minutes_final", fails_on_the_third)
    response = browser.post(f"/sessions/{held.session.id}/minutes/finalise")

    assert response.status_code == 500 and calls["n"] == 3
    db.session.expire_all()
    assert minutes.current_status(held.session) is MinutesStatus.DRAFT
    assert db.session.get(BoardSession, held.session.id).minutes_final_at is None
    assert emails("minutes_final") == []


def test_finalising_freezes_the_minutes_and_sends_a_link_to_attendees_and_members(
    app, held, coordinator, chair, radiologist, referring, other_referring
):
    browser = client_for(app, coordinator)
    text = browser.get(f"/sessions/{held.session.id}/minutes").get_data(as_text=True)
    assert 'id="finalise-form"' in text
    done = browser.post(f"/sessions/{held.session.id}/minutes/finalise", follow_redirects=True)
    assert done.status_code == 200
    text = done.get_data(as_text=True)
    assert "The minutes are final; attendees and members were sent a link." in text
    assert 'id="minutes-status">final' in text and 'id="finalise-form"' not in text
    assert f"by {coordinator.name}" in text
    assert 'id="addendum-form"' in text

    row = db.session.scalar(select(Minutes))
    assert row.status is MinutesStatus.FINAL and row.finalised_by_id == coordinator.id
    assert row.content["cases"][0]["agenda_code"] == f"CE 1.{held.own_case.id}"

    # One email per person with an account who was present, plus the board's members: the
    # guest has no account and the absent specialist was not there.
    sent = emails("minutes_final")
    assert sorted(m.to_user_id for m in sent) == sorted(
        u.id for u in (chair, radiologist, coordinator, referring, other_referring)
    )
    link = f"http://127.0.0.1:5000/sessions/{held.session.id}/minutes"
    for message in sent:
        assert link in message.body_text
        assert held.session.board.name in message.subject
        for private in (PATIENT_REFERENCE, OWN_RECOMMENDATION, "CE ", "CE-", HITO):
            assert private not in message.body_text + message.subject + (message.body_html or "")

    [entry] = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "minutes.finalised"))
    assert entry.actor_id == coordinator.id and entry.object_id == held.session.id

    # Final means frozen: later changes to the record do not rewrite the minutes.
    held.session.general_matters = "Texto cambiado después"
    db.session.commit()
    text = browser.get(f"/sessions/{held.session.id}/minutes").get_data(as_text=True)
    assert GENERAL_MATTERS in text and "Texto cambiado después" not in text
    assert OWN_RECOMMENDATION in pdf_text(
        browser.get(f"/sessions/{held.session.id}/minutes.pdf").data
    )


def test_finalising_twice_is_refused_and_sends_nothing_more(app, held, coordinator):
    browser = client_for(app, coordinator)
    browser.post(f"/sessions/{held.session.id}/minutes/finalise")
    first = [m.id for m in emails("minutes_final")]
    again = browser.post(f"/sessions/{held.session.id}/minutes/finalise", follow_redirects=True)
    assert "These minutes are already final; corrections go in an addendum." in again.get_data(
        as_text=True
    )
    assert [m.id for m in emails("minutes_final")] == first
    with pytest.raises(InvalidTransition):
        minutes.finalise_minutes(coordinator, held.session)


def test_two_finalisations_at_once_cannot_both_send(app, held, coordinator, monkeypatch):
    minutes.finalise_minutes(coordinator, held.session)
    sent = len(emails("minutes_final"))
    finalised_at = db.session.scalar(select(Minutes.finalised_at))
    # The second request read "draft" before the first committed: the conditional update
    # is what stops it.
    monkeypatch.setattr(minutes, "is_final", lambda session: False)
    with english(), pytest.raises(InvalidTransition, match="already final"):
        minutes.finalise_minutes(coordinator, held.session)
    assert len(emails("minutes_final")) == sent
    assert db.session.scalar(select(func.count()).select_from(Minutes)) == 1
    assert db.session.scalar(select(Minutes.finalised_at)) == finalised_at
    assert db.session.scalar(
        select(func.count()).where(AuditEntry.action == "minutes.finalised")
    ) == 1  # fmt: skip


def test_minutes_cannot_be_finalised_before_the_session_ends(app, in_session, coordinator):
    browser = client_for(app, coordinator)
    text = browser.get(f"/sessions/{in_session.id}/minutes").get_data(as_text=True)
    assert "The minutes can be finalised once the session has ended." in text
    assert 'id="finalise-form"' not in text
    refused = browser.post(f"/sessions/{in_session.id}/minutes/finalise", follow_redirects=True)
    assert "The minutes can be finalised once the session has ended." in refused.get_data(
        as_text=True
    )
    assert minutes.current_status(in_session) is MinutesStatus.DRAFT
    assert emails("minutes_final") == []


def test_a_held_session_without_a_recorded_end_can_be_finalised(app, in_session, coordinator,
                                                                clock):  # fmt: skip
    from telemed.sessions.service import finish_ended_sessions

    clock.advance(timedelta(hours=2))
    finish_ended_sessions()
    minutes.finalise_minutes(coordinator, in_session)
    assert minutes.current_status(in_session) is MinutesStatus.FINAL


# --- addenda --------------------------------------------------------------------------


def test_corrections_to_final_minutes_are_dated_addenda(app, held, coordinator, clock):
    browser = client_for(app, coordinator)
    url = f"/sessions/{held.session.id}/minutes"
    early = browser.post(f"{url}/addenda", data={"text": "Corrección anticipada"},
                         follow_redirects=True)  # fmt: skip
    assert "The minutes are still a draft" in early.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(MinutesAddendum)) == 0

    browser.post(f"{url}/finalise")
    clock.set(local(2026, 3, 9, 10, 15))
    empty = browser.post(f"{url}/addenda", data={"text": "  "})
    assert empty.status_code == 422
    assert "This field is required." in empty.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(MinutesAddendum)) == 0

    text = f"El caso CE 1.{held.own_case.id} fue presentado por la Dra. Radióloga."
    added = browser.post(f"{url}/addenda", data={"text": text}, follow_redirects=True)
    page_text = added.get_data(as_text=True)
    assert "Addendum added." in page_text
    assert text in page_text and "9 Mar 2026, 10:15" in page_text
    [addendum] = db.session.scalars(select(MinutesAddendum))
    assert addendum.author_id == coordinator.id and addendum.at == local(2026, 3, 9, 10, 15)
    pdf = flat(pdf_text(browser.get(f"{url}.pdf").data))
    assert "Addenda" in pdf and text in pdf and coordinator.name in pdf
    assert text in browser.get(f"{url}/print").get_data(as_text=True)
    assert db.session.scalar(
        select(func.count()).where(AuditEntry.action == "minutes.addendum_added")
    ) == 1  # fmt: skip


def test_only_the_coordinator_adds_addenda(app, held, coordinator, radiologist, referring):
    minutes.finalise_minutes(coordinator, held.session)
    for user in (radiologist, referring):
        response = client_for(app, user).post(
            f"/sessions/{held.session.id}/minutes/addenda", data={"text": "Corrección"}
        )
        assert response.status_code == 403
        text = (
            client_for(app, user).get(f"/sessions/{held.session.id}/minutes").get_data(as_text=True)
        )
        assert 'id="addendum-form"' not in text
    assert db.session.scalar(select(func.count()).select_from(MinutesAddendum)) == 0


# --- training sessions: topic and speaker ---------------------------------------------


def test_the_coordinator_sets_topic_and_speaker_until_the_minutes_are_final(
    app, training, coordinator, chair
):
    session = training.session
    browser = client_for(app, coordinator)
    url = f"/sessions/{session.id}/topic"
    saved = browser.post(url, data={"topic": "Cuidados paliativos pediátricos",
                                    "speaker": "Dr. Raúl Núñez", "next": "/boards/"})  # fmt: skip
    assert saved.status_code == 302 and saved.headers["Location"] == "/boards/"
    db.session.refresh(session)
    assert (session.topic, session.speaker) == ("Cuidados paliativos pediátricos",
                                                "Dr. Raúl Núñez")  # fmt: skip
    [entry] = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "session.topic_set"))
    assert entry.details["before"]["topic"] == "Hora Dorada: neutropenia febril"

    bad = browser.post(url, data={"topic": ""}, follow_redirects=True)
    assert "This field is required." in bad.get_data(as_text=True)
    db.session.refresh(session)
    assert session.topic == "Cuidados paliativos pediátricos"

    assert client_for(app, chair).post(url, data={"topic": "Otro tema"}).status_code == 403

    text = browser.get(f"/sessions/{session.id}/minutes").get_data(as_text=True)
    assert "Cuidados paliativos pediátricos" in text and "Dr. Raúl Núñez" in text
    assert "Training" in text and "Review of specific cases" not in text

    session.ended_at = session.starts_at + timedelta(minutes=60)
    db.session.commit()
    minutes.finalise_minutes(coordinator, session)
    refused = browser.post(url, data={"topic": "Tema corregido"}, follow_redirects=True)
    assert "already final" in refused.get_data(as_text=True)
    db.session.refresh(session)
    assert session.topic == "Cuidados paliativos pediátricos"


def test_case_review_sessions_have_no_topic_form(app, held, coordinator):
    response = client_for(app, coordinator).post(
        f"/sessions/{held.session.id}/topic", data={"topic": "Tema"}, follow_redirects=True
    )
    assert "Only training and keynote sessions have a topic and speaker." in response.get_data(
        as_text=True
    )


# --- the room's minutes box -----------------------------------------------------------


def room_box(app, user, session) -> str:
    with app.test_request_context(headers={"Accept-Language": "en"}):
        login_user(user)
        refresh()  # the test's app context may hold a locale cached outside this request
        return render_template_string(
            '{% include "minutes/_room_minutes.html" %}', session=session, can_run=True
        )


def test_the_room_box_links_the_minutes_and_offers_the_forms_it_should(
    app, training, coordinator, held
):
    box = room_box(app, coordinator, training.session)
    assert f'href="/sessions/{training.session.id}/minutes"' in box
    assert f'href="/sessions/{training.session.id}/minutes.pdf"' in box
    assert 'id="room-minutes-status">draft' in box
    assert 'id="topic-form"' in box and 'value="Hora Dorada: neutropenia febril"' in box
    assert 'id="own-certificate"' not in box  # the coordinator did not attend

    attendee_box = room_box(app, training.attendee, training.session)
    assert 'id="topic-form"' not in attendee_box
    assert 'id="own-certificate"' not in attendee_box  # not ended yet
    training.session.ended_at = training.session.starts_at + timedelta(minutes=60)
    db.session.commit()
    attendee_box = room_box(app, training.attendee, training.session)
    assert f'href="/sessions/{training.session.id}/certificate.pdf"' in attendee_box
    assert 'id="own-certificate"' not in room_box(app, training.absent, training.session)

    case_box = room_box(app, coordinator, held.session)
    assert 'id="topic-form"' not in case_box and 'id="own-certificate"' not in case_box
    minutes.finalise_minutes(coordinator, held.session)
    assert 'id="room-minutes-status">final' in room_box(app, coordinator, held.session)


def test_two_coordinators_finalising_at_the_same_moment_send_once(
    app, held, coordinator, admin, monkeypatch
):
    """Real concurrency: two threads, two connections (PostgreSQL; the in-memory SQLite test
    database is one shared connection, where the simulated race above stands in). Both get
    past the early "already final?" check; the unique row and the conditional UPDATE decide."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("set TELEMED_TEST_DATABASE_URL to run the PostgreSQL variant")
    monkeypatch.setattr(minutes, "is_final", lambda session: False)
    from tests.scenes.concurrency import together

    def finalise(actor_id: int):  # type: ignore[no-untyped-def]
        def job(barrier):  # type: ignore[no-untyped-def]
            from telemed.auth.models import User
            from telemed.sessions.models import BoardSession

            actor = db.session.get(User, actor_id)
            session = db.session.get(BoardSession, held.session.id)
            barrier.wait()
            with unit_of_work():  # as each coordinator's request does
                return minutes.finalise_minutes(actor, session).finalised_by_id

        return job

    results = together(app, finalise(coordinator.id), finalise(admin.id))
    winners = [r for r in results if isinstance(r, int)]
    assert len(winners) == 1, results
    assert any(isinstance(r, InvalidTransition) for r in results), results
    db.session.expire_all()
    assert db.session.scalar(select(Minutes.finalised_by_id)) == winners[0]
    assert len(emails("minutes_final")) == 5
    assert db.session.scalar(
        select(func.count()).where(AuditEntry.action == "minutes.finalised")
    ) == 1  # fmt: skip
