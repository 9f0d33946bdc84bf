"""What the cases package announces; packages above it react (``telemed/reactions.py``)."""

from __future__ import annotations

from blinker import Namespace

signals = Namespace()

# A case moved through its lifecycle: ``send(case, actor=..., previous=...)``.
case_transitioned = signals.signal("case-transitioned")
# Many cases changed by one bulk UPDATE, which no ORM flush listener sees:
# ``send(None, case_ids=[...])``.
cases_changed_in_bulk = signals.signal("cases-changed-in-bulk")
