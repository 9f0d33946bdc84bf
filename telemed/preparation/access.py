"""Who reads the board's preparation notes and who marks a case reviewed."""

from __future__ import annotations

from telemed.auth.models import Role, User
from telemed.boards.access import is_member
from telemed.cases.access import can_see_case
from telemed.cases.models import Case
from telemed.sessions.models import BoardSession


def can_read_board_notes(user: User, case: Case) -> bool:
    """Preparation notes are for the board: staff and the specialists who see the case, never
    the referring doctors (they see the questions put to them, and answer them)."""
    if user.is_staff:
        return True
    return user.role is Role.SPECIALIST and can_see_case(user, case)


def can_mark_reviewed(user: User, session: BoardSession) -> bool:
    """Marking a case reviewed is a member's statement about their own preparation."""
    return is_member(user, session.board_id)
