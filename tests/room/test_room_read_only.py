# ruff: noqa: F811  (fixtures imported from the scenes are requested by name below)
"""Once the minutes are final the room is read-only (issue 17, finding 2): it offers no form
that would change what the minutes froze — no outcome, no further recommendation, no
agreement marked or reopened — and the services refuse such changes."""

from __future__ import annotations

from datetime import timedelta

from telemed.agreements.models import Agreement
from telemed.extensions import db
from telemed.minutes import service as minutes
from telemed.sessions.models import AgendaItem, ItemOutcome
from tests.conftest import client_for
from tests.scenes.minutes import held, hito  # noqa: F401  (fixtures)
from tests.scenes.session import item_for

FORMS = ('action="/agreements/', "agreement-done-form", 'id="agreement-form"',
         "general_matters", "/room/start", "/room/end")  # fmt: skip


def test_a_finalised_sessions_room_and_panel_offer_no_changes(app, held, chair, coordinator,
                                                              clock):  # fmt: skip
    session = held.session
    clock.set(session.ends_at + timedelta(minutes=30))
    own = item_for(session, held.own_case)
    pending = AgendaItem(session_id=session.id, case_id=held.deferred_case.id, position=9,
                         outcome=ItemOutcome.PENDING)  # fmt: skip
    db.session.add(pending)
    db.session.commit()
    client = client_for(app, chair)
    room = client.get(f"/sessions/{session.id}/room").get_data(as_text=True)
    assert "agreement-done-form" in room  # the draft's room still offers them
    panel = client.get(f"/sessions/{session.id}/items/{own.id}").get_data(as_text=True)
    assert "/recommendations" in panel

    minutes.finalise_minutes(coordinator, session)
    db.session.commit()

    room = client.get(f"/sessions/{session.id}/room").get_data(as_text=True)
    for form in FORMS:
        assert form not in room, form
    assert 'id="follow-up-read-only"' in room
    assert "Record outcome" not in room
    for agreement in held.follow_up.values():
        if agreement.done_at is None or agreement.done_session_id == session.id:
            assert f'id="agreement-{agreement.id}"' in room  # shown, read-only
    panel = client.get(f"/sessions/{session.id}/items/{own.id}").get_data(as_text=True)
    assert "/recommendations" not in panel
    panel = client.get(f"/sessions/{session.id}/items/{pending.id}").get_data(as_text=True)
    assert 'name="outcome"' not in panel

    # A decision posted anyway (an old tab) is refused.
    client.post(f"/sessions/{session.id}/items/{pending.id}/outcome",
                data={"outcome": "discussed", "presenter_id": str(chair.id)})  # fmt: skip
    db.session.expire_all()
    assert db.session.get(AgendaItem, pending.id).outcome is ItemOutcome.PENDING  # type: ignore[union-attr]
    assert db.session.get(Agreement, held.follow_up["done"].id).done_session_id == session.id  # type: ignore[union-attr]
