"""Names for the ids the aggregates return: a few dozen centres and boards, read once per
request instead of joined into every aggregate."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from telemed.boards.models import Board
from telemed.centres.models import Centre, CentreKind
from telemed.extensions import db

NO_BOARD = _l("No board")
UNKNOWN = _l("Not recorded")


@dataclass
class Names:
    centres: dict[int, Centre]
    boards: dict[int, Board]

    @classmethod
    def load(cls) -> Names:
        centres = {centre.id: centre for centre in db.session.scalars(select(Centre))}
        boards = {board.id: board for board in db.session.scalars(select(Board))}
        return cls(centres, boards)

    def centre(self, centre_id: int | None) -> str:
        centre = self.centres.get(centre_id) if centre_id is not None else None
        return centre.name if centre else str(UNKNOWN)

    def state(self, centre_id: int | None) -> str:
        centre = self.centres.get(centre_id) if centre_id is not None else None
        return centre.state if centre else str(UNKNOWN)

    def board(self, board_id: int | None) -> str:
        board = self.boards.get(board_id) if board_id is not None else None
        return board.name if board else str(NO_BOARD)

    def partners(self) -> list[Centre]:
        """External transplant partners (HITO): the report counts patients sent to each."""
        return sorted(
            (c for c in self.centres.values() if c.kind is CentreKind.EXTERNAL_PARTNER),
            key=lambda centre: centre.name,
        )
