# ruff: noqa: F811  (fixtures imported from referral_support are requested by name below)
"""Agreements (acuerdos): recorded in the session, read out at its end, followed up at every
later session of the board until someone marks them done, and listed on the coordinator's
dashboard once overdue (on the board's own clock). The follow-up also lists the board's open
referrals."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import select

from telemed.agreements import service
from telemed.agreements.models import Agreement
from telemed.auth.models import Role
from telemed.core.vocabulary import Specialty
from telemed.extensions import db
from telemed.referrals.models import ReferralStatus
from telemed.referrals.service import change_status, create_referral
from telemed.sessions.models import BoardSession
from telemed.sessions.service import generate_sessions
from tests.conftest import client_for, english
from tests.scenes.boards import PATIENT_REFERENCE, events_of, sessions_of, utc
from tests.scenes.referrals import (  # noqa: F401  (fixtures)
    audit_actions,
    counts,
    hito_doctor,
    mails_to,
    network,
    recommend,
    render_as,
)

TEXT = "Enviar bloque de parafina a patología del CMN Siglo XXI."


def record(client: FlaskClient, session: BoardSession, **fields: Any) -> Any:
    data: dict[str, Any] = {
        "text": TEXT,
        "owner_unit": "Patología, HGR No. 1 Tijuana",
        "due_date": "2026-03-12",
        "next": f"/sessions/{session.id}",
    }
    data.update(fields)
    return client.post(f"/sessions/{session.id}/agreements", data=data)


def agree(actor, session, **fields: Any) -> Agreement:  # type: ignore[no-untyped-def]
    data: dict[str, Any] = {"text": TEXT, "owner_unit": "Patología", "due_date": "2026-03-12"}
    data.update(fields)
    return service.record_agreement(actor, session, data)


def room(app, user, template: str, session: BoardSession, can_run: bool = True) -> str:  # type: ignore[no-untyped-def]
    return render_as(app, user, f"agreements/{template}.html", session=session, can_run=can_run)


def test_a_member_records_an_agreement_and_its_owner_is_told(
    app, in_session, own_case, chair, radiologist, referring
):
    radiologist.locale = "en"  # the email goes out in the owner's language
    db.session.commit()
    client = client_for(app, chair)
    response = record(client, in_session, owner_id=str(radiologist.id), owner_unit="Radiología",
                      case_id=str(own_case.id), next=f"/sessions/{in_session.id}/room")  # fmt: skip
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/sessions/{in_session.id}/room#room-agreements")
    agreement = db.session.scalars(select(Agreement)).one()
    assert (agreement.owner_id, agreement.owner_unit) == (radiologist.id, "Radiología")
    assert (agreement.case_id, agreement.board_id) == (own_case.id, in_session.board_id)
    assert agreement.due_date == date(2026, 3, 12) and agreement.created_by_id == chair.id
    assert [e.message for e in events_of(own_case, "agreement")] == [TEXT]
    assert audit_actions("agreement") == ["agreement.create"]

    [mail] = mails_to(radiologist, "agreement")
    assert f"/sessions/{in_session.id}" in mail.body_text and "CE-0001" in mail.body_text
    assert "Due: March 12, 2026" in mail.body_text
    for secret in (TEXT, PATIENT_REFERENCE, "Leucemia"):
        assert secret not in mail.subject + mail.body_text
    assert mails_to(chair, "agreement") == []

    html = room(app, chair, "_room_agreements", in_session)
    assert f'id="agreement-{agreement.id}"' in html and TEXT in html
    assert "Dra. Radióloga — Radiología" in html and 'id="agreement-form"' in html
    # The owner choices: the members, the coordinator, the agenda's referring doctors.
    for person in (chair, radiologist, referring):
        assert f'<option value="{person.id}">' in html
    html = room(app, referring, "_room_agreements", in_session, can_run=False)
    assert TEXT in html and 'id="agreement-form"' not in html


def test_bad_agreements_are_refused_and_write_nothing(
    app, in_session, own_case, chair, make_user, make_case
):
    outsider = make_user(Role.SPECIALIST, email="ajeno@hospital.test")
    unscheduled = make_case(specialty="solid_tumours", urgency="routine")
    client = client_for(app, chair)
    before = counts()
    refused = [
        ({"owner_unit": ""}, "Name who carries it out: a person, a unit, or both."),
        ({"owner_id": str(outsider.id)}, "Choose a member or an attendee of the session."),
        # 18:00 on Thursday 5 March in Mexico City is already Friday in UTC: Wednesday is past.
        ({"due_date": "2026-03-04"}, "The due date is in the past."),
        ({"due_date": "someday"}, "Enter a valid date (YYYY-MM-DD)."),
        ({"case_id": str(unscheduled.id)}, "Choose a case on this session&#39;s agenda."),
        ({"text": "ok"}, "Write the agreement (3 to 2000 characters)."),
    ]
    for fields, message in refused:
        page = record(client, in_session, **fields)
        assert page.status_code == 302, fields
        html = client.get(f"/sessions/{in_session.id}").get_data(as_text=True)
        assert message in html, fields
    assert counts() == before
    # "Today" is the board's: Thursday 5 March is still fine.
    assert record(client, in_session, due_date="2026-03-05").status_code == 302
    assert db.session.scalars(select(Agreement)).one().due_date == date(2026, 3, 5)


def test_only_members_and_coordinators_record_agreements(
    app, in_session, chair, coordinator, referring, make_user
):
    before = counts()
    doctor = client_for(app, referring)  # in the room for their case, but not running it
    assert record(doctor, in_session).status_code == 302
    html = doctor.get(f"/sessions/{in_session.id}").get_data(as_text=True)
    assert "Only the board&#39;s members and coordinators can do this." in html
    stranger = make_user(Role.SPECIALIST, email="otro-comite@hospital.test")
    assert record(client_for(app, stranger), in_session).status_code == 404
    assert counts() == before
    assert record(client_for(app, coordinator), in_session).status_code == 302
    assert db.session.scalars(select(Agreement)).one().created_by_id == coordinator.id


def test_open_agreements_and_referrals_are_followed_up_until_done(
    app, board, in_session, own_case, foreign_case, chair, coordinator, referring, radiologist,
    hito_doctor, clock, network,
):  # fmt: skip
    first, second, third, fourth = sessions_of(board)[:4]
    own = agree(chair, first, owner_id=radiologist.id, case_id=own_case.id)
    general = agree(chair, first, text="Actualizar el directorio de centros con trasplante.")
    foreign = agree(chair, first, text="Revisar inmunofenotipo en Cancún.",
                    case_id=foreign_case.id)  # fmt: skip
    sent = create_referral(chair, recommend(first, own_case, chair, discuss_as=coordinator), {
        "needs": ["has_transplant_unit"], "transplant_type": "haploidentical",
        "to_centre_id": network["hito"].id, "reason": "Trasplante haploidéntico.", "send": True,
    })  # fmt: skip
    proposed = create_referral(chair, recommend(first, foreign_case, chair,
                                                discuss_as=coordinator), {
        "needs": ["has_linear_accelerator"], "to_centre_id": network["la_raza"].id,
        "reason": "Radioterapia.",
    })  # fmt: skip
    done_referral = create_referral(chair, recommend(first, own_case, chair), {
        "needs": [], "to_centre_id": network["aguascalientes"].id, "reason": "Cirugía.",
    })  # fmt: skip
    change_status(chair, done_referral, {"status": "cancelled", "note": "Ya no es necesaria."})

    # Not in the follow-up of the session that made them.
    html = room(app, chair, "_room_follow_up", first)
    assert "No open agreements from earlier sessions." in html and "No open referrals." in html

    clock.set(second.starts_at)
    html = room(app, chair, "_room_follow_up", second)
    for agreement in (own, general, foreign):
        assert f'id="agreement-{agreement.id}"' in html
    assert TEXT in html and "Revisar inmunofenotipo en Cancún." in html
    assert f'id="follow-up-referral-{sent.id}"' in html
    assert f'id="follow-up-referral-{proposed.id}"' in html
    assert f'id="follow-up-referral-{done_referral.id}"' not in html
    assert "Hospital Infantil Teletón de Oncología" in html
    assert html.count("agreement-done-form") == 3

    # A referring doctor in the room: their own case in full, others by code only.
    html = room(app, referring, "_room_follow_up", second, can_run=False)
    assert TEXT in html and "Revisar inmunofenotipo" not in html
    assert "Agreement on another centre" in html
    assert "CMN La Raza" not in html and "CE-0002" in html
    assert "Hospital Infantil Teletón de Oncología" in html
    assert "agreement-done-form" not in html  # not theirs to mark

    # Marked done in the second session's room: shown done there, gone from later sessions.
    client = client_for(app, chair)
    response = client.post(f"/agreements/{own.id}/done", data={
        "note": "Bloque enviado por paquetería.", "session_id": str(second.id),
        "next": f"/sessions/{second.id}/room",
    })  # fmt: skip
    assert response.status_code == 302
    db.session.expire_all()
    assert (own.done_by_id, own.done_at, own.done_session_id) == (chair.id, second.starts_at,
                                                                  second.id)  # fmt: skip
    html = room(app, chair, "_room_follow_up", second)
    assert f'id="agreement-{own.id}"' in html and "Bloque enviado por paquetería." in html
    assert html.count("agreement-done-form") == 2
    assert [e.kind for e in own_case.events].count("agreement_done") == 1

    # Done between sessions (from the API, say): reported at the next one.
    clock.set(second.ends_at + timedelta(days=4))
    service.mark_done(radiologist, general, {})
    assert general.done_session_id == third.id
    clock.set(third.starts_at)
    html = room(app, chair, "_room_follow_up", third)
    assert f'id="agreement-{own.id}"' not in html
    assert f'id="agreement-{general.id}"' in html and f'id="agreement-{foreign.id}"' in html
    html = room(app, chair, "_room_follow_up", fourth)
    assert f'id="agreement-{general.id}"' not in html
    assert f'id="agreement-{foreign.id}"' in html

    # A referral leaves the follow-up once completed, declined or cancelled.
    change_status(hito_doctor, sent, {"status": "declined", "note": "Sin camas."})
    assert f'id="follow-up-referral-{sent.id}"' not in room(app, chair, "_room_follow_up", third)


def test_a_done_marked_by_mistake_is_reopened(app, board, in_session, chair, clock):
    first, second, third = sessions_of(board)[:3]
    agreement = agree(chair, first)
    clock.set(second.starts_at)
    client = client_for(app, chair)
    client.post(f"/agreements/{agreement.id}/done", data={"session_id": str(second.id)})
    html = room(app, chair, "_room_follow_up", second)
    assert "Reopen (marked done by mistake)" in html
    client.post(f"/agreements/{agreement.id}/reopen")
    db.session.expire_all()
    assert agreement.done_at is None and agreement.done_session_id is None
    assert f'id="agreement-{agreement.id}"' in room(app, chair, "_room_follow_up", third)
    assert audit_actions("agreement", agreement.id) == [
        "agreement.create", "agreement.done", "agreement.reopen",
    ]  # fmt: skip
    page = client.post(f"/agreements/{agreement.id}/reopen", follow_redirects=True)
    assert "This agreement is still open." in page.get_data(as_text=True)


def test_the_owner_may_mark_their_agreement_done_and_others_may_not(
    app, board, in_session, own_case, chair, referring, other_referring, make_user
):
    agreement = agree(chair, in_session, owner_id=referring.id, owner_unit=None,
                      case_id=own_case.id)  # fmt: skip
    before = counts()
    page = client_for(app, other_referring).post(f"/agreements/{agreement.id}/done",
                                                 follow_redirects=True)  # fmt: skip
    assert "Only the board&#39;s members, its coordinators and the owner" in page.get_data(
        as_text=True
    )
    stranger = make_user(Role.SPECIALIST, email="nadie@hospital.test")
    assert client_for(app, stranger).post(f"/agreements/{agreement.id}/done").status_code == 404
    assert counts() == before
    client_for(app, referring).post(f"/agreements/{agreement.id}/done", data={"note": "Hecho."})
    db.session.expire_all()
    assert agreement.done_by_id == referring.id and agreement.done_note == "Hecho."
    page = client_for(app, chair).post(f"/agreements/{agreement.id}/done", follow_redirects=True)
    assert "This agreement is already marked done." in page.get_data(as_text=True)


def test_overdue_agreements_are_highlighted_and_on_each_coordinators_dashboard(
    app, board, chair, coordinator, admin, make_board, make_user, clock
):
    """Due dates are days on the board's clock: a Tijuana board's agreement due Tuesday is
    overdue an hour later than a Mexico City board's (Tijuana is on summer time by then)."""
    other_coordinator = make_user(Role.COORDINATOR, email="coordinadora-bc@hospital.test")
    tijuana_board = make_board(
        specialties=(Specialty.LEUKAEMIA_LYMPHOMA,),
        coordinator=other_coordinator,
        timezone="America/Tijuana",
    )
    generate_sessions()
    mexico = agree(coordinator, sessions_of(board)[0], due_date="2026-03-10",
                   text="Acuerdo del comité de tumores sólidos.")  # fmt: skip
    tijuana = agree(other_coordinator, sessions_of(tijuana_board)[0], due_date="2026-03-10",
                    text="Acuerdo del comité de Baja California.")  # fmt: skip

    def dashboard(user) -> str:  # type: ignore[no-untyped-def]
        return client_for(app, user).get("/boards/dashboard").get_data(as_text=True)

    clock.set(utc(2026, 3, 11, 5, 59))  # 23:59 on Tuesday in Mexico City
    assert "No agreement is overdue." in dashboard(coordinator)
    clock.set(utc(2026, 3, 11, 6, 30))  # Wednesday 00:30 in Mexico City, 23:30 Tuesday in Tijuana
    html = dashboard(coordinator)
    assert f'id="overdue-agreement-{mexico.id}"' in html
    assert "Acuerdo del comité de tumores sólidos." in html
    assert "No agreement is overdue." in dashboard(other_coordinator)
    html = dashboard(admin)
    assert f'id="overdue-agreement-{mexico.id}"' in html
    assert f'id="overdue-agreement-{tijuana.id}"' not in html

    clock.set(utc(2026, 3, 11, 7, 30))  # Wednesday 00:30 in Tijuana
    html = dashboard(other_coordinator)
    assert f'id="overdue-agreement-{tijuana.id}"' in html
    assert f'id="overdue-agreement-{mexico.id}"' not in html
    html = dashboard(admin)
    assert f'id="overdue-agreement-{mexico.id}"' in html
    assert f'id="overdue-agreement-{tijuana.id}"' in html

    # Highlighted in the room of the next session, until done.
    second = sessions_of(board)[1]
    html = room(app, chair, "_room_follow_up", second)
    assert "agreement-overdue" in html and "overdue" in html
    service.mark_done(chair, mexico, {"session_id": second.id})
    assert f'id="overdue-agreement-{mexico.id}"' not in dashboard(coordinator)
    assert "agreement-overdue" not in room(app, chair, "_room_follow_up", second)


def test_an_agreement_cannot_be_added_to_final_minutes_or_a_cancelled_session(
    app, board, in_session, chair, coordinator
):
    from telemed.core.errors import InvalidTransition
    from telemed.minutes.models import Minutes, MinutesStatus
    from telemed.sessions.service import cancel_session

    db.session.add(Minutes(session_id=in_session.id, status=MinutesStatus.FINAL))
    in_session.minutes_final_at = in_session.ends_at
    db.session.commit()
    before = counts()
    try:
        with english():
            agree(chair, in_session)
    except InvalidTransition as err:
        assert "The minutes of this session are final" in err.message
    else:  # pragma: no cover
        raise AssertionError("recorded in final minutes")
    later = sessions_of(board)[2]
    cancel_session(coordinator, later)
    try:
        with english():
            agree(chair, later)
    except InvalidTransition as err:
        assert err.message == "This session was cancelled."
    else:  # pragma: no cover
        raise AssertionError("recorded in a cancelled session")
    db.session.rollback()
    assert counts()["Agreement"] == before["Agreement"]


def test_the_referral_status_shown_in_follow_up_is_todays(
    app, board, in_session, own_case, chair, coordinator, hito_doctor, clock, network
):
    referral = create_referral(chair, recommend(in_session, own_case, chair,
                                                discuss_as=coordinator), {
        "needs": ["has_transplant_unit"], "transplant_type": "autologous",
        "to_centre_id": network["hito"].id, "reason": "Consolidación.", "send": True,
    })  # fmt: skip
    change_status(hito_doctor, referral, {"status": "accepted"})
    change_status(hito_doctor, referral, {"status": "scheduled", "scheduled_for": "2026-04-02"})
    assert referral.status is ReferralStatus.SCHEDULED
    second = sessions_of(board)[1]
    clock.set(second.starts_at)
    html = room(app, chair, "_room_follow_up", second)
    assert f'id="follow-up-referral-{referral.id}"' in html
    assert "scheduled" in html and "Apr 2, 2026" in html


def test_the_dashboard_loads_overdue_agreements_with_their_sessions_at_once(
    app, board, coordinator, clock
):
    """Each overdue agreement names its session: read with the list, not one query per row
    (575 overdue agreements made 1,169 statements and took a second and a half)."""
    from tests.scenes.statements import statements

    generate_sessions()
    sessions = sessions_of(board)
    agree(coordinator, sessions[0], due_date="2026-03-10")
    for session in sessions[1:5]:
        agree(coordinator, session, due_date="2026-03-20")
    db.session.commit()
    client = client_for(app, coordinator)
    clock.set(utc(2026, 3, 11, 12, 0))  # one overdue
    client.get("/boards/dashboard")
    with statements() as few:
        client.get("/boards/dashboard")
    clock.set(utc(2026, 3, 21, 12, 0))  # five overdue, each of another session
    with statements() as more:
        html = client.get("/boards/dashboard").get_data(as_text=True)
    assert html.count('id="overdue-agreement-') == 5
    assert one_by_one(more) == one_by_one(few)


def one_by_one(sent: list[str]) -> list[str]:
    """Sessions loaded by their id, one statement each (a lazy load per row)."""
    return [sql for sql in sent if re.search(r"WHERE board_sessions\.id = (\?|%\(\w+\)s)$", sql)]
