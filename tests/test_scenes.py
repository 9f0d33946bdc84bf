"""The shared scenario itself: two centres' cases on one agenda, room opening at the start."""

from telemed.sessions.models import SessionStatus


def test_the_session_is_ready_to_be_held(in_session, own_case, foreign_case):
    assert in_session.status is SessionStatus.AGENDA_CLOSED
    assert [item.case_id for item in in_session.pending_items] == sorted(
        [own_case.id, foreign_case.id]
    )
