"""Quorum (each of the board's disciplines covered by someone who accepted), the warning to
the coordinator 48 hours ahead, and the reminders 24 hours and 1 hour before a session.

The first session is Thursday 5 March 2026, 18:00 Mexico City (Friday 00:00 UTC); the clock
starts on Monday 2 March at 17:00 UTC, 79 hours earlier.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

import config as config_module
from telemed.auth.models import Discipline
from telemed.extensions import db
from telemed.invites import rsvp
from telemed.invites import service as invites
from telemed.sessions.models import PartStat
from telemed.sessions.service import move_session
from tests.conftest import client_for
from tests.invites.helpers import attendee_of, messages
from tests.scenes.boards import PATIENT_REFERENCE


def answer(session, user, partstat: PartStat) -> None:
    rsvp.respond(attendee_of(session, user), partstat, user, "page")


def require(board, *disciplines: Discipline) -> None:
    board.quorum_disciplines = [d.value for d in disciplines]
    db.session.commit()


# --- quorum ---------------------------------------------------------------------------------


def test_quorum_needs_an_accepted_attendee_for_each_discipline(invited, panel, chair, member):
    require(panel, Discipline.PAEDIATRIC_ONCOLOGY, Discipline.RADIOLOGY)
    quorum = invites.quorum_of(invited)
    assert (quorum.met, quorum.missing) == (False, ["paediatric_oncology", "radiology"])

    answer(invited, chair, PartStat.ACCEPTED)  # a paediatric oncologist
    assert invites.quorum_of(invited).missing == ["radiology"]
    answer(invited, member, PartStat.TENTATIVE)  # the radiologist, not sure yet
    assert invites.quorum_of(invited).missing == ["radiology"]
    answer(invited, member, PartStat.ACCEPTED)
    assert invites.quorum_of(invited).met
    answer(invited, chair, PartStat.DECLINED)
    assert invites.quorum_of(invited).missing == ["paediatric_oncology"]


def test_the_discipline_held_on_the_board_counts_before_the_persons_own(
    invited, panel, chair, guest
):
    require(panel, Discipline.PAEDIATRIC_ONCOLOGY, Discipline.RADIOLOGY)
    links = {m.user_id: m for m in panel.members}
    links[guest.id].discipline = Discipline.RADIOLOGY  # palliative care by training
    links[chair.id].discipline = None  # falls back to their own: paediatric oncology
    db.session.commit()
    answer(invited, guest, PartStat.ACCEPTED)
    answer(invited, chair, PartStat.ACCEPTED)
    assert invites.quorum_of(invited).met

    links[guest.id].discipline = Discipline.PALLIATIVE_CARE
    db.session.commit()
    assert invites.quorum_of(invited).missing == ["radiology"]


def test_a_missing_quorum_48_hours_ahead_is_mailed_to_the_coordinator_once(
    app, invited, panel, coordinator, chair, clock
):
    session = invited
    assert invites.check_quorum() == 0  # 79 hours ahead: too early to worry
    assert messages("quorum_missing") == []

    clock.set(session.starts_at - timedelta(hours=47))
    assert invites.check_quorum() == 1
    assert invites.check_quorum() == 1  # still missing, but told once
    [mail] = messages("quorum_missing")
    assert (mail.to_user_id, mail.dedupe_key) == (coordinator.id, f"quorum:{session.id}:0")
    assert mail.subject == f"No quorum yet: {panel.name}, session {session.number}"
    assert "Paediatric oncology" in mail.body_text
    assert f"/sessions/{session.id}" in mail.body_text
    assert PATIENT_REFERENCE not in mail.body_text

    dashboard = client_for(app, coordinator).get("/boards/dashboard").get_data(as_text=True)
    assert 'id="quorum-warnings"' in dashboard
    assert f'href="/sessions/{session.id}"' in dashboard

    answer(session, chair, PartStat.ACCEPTED)
    assert invites.check_quorum() == 0
    dashboard = client_for(app, coordinator).get("/boards/dashboard").get_data(as_text=True)
    assert 'id="quorum-warnings"' not in dashboard
    page = client_for(app, coordinator).get(f"/sessions/{session.id}").get_data(as_text=True)
    assert "Quorum met" in page


def test_a_board_without_quorum_disciplines_is_never_flagged(invited, panel, clock):
    require(panel)
    clock.set(invited.starts_at - timedelta(hours=2))
    assert invites.check_quorum() == 0
    assert invites.quorum_of(invited).met


# --- reminders --------------------------------------------------------------------------------


def test_reminders_24_hours_and_1_hour_before_not_to_decliners_and_not_twice(
    invited, panel, chair, member, guest, referring, clock
):
    session = invited
    answer(session, guest, PartStat.DECLINED)
    answer(session, member, PartStat.TENTATIVE)

    clock.set(session.starts_at - timedelta(hours=24, minutes=1))
    assert invites.send_reminders() == 0
    clock.set(session.starts_at - timedelta(hours=23, minutes=59))
    assert invites.send_reminders() == 3
    assert invites.send_reminders() == 0
    day_before = messages("reminder")
    assert {m.to_user_id for m in day_before} == {chair.id, member.id, referring.id}
    assert {m.dedupe_key for m in day_before} == {
        f"reminder:{session.id}:0:24:{user.id}" for user in (chair, member, referring)
    }
    [to_doctor] = [m for m in day_before if m.to_user_id == referring.id]
    assert to_doctor.subject == f"Reminder: {panel.name}, session {session.number}, in 24 hours"
    assert (
        "Thursday 5 March, 18:00–19:30 (Mexico City time); 16:00–17:30 your time (Tijuana)"
        in to_doctor.body_text
    )
    assert session.room_url in to_doctor.body_text
    assert PATIENT_REFERENCE not in to_doctor.body_text

    clock.set(session.starts_at - timedelta(minutes=59))
    assert invites.send_reminders() == 3
    assert invites.send_reminders() == 0
    hour_before = messages("reminder")[3:]
    assert {m.to_user_id for m in hour_before} == {chair.id, member.id, referring.id}
    assert {m.subject for m in hour_before if m.to_user_id == referring.id} == {
        f"Reminder: {panel.name}, session {session.number}, in 1 hour"
    }
    clock.set(session.starts_at + timedelta(minutes=1))
    assert invites.send_reminders() == 0
    assert guest.id not in {m.to_user_id for m in messages("reminder")}


def test_a_late_first_run_sends_only_the_nearest_reminder(invited, clock):
    clock.set(invited.starts_at - timedelta(minutes=30))
    assert invites.send_reminders() == 4
    assert {m.dedupe_key.split(":")[3] for m in messages("reminder")} == {"1"}


def test_a_moved_session_is_reminded_at_its_new_time(invited, coordinator, clock):
    old_start = invited.starts_at
    move_session(coordinator, invited, datetime(2026, 3, 6, 18, 0))  # a day later
    clock.set(old_start - timedelta(hours=23))
    assert invites.send_reminders() == 0  # where it used to be: nothing
    clock.set(invited.starts_at - timedelta(hours=23))
    assert invites.send_reminders() == 3  # the referring doctor left with their case
    assert {m.dedupe_key.split(":")[2] for m in messages("reminder")} == {"1"}  # SEQUENCE 1


def test_reminder_hours_come_from_the_configuration(app, invited, monkeypatch, clock):
    assert app.config["REMINDER_HOURS"] == (24, 1)
    monkeypatch.setenv("TELEMED_REMINDER_HOURS", "48, 2")
    assert config_module.env_ints("REMINDER_HOURS", "24,1") == (48, 2)

    monkeypatch.setitem(app.config, "REMINDER_HOURS", (2,))
    clock.set(invited.starts_at - timedelta(hours=3))
    assert invites.send_reminders() == 0
    clock.set(invited.starts_at - timedelta(hours=2))
    assert invites.send_reminders() == 4
    assert {m.dedupe_key.split(":")[3] for m in messages("reminder")} == {"2"}


@pytest.mark.parametrize("hours", [(), (0,)])
def test_no_reminder_hours_means_no_reminders(app, invited, monkeypatch, clock, hours):
    monkeypatch.setitem(app.config, "REMINDER_HOURS", hours)
    clock.set(invited.starts_at - timedelta(minutes=10))
    assert invites.send_reminders() == 0
