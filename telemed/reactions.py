"""Which package reacts to which change of another, wired once by ``create_app``.

Domain packages never import the packages above them: a lower package announces a change
with a signal (``<package>/signals.py``) inside the transaction that makes it, and the
package that cares reacts in the same transaction. Reading this one list tells what
follows from what, in every process (web, scheduler, command line).
"""

from __future__ import annotations

from telemed.boards.signals import days_off_marked, membership_changed
from telemed.cases.signals import case_transitioned, cases_changed_in_bulk
from telemed.invites import service as invites
from telemed.reports import rollups
from telemed.sessions import (
    agenda,
    agenda_version,  # noqa: F401  (counts agenda changes on flush)
)
from telemed.sessions import service as sessions
from telemed.sessions.signals import session_changed


def connect() -> None:
    # A withdrawn or closed case leaves the agenda; its scheduling flags are settled.
    case_transitioned.connect(agenda.on_case_transitioned)
    # Cases changed by a bulk UPDATE: their months of the dashboard's roll-ups are stale.
    cases_changed_in_bulk.connect(rollups.on_cases_changed_in_bulk)
    # New board members are invited to the board's coming sessions (by the invites job).
    membership_changed.connect(sessions.roster_changed)
    # Days marked off: the board's sessions on them are moved or cancelled as it prefers.
    days_off_marked.connect(sessions.days_off_marked)
    # A session created, moved or cancelled: its invitations go out with the change.
    session_changed.connect(invites.sync_after_change)
