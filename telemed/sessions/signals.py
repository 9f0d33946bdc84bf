"""What the sessions package announces; packages above it react (``telemed/reactions.py``)."""

from __future__ import annotations

from blinker import Namespace

signals = Namespace()

# A session was created, moved or cancelled, in the transaction now open: ``send(session)``.
# Its invitations travel with the change.
session_changed = signals.signal("session-changed")
