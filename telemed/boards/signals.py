"""What the boards package announces; packages above it react (``telemed/reactions.py``)."""

from __future__ import annotations

from blinker import Namespace

signals = Namespace()

# Someone joined or left a board, or changed role: ``send(None, board_id=...)``. The board's
# future sessions must invite the new roster.
membership_changed = signals.signal("membership-changed")
