"""Answering an invitation: the accept / tentative / decline links of the email (no login;
opening one changes nothing until the button is pressed), and the buttons of the session
page. A tampered or expired link is refused with a clear page and changes nothing."""

from __future__ import annotations

import re
from datetime import timedelta

from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import select

from telemed.audit.models import AuditEntry
from telemed.extensions import db
from telemed.invites import rsvp, rsvp_links
from telemed.invites import service as invites
from telemed.sessions.agenda import place_by_hand
from telemed.sessions.models import PartStat
from tests.conftest import START, client_for
from tests.invites.helpers import attendee_of, invites_to
from tests.scenes.boards import sessions_of

INVALID = "This link is invalid or has expired."
ORDER = (PartStat.ACCEPTED, PartStat.TENTATIVE, PartStat.DECLINED)


def links(session, user) -> dict[PartStat, str]:
    """The three RSVP paths of the user's latest invitation, by answer."""
    body = invites_to(user, session)[-1].body_text
    found = re.findall(r"http://127\.0\.0\.1:5000(/rsvp/[\w.-]+)", body)
    assert len(found) == 3
    return dict(zip(ORDER, found, strict=True))


def answers() -> list[AuditEntry]:
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == "session.rsvp")))


def answer_of(session, user) -> tuple[PartStat, object]:
    db.session.expire_all()
    row = attendee_of(session, user)
    return row.partstat, row.responded_at


def test_the_link_asks_first_and_the_button_answers(app, invited, referring, clock):
    path = links(invited, referring)[PartStat.ACCEPTED]
    browser = client_for(app)  # not logged in: the link is the credential

    page = browser.get(path)
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert f'action="{path}"' in text and 'type="submit"' in text
    # The board's clock by its city, and the doctor's own beside it.
    assert (
        "Thursday 5 March, 18:00–19:30 (Mexico City time); 16:00–17:30 your time (Tijuana)" in text
    )
    assert answer_of(invited, referring) == (PartStat.NEEDS_ACTION, None)  # a GET did nothing
    assert answers() == []

    clock.advance(timedelta(hours=2))
    done = browser.post(path)
    assert done.status_code == 200
    assert "Thank you, your answer is saved." in done.get_data(as_text=True)
    assert answer_of(invited, referring) == (PartStat.ACCEPTED, START + timedelta(hours=2))
    [entry] = answers()
    assert (entry.actor_id, entry.object_id) == (referring.id, invited.id)
    assert entry.details["after"] == "ACCEPTED" and entry.details["via"] == "email"

    # Changed their mind: the decline link of the same email.
    assert browser.post(links(invited, referring)[PartStat.DECLINED]).status_code == 200
    assert answer_of(invited, referring)[0] is PartStat.DECLINED


def test_a_tampered_link_is_refused_and_changes_nothing(app, invited, referring):
    path = links(invited, referring)[PartStat.ACCEPTED]
    token = path.removeprefix("/rsvp/")
    row = attendee_of(invited, referring)
    forged = URLSafeTimedSerializer("guessed-secret", salt="rsvp").dumps(
        {"a": row.id, "u": referring.id, "p": "ACCEPTED"}
    )
    wrong_salt = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt="other").dumps(
        {"a": row.id, "u": referring.id, "p": "ACCEPTED"}
    )
    rest = token.partition(".")[2]
    declined = rsvp_links.make_token(row, PartStat.DECLINED).partition(".")[0]
    swapped = f"{declined}.{rest}"  # another payload under this signature
    browser = client_for(app)
    for bad in (token[:-3] + "xyz", forged, wrong_salt, swapped, "not-a-token"):
        for method in (browser.get, browser.post):
            page = method(f"/rsvp/{bad}")
            assert page.status_code == 400, bad
            assert INVALID in page.get_data(as_text=True)
    assert answer_of(invited, referring) == (PartStat.NEEDS_ACTION, None)
    assert answers() == []


def test_a_link_expires_a_day_after_the_session_ends(app, invited, referring, clock):
    path = links(invited, referring)[PartStat.TENTATIVE]
    browser = client_for(app)

    clock.set(invited.ends_at + timedelta(days=1, seconds=1))
    for method in (browser.get, browser.post):
        page = method(path)
        assert page.status_code == 400
        assert INVALID in page.get_data(as_text=True)
    assert answer_of(invited, referring) == (PartStat.NEEDS_ACTION, None)

    clock.set(invited.ends_at + timedelta(hours=23))  # still good just before
    assert browser.post(path).status_code == 200
    assert answer_of(invited, referring)[0] is PartStat.TENTATIVE


def test_a_link_changes_only_its_own_attendee(app, invited, panel, chair, member, referring):
    later = sessions_of(panel)[1]
    assert client_for(app).post(links(invited, chair)[PartStat.ACCEPTED]).status_code == 200
    assert answer_of(invited, chair)[0] is PartStat.ACCEPTED
    for other in (member, referring):
        assert answer_of(invited, other)[0] is PartStat.NEEDS_ACTION
    assert answer_of(later, chair)[0] is PartStat.NEEDS_ACTION  # the chair's next session


def test_a_link_stops_working_when_the_invitation_is_withdrawn(
    app, invited, panel, referring, coordinator
):
    path = links(invited, referring)[PartStat.ACCEPTED]
    case = invited.pending_items[0].case
    place_by_hand(coordinator, case, sessions_of(panel)[1])  # the case leaves this session
    invites.sync_due_invites()
    assert client_for(app).post(path).status_code == 400
    assert answer_of(invited, referring)[0] is PartStat.NEEDS_ACTION


def test_the_link_needs_no_form_token_but_the_page_buttons_do(app, invited, referring):
    browser = client_for(app, referring)  # logged in before the form tokens are required
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        refused = browser.post(f"/sessions/{invited.id}/rsvp", data={"partstat": "DECLINED"})
        assert refused.status_code == 400  # no CSRF token
        assert answer_of(invited, referring)[0] is PartStat.NEEDS_ACTION
        path = links(invited, referring)[PartStat.ACCEPTED]
        assert client_for(app).post(path).status_code == 200
        assert answer_of(invited, referring)[0] is PartStat.ACCEPTED
    finally:
        app.config["WTF_CSRF_ENABLED"] = False


# --- the session page ---------------------------------------------------------------------------


def test_attendees_answer_with_the_buttons_of_the_session_page(app, invited, member, specialist):
    browser = client_for(app, member)
    page = browser.get(f"/sessions/{invited.id}").get_data(as_text=True)
    assert 'id="attendance"' in page
    assert page.count(f'action="/sessions/{invited.id}/rsvp"') == 3

    answered = browser.post(f"/sessions/{invited.id}/rsvp", data={"partstat": "TENTATIVE"},
                            follow_redirects=True)  # fmt: skip
    assert "Your answer is saved: Tentative." in answered.get_data(as_text=True)
    assert answer_of(invited, member) == (PartStat.TENTATIVE, START)
    [entry] = answers()
    assert entry.actor_id == member.id and entry.details["via"] == "page"

    for bad in ("MAYBE", "NEEDS-ACTION", ""):
        browser.post(f"/sessions/{invited.id}/rsvp", data={"partstat": bad})
    assert answer_of(invited, member)[0] is PartStat.TENTATIVE
    assert len(answers()) == 1

    # Someone not invited (and not allowed to see the session) cannot answer for it.
    outsider = client_for(app, specialist)
    assert outsider.post(f"/sessions/{invited.id}/rsvp",
                         data={"partstat": "ACCEPTED"}).status_code == 404  # fmt: skip


def test_the_coordinator_sees_who_comes_and_a_doctor_only_their_own_answer(
    app, invited, coordinator, chair, member, guest, referring
):
    rsvp.respond(attendee_of(invited, chair), PartStat.ACCEPTED, chair, "page")
    rsvp.respond(attendee_of(invited, guest), PartStat.DECLINED, guest, "page")
    page = client_for(app, coordinator).get(f"/sessions/{invited.id}").get_data(as_text=True)
    for person, answer in ((chair, "ACCEPTED"), (guest, "DECLINED"), (member, "NEEDS-ACTION"),
                           (referring, "NEEDS-ACTION")):  # fmt: skip
        assert f'data-user="{person.id}" data-partstat="{answer}"' in page
        assert person.name in page
    assert "Accepted: 1 · Tentative: 0 · Declined: 1 · No answer yet: 2" in page
    assert "Quorum met" in page  # the chair is a paediatric oncologist

    doctor = client_for(app, referring).get(f"/sessions/{invited.id}").get_data(as_text=True)
    assert 'id="my-answer"' in doctor and 'id="attendees"' not in doctor
    assert chair.name not in doctor
