"""Who sits on which board: the rule the access of cases, sessions, referrals and
preparation builds on."""

from __future__ import annotations

from sqlalchemy import Select, select

from telemed.auth.models import User
from telemed.boards.models import BoardMember
from telemed.core.sql import any_row


def member_board_ids(user: User) -> Select[int]:
    """Ids of the boards ``user`` sits on (a subquery)."""
    return select(BoardMember.board_id).where(BoardMember.user_id == user.id)


def is_member(user: User, board_id: int) -> bool:
    return any_row(member_board_ids(user).where(BoardMember.board_id == board_id))
