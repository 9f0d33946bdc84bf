"""The iTIP calendar of each invitation one sync sends, assembled from the session's event.

A session with a thousand invitees sends a thousand calendars that differ only in their
DTSTAMP-free ATTENDEE lines and their language: the event is taken once per language and
method from ``invites.event_cache`` and each attendee's line is written once, so a copy is
string assembly. Which people a copy lists is decided here too (``listed``).
"""

from __future__ import annotations

from datetime import datetime

from telemed.invites import event_cache, ical
from telemed.sessions.models import BoardSession, SessionAttendee

# Beyond this many invitees (a training for everyone), each copy lists the board's people and
# its own recipient only: thousands of ATTENDEE lines in thousands of emails help nobody.
ATTENDEE_LIST_LIMIT = 200


class InviteCalendars:
    """The calendars of one sync of ``session``, whose active attendees are ``invitees`` (in
    the order copies list them), all stamped ``dtstamp``."""

    def __init__(
        self, session: BoardSession, invitees: list[SessionAttendee], dtstamp: datetime
    ) -> None:
        self.session = session
        self.invitees = invitees
        self.dtstamp = ical.dtstamp_text(dtstamp)
        self.rsvp = ical.rsvp_value()
        self.position = {id(row): index for index, row in enumerate(invitees)}
        self.board_people = [row for row in invitees if row.reason != "audience"]
        self.events: dict[tuple[str, str], ical.EventParts] = {}
        self.lines: dict[int, str] = {}

    def listed(self, recipient: SessionAttendee, kind: str) -> list[SessionAttendee]:
        """The ATTENDEE lines of one copy: everyone, or (large audiences) the board's people
        and the recipient; a removed attendee's cancellation names only them."""
        if kind == "invite_removed":
            return [recipient]
        if len(self.invitees) <= ATTENDEE_LIST_LIMIT:
            return self.invitees
        if recipient.reason != "audience":
            return self.board_people
        return sorted([*self.board_people, recipient], key=lambda row: self.position[id(row)])

    def line(self, row: SessionAttendee) -> str:
        found = self.lines.get(row.user_id)
        if found is None:
            invitee = ical.Invitee(row.user, row.role.value, row.partstat.value)
            found = self.lines[row.user_id] = ical.attendee_line(invitee, self.rsvp)
        return found

    def event(self, variant: str) -> ical.EventParts:
        """The session's event in the current language (stored, or built and stored once)."""
        key = (event_cache.language(), variant)
        if key not in self.events:
            stamps = event_cache.stamps_of([self.session])
            self.events[key] = event_cache.events_of(stamps, variant)[0]
        return self.events[key]

    def calendar(self, recipient: SessionAttendee, method: str, kind: str) -> bytes:
        """``REQUEST`` or ``CANCEL`` for ``recipient`` (call it in their language)."""
        parts = self.event(ical.CANCEL if method == "CANCEL" else ical.PLAIN)
        attendees = "".join(self.line(row) for row in self.listed(recipient, kind))
        return ical.calendar_text(method, [parts.block(self.dtstamp, attendees)], parts.tzids)
