"""Who is invited to each session, and the invites, updates and cancellations they get.

``sync_session_invites`` compares the people a session should have (board members, the
referring doctor of each case on a case-review agenda, the chosen audience of a training
or keynote session) with its ``SessionAttendee`` rows and queues, in the caller's
transaction, one iTIP email per attendee that needs one: ``REQUEST`` for a new invitee or
a new ``SEQUENCE``, ``CANCEL`` for someone no longer needed or for every invitee of a
cancelled session. The attendee rows (``sent_sequence``) and the outbox dedupe keys make
it idempotent. Quorum and reminders live here too. Only case codes and links are written:
never patient data.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import insert, or_, select

from telemed.audit import service as audit
from telemed.auth.models import Discipline, Role, User
from telemed.boards.models import Board, MemberRole, SessionKind
from telemed.cases.models import Case
from telemed.centres.models import Centre
from telemed.core import transaction
from telemed.core.clock import now_utc
from telemed.core.errors import Forbidden, InputError, InvalidTransition
from telemed.extensions import db
from telemed.invites.itip import InviteCalendars
from telemed.invites.rsvp_links import ANSWER_LABELS, ANSWERS, rsvp_url
from telemed.jobs import checkpoint
from telemed.outbox.models import OutboxMessage
from telemed.outbox.notify import Personal, notify, prepare_alike
from telemed.outbox.service import enqueue_many, in_language_of
from telemed.sessions.models import (
    UPCOMING,
    AgendaItem,
    AttendeeRole,
    BoardSession,
    ItemOutcome,
    PartStat,
    SessionAttendee,
    SessionStatus,
)

log = logging.getLogger(__name__)

MEMBER_ROLES = {
    MemberRole.CHAIR: AttendeeRole.CHAIR,
    MemberRole.MEMBER: AttendeeRole.REQUIRED,
    MemberRole.GUEST: AttendeeRole.OPTIONAL,
}
ROLE_RANK = {AttendeeRole.CHAIR: 0, AttendeeRole.REQUIRED: 1, AttendeeRole.OPTIONAL: 2}
AUDIENCE_KINDS = (SessionKind.TRAINING, SessionKind.KEYNOTE)
# Agenda entries whose referring doctor is invited (a case discussed early keeps its doctor).
REFERRING_OUTCOMES = (ItemOutcome.PENDING, ItemOutcome.DISCUSSED, ItemOutcome.DEFERRED)
QUORUM_WARNING = timedelta(hours=48)
SYNC_BATCH = 500
IN_CHUNKS = 500


# --- who should be invited ---------------------------------------------------------------


@dataclass(frozen=True)
class Wanted:
    user: User
    role: AttendeeRole
    reason: str  # "member", "referring" or "audience"


def parse_scope(scope: str | None) -> tuple[str, str] | None:
    """``"everyone"``, ``"centre:<id>"`` or ``"discipline:<value>"`` as (kind, value)."""
    if not scope:
        return None
    kind, _sep, value = scope.partition(":")
    if kind == "everyone" and not value:
        return ("everyone", "")
    if kind == "centre" and value.isdigit():
        return ("centre", value)
    if kind == "discipline" and value in {d.value for d in Discipline}:
        return ("discipline", value)
    return None


def audience_users(scope: str | None) -> list[User]:
    """The active people an audience scope names (nobody for an unknown scope)."""
    parsed = parse_scope(scope)
    if parsed is None:
        return []
    kind, value = parsed
    query = select(User).where(User.active.is_(True))
    if kind == "centre":
        query = query.where(User.centre_id == int(value))
    elif kind == "discipline":
        query = query.where(User.role == Role.SPECIALIST, User.discipline == Discipline(value))
    return list(db.session.scalars(query.order_by(User.id)))


def referring_doctors(session: BoardSession) -> list[User]:
    """Who sent the cases on the agenda (each once)."""
    senders = (
        select(Case.submitted_by_id)
        .join(AgendaItem, AgendaItem.case_id == Case.id)
        .where(AgendaItem.session_id == session.id, AgendaItem.outcome.in_(REFERRING_OUTCOMES))
    )
    return list(db.session.scalars(select(User).where(User.id.in_(senders)).order_by(User.id)))


def desired_invitees(session: BoardSession) -> dict[int, Wanted]:
    """Everyone the session should have, by user id, with their strongest role."""
    wanted: dict[int, Wanted] = {}

    def offer(user: User, role: AttendeeRole, reason: str) -> None:
        current = wanted.get(user.id)
        if user.active and (current is None or ROLE_RANK[role] < ROLE_RANK[current.role]):
            wanted[user.id] = Wanted(user, role, reason)

    for member in session.board.members:
        offer(member.user, MEMBER_ROLES[member.role], "member")
    if session.kind is SessionKind.CASE_REVIEW:
        for user in referring_doctors(session):
            offer(user, AttendeeRole.REQUIRED, "referring")
    if session.kind in AUDIENCE_KINDS:
        for user in audience_users(session.audience_scope):
            offer(user, AttendeeRole.OPTIONAL, "audience")
    return wanted


def attendee_rows(session: BoardSession, *, active_only: bool = False) -> list[SessionAttendee]:
    query = select(SessionAttendee).where(SessionAttendee.session_id == session.id)
    if active_only:
        query = query.where(SessionAttendee.active.is_(True))
    return list(db.session.scalars(query.order_by(SessionAttendee.id)))


# --- the sync ------------------------------------------------------------------------------


@dataclass
class Outgoing:
    attendee: SessionAttendee
    method: str  # REQUEST or CANCEL
    kind: str  # invite, invite_update, invite_cancel, invite_removed
    again: bool = False  # a second message of the same method at the same SEQUENCE


def sync_session_invites(session: BoardSession) -> int:
    """Bring the attendees in line and queue their messages; returns how many were queued.

    Runs in the caller's transaction (the caller commits). Held sessions are left alone.
    """
    if session.status is SessionStatus.HELD:
        return 0
    # Lock the session row (PostgreSQL) so two syncs of one session take turns; read the
    # counters from the database, after any pending change of the caller was flushed.
    sequence, roster = db.session.execute(
        select(BoardSession.sequence, BoardSession.roster_version)
        .where(BoardSession.id == session.id)
        .with_for_update()
    ).one()
    cancelled = session.status is SessionStatus.CANCELLED
    rows = {row.user_id: row for row in attendee_rows(session)}
    wanted = {} if cancelled else desired_invitees(session)
    outgoing: list[Outgoing] = []
    fresh = insert_attendees(session, [want for uid, want in wanted.items() if uid not in rows])
    rows.update(fresh)
    for user_id, want in wanted.items():
        row = rows[user_id]
        if user_id in fresh:
            outgoing.append(Outgoing(row, "REQUEST", "invite"))
            continue
        row.role, row.reason = want.role, want.reason
        if not row.active:  # back again (e.g. a case of theirs was placed here again)
            again = row.sent_sequence >= sequence
            row.active, row.partstat, row.responded_at = True, PartStat.NEEDS_ACTION, None
            outgoing.append(Outgoing(row, "REQUEST", "invite", again=again))
        elif row.sent_sequence < sequence:
            # A new time or room: earlier answers were for the old one (RFC 5546 3.2.2.1).
            row.partstat, row.responded_at = PartStat.NEEDS_ACTION, None
            outgoing.append(Outgoing(row, "REQUEST", "invite_update"))
    for user_id, row in rows.items():
        if not row.active or user_id in wanted:
            continue
        if cancelled:
            if row.sent_sequence < sequence and row.user.active:
                outgoing.append(Outgoing(row, "CANCEL", "invite_cancel"))
            continue
        row.active = False
        if row.user.active:  # a deactivated account gets no mail
            again = row.sent_sequence >= sequence
            outgoing.append(Outgoing(row, "CANCEL", "invite_removed", again=again))
        else:
            row.sent_sequence = sequence
    for message in outgoing:
        message.attendee.sent_sequence = sequence
    db.session.flush()  # ids for the RSVP links of new attendees

    if outgoing:
        invitees = sorted(
            (row for row in rows.values() if row.active),
            key=lambda row: (ROLE_RANK[row.role], row.user.name, row.user_id),
        )
        calendars = InviteCalendars(session, invitees, now_utc())
        by_kind: dict[str, list[Personal]] = {}
        for message in outgoing:
            personal = queue_message(session, message, calendars, sequence, roster)
            by_kind.setdefault(message.kind, []).append(personal)
        codes = agenda_codes(session)
        enqueue_many([
            email for kind, people in by_kind.items()
            for email in prepare_alike(kind, people, letter_context(session, codes))
        ])  # fmt: skip
    session.invites_sequence = sequence
    session.invites_roster = roster
    return len(outgoing)


def insert_attendees(session: BoardSession, wanted: list[Wanted]) -> dict[int, SessionAttendee]:
    """New attendee rows, by user id, in multi-row INSERTs with their ids returned (the
    ORM's flush inserts them one statement per row on SQLite, to learn each id)."""
    if not wanted:
        return {}
    values = [
        {"session_id": session.id, "user_id": want.user.id, "role": want.role,
         "reason": want.reason, "partstat": PartStat.NEEDS_ACTION, "active": True,
         "sent_sequence": -1}
        for want in wanted
    ]  # fmt: skip
    created = db.session.scalars(insert(SessionAttendee).returning(SessionAttendee), values)
    return {row.user_id: row for row in created}


def sync_after_change(session: BoardSession, **_: object) -> None:
    """On ``session_changed`` (sent by the session services inside their transaction), so
    the invites travel with the change. A session with a chosen audience (possibly thousands
    of people) is left to the ``sync_invites`` job, which catches up within a minute."""
    if session.audience_scope and session.kind in AUDIENCE_KINDS:
        return
    sync_session_invites(session)


def sync_due_invites(limit: int = SYNC_BATCH) -> int:
    """Sync every future session whose time, status or roster changed since its last sync;
    each session's invites kept (committed) on their own. Returns how many sessions were synced."""
    now = now_utc()
    due = db.session.scalars(
        select(BoardSession.id)
        .where(
            BoardSession.starts_at > now,
            BoardSession.status != SessionStatus.HELD,
            or_(
                BoardSession.invites_sequence != BoardSession.sequence,
                BoardSession.invites_roster != BoardSession.roster_version,
            ),
        )
        .order_by(BoardSession.starts_at, BoardSession.id)
        .limit(limit)
    ).all()
    synced = 0
    for session_id in due:
        if checkpoint.should_stop():  # the sessions synced so far are kept; the rest wait
            break
        session = db.session.get(BoardSession, session_id)
        if session is None:
            continue
        try:
            sync_session_invites(session)
            transaction.commit_chunk()
        except Exception:  # one broken session must not hold up the others
            transaction.rollback()
            log.exception("invite sync failed for session %s", session_id)
            continue
        synced += 1
    return synced


def set_audience(actor: User, session: BoardSession, scope: str | None) -> BoardSession:
    """Who a training or keynote session invites besides the board (``None``: nobody)."""
    if not actor.is_staff:
        raise Forbidden(_("Only coordinators can change sessions."))
    if session.kind not in AUDIENCE_KINDS:
        raise InvalidTransition(_("Only training and keynote sessions have an audience."))
    if session.status not in UPCOMING or session.starts_at <= now_utc():
        raise InvalidTransition(_("The audience of a past or cancelled session cannot change."))
    scope = (scope or "").strip() or None
    parsed = parse_scope(scope)
    if scope is not None and (
        parsed is None or (parsed[0] == "centre" and db.session.get(Centre, int(parsed[1])) is None)
    ):
        raise InputError({"audience_scope": [_("Choose one of the audiences.")]})
    if session.audience_scope != scope:
        audit.record(actor, "session.audience", "session", session.id,
                     before=session.audience_scope, after=scope)  # fmt: skip
        session.audience_scope = scope
        session.roster_version += 1
    db.session.flush()
    return session


def audience_choices() -> list[tuple[str, str]]:
    """(scope, label) pairs for the audience select."""
    from telemed.auth.labels import DISCIPLINE_LABELS

    choices = [("", _("Board members only")), ("everyone", _("Everyone"))]
    for centre in db.session.scalars(
        select(Centre).where(Centre.active.is_(True)).order_by(Centre.name)
    ):
        choices.append((f"centre:{centre.id}", _("Centre: %(name)s", name=centre.name)))
    for discipline, label in DISCIPLINE_LABELS.items():
        choices.append((f"discipline:{discipline.value}", _("Specialists in %(discipline)s",
                                                            discipline=label)))  # fmt: skip
    return choices


# --- the messages --------------------------------------------------------------------------


def agenda_codes(session: BoardSession) -> list[str]:
    """The cases on the agenda as the minutes write them (``CE 19.58``): codes only."""
    if session.kind is not SessionKind.CASE_REVIEW:
        return []
    return [item.agenda_code for item in session.pending_items]


def queue_message(
    session: BoardSession,
    message: Outgoing,
    calendars: InviteCalendars,
    sequence: int,
    roster: int,
) -> Personal:
    """One attendee's copy: its dedupe key (one per person, method and ``SEQUENCE``), their
    RSVP links and their calendar in their language."""
    attendee, user = message.attendee, message.attendee.user
    key = f"invite:{session.id}:{sequence}:{user.id}:{message.method}"
    if message.again:
        key += f":r{roster}"
    answering = message.method == "REQUEST"
    with in_language_of(user):  # the calendar's summary and description too
        ics = calendars.calendar(attendee, message.method, message.kind)
    links = tuple(rsvp_url(attendee, p) for p in ANSWERS) if answering else ()
    return Personal(user, key, links, ics, message.method)


def letter_context(
    session: BoardSession, codes: list[str]
) -> Callable[[tuple[str, ...]], dict[str, Any]]:
    """What an invitation email shows around each person's RSVP links (none: a CANCEL)."""

    def context(links: tuple[str, ...]) -> dict[str, Any]:
        if not links:  # a cancellation: nothing to answer
            return {"session": session, "agenda_codes": [], "answers": []}
        answers = [(ANSWER_LABELS[p], link) for p, link in zip(ANSWERS, links, strict=True)]
        return {"session": session, "agenda_codes": codes, "answers": answers}

    return context


# --- quorum --------------------------------------------------------------------------------


@dataclass
class Quorum:
    required: list[str]
    covered: list[str] = field(default_factory=list)

    @property
    def missing(self) -> list[str]:
        return [d for d in self.required if d not in self.covered]

    @property
    def met(self) -> bool:
        return not self.missing


def quorum_of(session: BoardSession, attendees: Iterable[SessionAttendee] | None = None) -> Quorum:
    """Each of the board's quorum disciplines needs one ACCEPTED attendee who practises it."""
    if attendees is None:
        attendees = attendee_rows(session, active_only=True)
    accepted = [row.user for row in attendees if row.active and row.partstat is PartStat.ACCEPTED]
    return quorum_covered_by(session, accepted)


def quorum_covered_by(session: BoardSession, people: Iterable[User]) -> Quorum:
    """Which of the board's quorum disciplines ``people`` cover: each person practises the
    discipline they hold on the board, else their own. Invitations (who accepted) and the
    room (who is present) both count quorum this way."""
    required = [str(d) for d in session.board.quorum_disciplines or []]
    on_board = {m.user_id: m.discipline for m in session.board.members}
    covered = set()
    for user in people:
        discipline = on_board.get(user.id) or user.discipline
        if discipline is not None:
            covered.add(str(discipline.value))
    return Quorum(required, [d for d in required if d in covered])


def sessions_without_quorum(
    within: timedelta = QUORUM_WARNING,
) -> list[tuple[BoardSession, Quorum]]:
    """Upcoming sessions starting within ``within`` whose quorum is not met (soonest first)."""
    now = now_utc()
    soon = db.session.scalars(
        select(BoardSession)
        .join(Board, Board.id == BoardSession.board_id)
        .where(
            BoardSession.status.in_(UPCOMING),
            BoardSession.starts_at > now,
            BoardSession.starts_at <= now + within,
        )
        .order_by(BoardSession.starts_at, BoardSession.id)
    ).all()
    missing = []
    for session in soon:
        if not session.board.quorum_disciplines:
            continue
        quorum = quorum_of(session)
        if not quorum.met:
            missing.append((session, quorum))
    return missing


def check_quorum() -> int:
    """Tell each coordinator once per session (and SEQUENCE) that quorum is missing 48 h
    ahead; returns how many sessions lack it."""
    from telemed.auth.labels import DISCIPLINE_LABELS

    lacking = sessions_without_quorum()
    for session, quorum in lacking:
        coordinator = session.board.coordinator
        if coordinator is None:
            continue
        notify(
            "quorum_missing",
            coordinator,
            f"quorum:{session.id}:{session.sequence}",
            session=session,
            disciplines=[DISCIPLINE_LABELS.get(Discipline(d), d) for d in quorum.missing],
        )
    db.session.flush()
    return len(lacking)


# --- reminders -----------------------------------------------------------------------------


def reminder_hours() -> list[int]:
    return sorted({int(h) for h in current_app.config.get("REMINDER_HOURS", (24, 1)) if h > 0})


def send_reminders() -> int:
    """A reminder 24 h and 1 h ahead (``REMINDER_HOURS``) to active attendees who did not
    decline, one each: the nearest due reminder only, so a late run never sends two at once.
    Returns how many were queued."""
    hours = reminder_hours()
    if not hours:
        return 0
    now = now_utc()
    soon = db.session.scalars(
        select(BoardSession)
        .where(
            BoardSession.status.in_(UPCOMING),
            BoardSession.starts_at > now,
            BoardSession.starts_at <= now + timedelta(hours=hours[-1]),
        )
        .order_by(BoardSession.starts_at, BoardSession.id)
    ).all()
    queued = 0
    for session in soon:
        ahead = min(h for h in hours if session.starts_at - now <= timedelta(hours=h))
        people = [
            row for row in attendee_rows(session, active_only=True)
            if row.partstat is not PartStat.DECLINED and row.user.active
        ]  # fmt: skip
        keys = {row.user_id: f"reminder:{session.id}:{session.sequence}:{ahead}:{row.user_id}"
                for row in people}  # fmt: skip
        sent = already_queued(list(keys.values()))
        for row in people:
            if keys[row.user_id] not in sent:
                queue_reminder(session, row.user, ahead, keys[row.user_id])
                queued += 1
        db.session.flush()
    return queued


def already_queued(keys: list[str]) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(keys), IN_CHUNKS):
        found.update(
            db.session.scalars(
                select(OutboxMessage.dedupe_key).where(
                    OutboxMessage.dedupe_key.in_(keys[start : start + IN_CHUNKS])
                )
            )
        )
    return found


def queue_reminder(session: BoardSession, user: User, hours: int, key: str) -> None:
    notify("reminder", user, key, session=session, hours=hours)
