"""The follow-up of a board with a backlog (issue 17, findings 1 and 2).

The room shows the session's own business first: its cases, then what fell due since the
previous session and what was reported at it. The board's older overdue agreements are
counted in a closed list (filtered by owner or centre), each still markable. Once a session's
minutes are final its room offers no marks and refuses them; a mark made later is reported at
the board's next session."""

from __future__ import annotations

import re
from datetime import date, timedelta

from telemed.agreements import service
from telemed.agreements.models import Agreement
from telemed.core.errors import InvalidTransition
from telemed.extensions import db
from telemed.sessions.models import BoardSession
from tests.agreements.backlog import OWNERS, backlog
from tests.conftest import client_for, english
from tests.scenes.boards import sessions_of
from tests.scenes.referrals import counts

FIRST_SESSION_DAY = date(2026, 3, 5)


def room_page(app, user, session: BoardSession, query: str = "") -> str:  # type: ignore[no-untyped-def]
    response = client_for(app, user).get(f"/sessions/{session.id}/room{query}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def between(html: str, start: str, end: str) -> str:
    """The page from the element with id ``start`` to the next ``end`` tag."""
    tail = html.split(f'id="{start}"', 1)[1]
    return tail.split(end, 1)[0]


def listed(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'id="agreement-(\d+)"', html)]


def test_the_room_puts_this_sessions_business_first_and_groups_the_backlog(
    app, board, in_session, chair
):
    agreements = backlog(board, chair, FIRST_SESSION_DAY)
    due_now = [a.id for a in agreements if a.due_date > date(2026, 2, 12)]
    assert len(due_now) == 2  # left by the previous session (12 February), due on the 26th
    html = room_page(app, chair, in_session)

    # The cases come first; the follow-up after them.
    assert html.index('id="room-cases"') < html.index('id="room-follow-up"')
    # What fell due since the previous session, in full and markable.
    assert listed(between(html, "follow-up-agreements", "</ul>")) == due_now
    # The 58 older overdue ones: counted in a closed list, each still markable.
    older = between(html, "follow-up-older", "</details>")
    assert older.startswith(">") and " open" not in older.split(">", 1)[0]
    assert "58 older overdue agreements" in older
    assert sorted(listed(older)) == sorted(a.id for a in agreements if a.id not in due_now)
    assert older.count("agreement-done-form") == 58
    assert 'id="follow-up-filter"' in older


def test_the_backlog_is_filtered_by_owner_or_centre(
    app, board, in_session, chair, radiologist, make_centre
):
    agreements = backlog(board, chair, FIRST_SESSION_DAY)
    older = [a for a in agreements if a.due_date <= date(2026, 2, 12)]
    # One of them is owned by a person of a centre (the radiologist's hospital).
    la_raza = make_centre(code="UMAE-LR", name="Hospital General CMN La Raza")
    radiologist.centre_id = la_raza.id
    owned = older[0]
    owned.owner_id = radiologist.id
    db.session.commit()

    pathology = OWNERS[0]
    html = room_page(app, chair, in_session, f"?follow_owner={pathology}")
    section = between(html, "follow-up-older", "</details>")
    assert section.split(">", 1)[0].endswith(" open")  # opened when filtered
    expected = sorted(a.id for a in older if a.owner_unit == pathology and a is not owned)
    assert sorted(listed(section)) == expected
    assert "58 older overdue agreements" in section  # the count is the whole backlog's
    assert f'<option value="{pathology}" selected>' in section

    html = room_page(app, chair, in_session, f"?follow_centre={la_raza.name}")
    assert listed(between(html, "follow-up-older", "</details>")) == [owned.id]

    html = room_page(app, chair, in_session, "?follow_owner=Nadie")
    assert "No older overdue agreement matches the filter." in html


def test_an_older_agreement_marked_in_the_room_is_reported_at_this_session(
    app, board, in_session, chair
):
    agreements = backlog(board, chair, FIRST_SESSION_DAY)
    oldest = agreements[0]
    client = client_for(app, chair)
    response = client.post(f"/agreements/{oldest.id}/done", data={
        "note": "Informe recibido.", "session_id": str(in_session.id),
        "next": f"/sessions/{in_session.id}/room",
    })  # fmt: skip
    assert response.status_code == 302
    db.session.expire_all()
    assert oldest.done_session_id == in_session.id
    html = room_page(app, chair, in_session)
    assert listed(between(html, "follow-up-reported", "</ul>")) == [oldest.id]
    assert "57 older overdue agreements" in html


def finalise(session: BoardSession) -> None:
    """The session held and its minutes final (as ``minutes.finalise_minutes`` leaves it)."""
    session.ended_at = session.starts_at + timedelta(minutes=60)
    session.minutes_final_at = session.ended_at + timedelta(minutes=5)
    db.session.commit()


def test_a_finalised_sessions_room_offers_no_marks_and_refuses_them(
    app, board, in_session, chair, clock
):
    first, second = sessions_of(board)[:2]
    earlier = backlog(board, chair, FIRST_SESSION_DAY, count=4)
    agreed_here = service.record_agreement(chair, first, {
        "text": "Enviar laminillas.", "owner_unit": "Patología", "due_date": "2026-03-12",
    })  # fmt: skip
    db.session.commit()
    finalise(first)
    clock.set(first.ended_at + timedelta(minutes=10))  # the session's scheduled end not yet

    html = room_page(app, chair, first)
    assert "agreement-done-form" not in html and "Reopen" not in html
    assert 'id="follow-up-read-only"' in html
    for agreement in [*earlier, agreed_here]:
        assert f'id="agreement-{agreement.id}"' in html  # still shown, read-only

    # A mark posted to the finalised room (an old tab) is refused and changes nothing.
    client = client_for(app, chair)
    before = counts()
    client.post(f"/agreements/{earlier[0].id}/done", data={
        "session_id": str(first.id), "next": f"/sessions/{first.id}/room",
    })  # fmt: skip
    assert counts() == before
    db.session.expire_all()
    assert earlier[0].done_at is None and earlier[0].done_session_id is None
    page = client.get(f"/sessions/{first.id}/room").get_data(as_text=True)
    assert "The minutes of session 1 are final: mark it done from the board" in page

    # Marked afterwards (the API, the owner's link): reported at the board's next session,
    # whose room shows it, not at the finalised one (still within its scheduled time).
    service.mark_done(chair, agreed_here, {})
    db.session.commit()
    assert agreed_here.done_session_id == second.id
    clock.set(second.starts_at)
    html = room_page(app, chair, second)
    assert listed(between(html, "follow-up-reported", "</ul>")) == [agreed_here.id]


def test_a_done_reported_in_final_minutes_is_not_reopened(app, board, in_session, chair):
    agreement = backlog(board, chair, FIRST_SESSION_DAY, count=1)[0]
    service.mark_done(chair, agreement, {"session_id": in_session.id})
    db.session.commit()
    finalise(in_session)
    with english():
        try:
            service.reopen(chair, agreement)
        except InvalidTransition as err:
            assert "session 1, whose minutes are final" in err.message
        else:  # pragma: no cover
            raise AssertionError("reopened against final minutes")
    db.session.rollback()
    assert db.session.get(Agreement, agreement.id).done_session_id == in_session.id  # type: ignore[union-attr]
