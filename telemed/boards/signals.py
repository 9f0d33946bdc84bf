"""What the boards package announces; packages above it react (``telemed/reactions.py``)."""

from __future__ import annotations

from blinker import Namespace

signals = Namespace()

# Someone joined or left a board, or changed role: ``send(None, board_id=...)``. The board's
# future sessions must invite the new roster.
membership_changed = signals.signal("membership-changed")

# Days were marked off for a board, in the transaction now open:
# ``send(None, board_id=..., days=[date, ...], actor=User)``. Sessions planned on them are
# moved or cancelled as the board's ``day_off_policy`` says, by ``actor``.
days_off_marked = signals.signal("days-off-marked")
