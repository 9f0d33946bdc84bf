"""Answering in the calendar: "Accept" in Outlook, Gmail or Apple Calendar mails an iTIP
reply to the service mailbox (the invites' ORGANIZER), which the ``read_calendar_replies``
job reads over IMAP (a real Dovecot here) and records as the email's links do. Forged,
unknown and stale replies change nothing; a message read twice counts once. Without a
mailbox, invites ask for no answer by calendar (``RSVP=FALSE``)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from config import ConfigError, validate_itip
from telemed import schedule
from telemed.audit.models import AuditEntry
from telemed.boards.models import Board
from telemed.extensions import db
from telemed.invites import replies
from telemed.invites.rsvp import answer_by_link
from telemed.invites.rsvp_links import make_token
from telemed.invites.service import quorum_of, sync_session_invites
from telemed.sessions.models import BoardSession, PartStat
from telemed.sessions.service import move_session
from tests.conftest import START
from tests.invites.helpers import attendee_of, attendee_params, event, invites_to
from tests.invites.imap_server import ImapServer, imap_server  # noqa: F401  (fixture)
from tests.invites.reply_samples import reply_email
from tests.scenes.boards import local, sessions_of

ITIP = "itip@telemed.test"


@pytest.fixture
def mailbox(
    app: Flask,
    imap_server: ImapServer,  # noqa: F811  (the fixture imported above)
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[ImapServer]:
    """The service mailbox configured (before any invite goes out) and empty."""
    settings = {"ITIP_ADDRESS": ITIP, "IMAP_HOST": imap_server.host,
                "IMAP_PORT": imap_server.port, "IMAP_SECURITY": "none",
                "IMAP_USERNAME": imap_server.username, "IMAP_PASSWORD": imap_server.password,
                "IMAP_MAILBOX": "INBOX"}  # fmt: skip
    for key, value in settings.items():
        monkeypatch.setitem(app.config, key, value)
    imap_server.empty()
    yield imap_server
    imap_server.empty()


@pytest.fixture
def session(mailbox: ImapServer, invited: BoardSession) -> BoardSession:
    """The first session of the panel, invites sent with the mailbox as ORGANIZER."""
    return invited


def answers() -> list[AuditEntry]:
    db.session.expire_all()
    query = select(AuditEntry).where(AuditEntry.action == "session.rsvp").order_by(AuditEntry.id)
    return list(db.session.scalars(query))


def answer_of(session: BoardSession, user: Any) -> tuple[PartStat, Any]:
    db.session.expire_all()
    row = attendee_of(session, user)
    assert row is not None
    return row.partstat, row.responded_at


def read() -> int:
    """The scheduler job, as ``flask schedule run`` runs it."""
    result = schedule.job("read_calendar_replies").run()
    assert isinstance(result, int)
    return result


# --- what the invites say ---------------------------------------------------------------------


def test_invites_name_the_service_mailbox_and_ask_for_answers(session, chair, member, coordinator):
    [message] = invites_to(member, session)
    found = event(message)
    organizer = found["ORGANIZER"]
    assert str(organizer) == f"mailto:{ITIP}"  # "Accept" in the calendar mails the service
    assert organizer.params["CN"] == coordinator.name  # people still see who organises
    assert f"Coordinator: {coordinator.name} <{coordinator.email}>" in str(found["DESCRIPTION"])
    assert {params["RSVP"] for params in attendee_params(message).values()} == {"TRUE"}


def test_without_a_mailbox_invites_ask_for_no_calendar_answer(invited, member, coordinator):
    [message] = invites_to(member, invited)
    found = event(message)
    assert str(found["ORGANIZER"]) == f"mailto:{coordinator.email}"
    assert {params["RSVP"] for params in attendee_params(message).values()} == {"FALSE"}
    assert len(message.body_text.split("/rsvp/")) == 4  # the three links remain the way


# --- replies as the clients write them ----------------------------------------------------------


def test_accept_in_outlook_counts_for_attendance_and_quorum(session, mailbox, chair, clock):
    assert not quorum_of(session).met  # the paediatric oncologist (the chair) has not answered
    answered_at = START + timedelta(minutes=20)
    mailbox.deliver(reply_email("outlook", session, chair, dtstamp=answered_at))
    clock.advance(timedelta(hours=1))

    assert read() == 1
    assert answer_of(session, chair) == (PartStat.ACCEPTED, answered_at)
    assert quorum_of(session).met
    [entry] = answers()
    assert (entry.actor_id, entry.object_id) == (chair.id, session.id)
    assert entry.details["after"] == "ACCEPTED" and entry.details["via"] == "calendar"
    assert mailbox.flags() == [{"\\Seen"}]  # read: the next run leaves it alone
    assert read() == 0
    assert len(answers()) == 1


def test_accept_in_gmail_counts_once_though_the_calendar_comes_twice(session, mailbox, referring):
    mailbox.deliver(reply_email("gmail", session, referring, dtstamp=START + timedelta(minutes=5)))
    assert read() == 1
    assert answer_of(session, referring)[0] is PartStat.ACCEPTED
    assert len(answers()) == 1


def test_decline_and_tentative_in_apple_calendar(session, mailbox, member, guest):
    mailbox.deliver(reply_email("apple", session, guest, partstat="DECLINED",
                                dtstamp=START + timedelta(minutes=1)))  # fmt: skip
    mailbox.deliver(reply_email("apple", session, member, partstat="TENTATIVE",
                                dtstamp=START + timedelta(minutes=2)))  # fmt: skip
    assert read() == 2
    assert answer_of(session, guest)[0] is PartStat.DECLINED
    assert answer_of(session, member)[0] is PartStat.TENTATIVE


def test_a_change_of_mind_in_the_calendar_replaces_the_answer(session, mailbox, member, clock):
    mailbox.deliver(reply_email("outlook", session, member, dtstamp=START))
    mailbox.deliver(reply_email("apple", session, member, partstat="DECLINED",
                                dtstamp=START + timedelta(minutes=30)))  # fmt: skip
    clock.advance(timedelta(hours=1))
    assert read() == 2
    assert answer_of(session, member) == (PartStat.DECLINED, START + timedelta(minutes=30))


def test_the_address_case_does_not_matter(session, mailbox, member):
    shouting = member.email.upper()
    mailbox.deliver(reply_email("outlook", session, member, sender=shouting, attendee=shouting,
                                dtstamp=START))  # fmt: skip
    assert read() == 1
    assert answer_of(session, member)[0] is PartStat.ACCEPTED


# --- what is ignored ----------------------------------------------------------------------------


def test_forged_unknown_and_stale_replies_change_nothing(
    app, session, mailbox, member, guest, referring, coordinator, panel: Board, caplog
):
    later = sessions_of(panel)[1]
    stamp = START + timedelta(minutes=10)
    samples = [
        # From someone else, in the member's name.
        reply_email("outlook", session, member, sender="intruso@example.org", dtstamp=stamp),
        # The member's own mail, answering for the guest.
        reply_email("gmail", session, member, attendee=guest.email, dtstamp=stamp),
        # A UID from another calendar system, and one of a session that does not exist.
        reply_email(
            "apple", session, guest, uid=f"session-{session.id}@example.org", dtstamp=stamp
        ),
        reply_email("apple", session, guest, uid="session-999999@telemed.local", dtstamp=stamp),
        # A SEQUENCE the service never sent.
        reply_email("outlook", session, member, sequence=session.sequence + 1, dtstamp=stamp),
        # Not invited to that session: the referring doctor has no case on the second one.
        reply_email("gmail", later, referring, dtstamp=stamp),
        # Not an answer: DELEGATED, and an out-of-office note without a calendar.
        reply_email("apple", session, guest, partstat="DELEGATED", dtstamp=stamp),
        reply_email("out_of_office", session, member, dtstamp=stamp),
    ]
    for sample in samples:
        mailbox.deliver(sample)

    with caplog.at_level(logging.WARNING, logger="telemed.invites.replies"):
        assert read() == 0
    assert answers() == []
    for user in (member, guest, referring):
        assert answer_of(session, user)[0] is PartStat.NEEDS_ACTION
    assert mailbox.flags() == [{"\\Seen"}] * len(samples)  # each read once, not again
    ignored = [r.getMessage() for r in caplog.records if "ignored" in r.getMessage()]
    assert len(ignored) == len(samples)


def test_an_answer_to_the_old_time_is_ignored(session, mailbox, member, coordinator, clock):
    old_sequence = session.sequence
    move_session(coordinator, session, local(2026, 3, 5, 19, 0))
    sync_session_invites(session)
    db.session.commit()
    assert session.sequence == old_sequence + 1
    clock.advance(timedelta(minutes=5))
    mailbox.deliver(reply_email("outlook", session, member, sequence=old_sequence,
                                dtstamp=START + timedelta(minutes=1)))  # fmt: skip
    assert read() == 0
    assert answer_of(session, member) == (PartStat.NEEDS_ACTION, None)

    mailbox.deliver(reply_email("outlook", session, member, dtstamp=START + timedelta(minutes=6)))
    assert read() == 1  # the answer to the new time counts
    assert answer_of(session, member)[0] is PartStat.ACCEPTED


def test_a_message_read_twice_counts_once(session, mailbox, chair):
    """The job stopped after its commit and before flagging the message: it is read again."""
    mailbox.deliver(reply_email("outlook", session, chair, dtstamp=START))
    assert read() == 1
    imap = mailbox.connect()
    try:
        imap.uid("STORE", "1:*", "-FLAGS.SILENT", "(\\Seen)")
    finally:
        imap.logout()
    assert read() == 0
    assert len(answers()) == 1
    assert mailbox.flags() == [{"\\Seen"}]


def test_an_older_calendar_reply_does_not_undo_a_newer_answer_by_link(
    session, mailbox, member, clock
):
    clock.advance(timedelta(minutes=30))
    attendee = attendee_of(session, member)
    answer_by_link(make_token(attendee, PartStat.DECLINED))  # declined by the email's link
    db.session.commit()
    # ... and an "Accept" written in the calendar before that arrives late.
    mailbox.deliver(reply_email("gmail", session, member, dtstamp=START + timedelta(minutes=10)))
    assert read() == 0
    assert answer_of(session, member)[0] is PartStat.DECLINED


def test_a_reply_after_the_session_is_over_changes_nothing(session, mailbox, member, clock):
    clock.set(session.ends_at + timedelta(days=2))
    mailbox.deliver(reply_email("outlook", session, member, dtstamp=session.ends_at))
    assert read() == 0
    assert answer_of(session, member)[0] is PartStat.NEEDS_ACTION


# --- settings -----------------------------------------------------------------------------------


def test_without_a_mailbox_the_job_reads_nothing(app, invited):
    assert app.config["ITIP_ADDRESS"] is None
    assert read() == 0


def test_an_unreachable_mailbox_fails_the_run_loudly(session, mailbox, monkeypatch, app):
    from tests.invites.imap_server import free_port

    monkeypatch.setitem(app.config, "IMAP_PORT", free_port())
    with pytest.raises(replies.MailboxUnreachable):
        read()
    monkeypatch.setitem(app.config, "IMAP_PORT", mailbox.port)
    monkeypatch.setitem(app.config, "IMAP_PASSWORD", "wrong")
    with pytest.raises(replies.MailboxUnreachable):
        read()


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"ITIP_ADDRESS": ITIP}, "TELEMED_IMAP_HOST"),
        ({"IMAP_HOST": "imap.example.org"}, "TELEMED_ITIP_ADDRESS"),
        ({"ITIP_ADDRESS": "Comité <itip@x.org>", "IMAP_HOST": "h"}, "plain address"),
        ({"ITIP_ADDRESS": ITIP, "IMAP_HOST": "h", "IMAP_SECURITY": "tls"}, "ssl, starttls"),
    ],
)
def test_half_a_mailbox_is_refused_at_start_up(settings, message):
    with pytest.raises(ConfigError, match=message):
        validate_itip(settings)
