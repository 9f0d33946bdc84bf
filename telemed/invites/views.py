"""RSVP pages (from the email links, no login) and the attendee buttons of the session page."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required

from telemed.auth.decorators import roles_required
from telemed.auth.models import Discipline, Role
from telemed.core import formatting, transaction
from telemed.core.errors import DomainError, InputError, NotFound
from telemed.core.flashing import flash_error
from telemed.extensions import csrf
from telemed.invites import rsvp, rsvp_links
from telemed.invites import service as invites
from telemed.outbox.service import in_language_of
from telemed.sessions import access as session_access
from telemed.sessions import service as session_service
from telemed.sessions.models import BoardSession, PartStat, SessionAttendee

bp = Blueprint("invites", __name__)
staff_required = roles_required(Role.COORDINATOR, Role.ADMIN)


@bp.app_context_processor
def invite_helpers() -> dict[str, Any]:
    """Labels for the Attendance card and the dashboard's quorum warnings."""
    return {
        "invite_labels": {
            "partstat": rsvp.PARTSTAT_LABELS,
            "role": rsvp.ROLE_LABELS,
            "answers": [(p.value, rsvp_links.ANSWER_LABELS[p]) for p in rsvp_links.ANSWERS],
            "summary": [
                (p, rsvp.PARTSTAT_LABELS[p]) for p in (*rsvp_links.ANSWERS, PartStat.NEEDS_ACTION)
            ],
            "discipline": discipline_label,
        }
    }


def discipline_label(value: str) -> Any:
    from telemed.auth.labels import DISCIPLINE_LABELS

    try:
        return DISCIPLINE_LABELS[Discipline(value)]
    except ValueError:
        return value


def invalid_link() -> ResponseReturnValue:
    return render_template("invites/rsvp_invalid.html"), 400


def rsvp_page(
    template: str, attendee: SessionAttendee, partstat: PartStat, token: str
) -> ResponseReturnValue:
    """Shown in the attendee's language, with the time on their own clock."""
    session = attendee.session
    with in_language_of(attendee.user):
        others = [
            (rsvp_links.ANSWER_LABELS[other],
             url_for("invites.confirm", token=rsvp_links.make_token(attendee, other)))
            for other in rsvp_links.ANSWERS
            if other is not partstat
        ]  # fmt: skip
        return render_template(
            template,
            attendee=attendee,
            session=session,
            board=session.board,
            partstat=partstat,
            answer=rsvp_links.ANSWER_LABELS[partstat],
            answered=rsvp.PARTSTAT_LABELS[partstat],
            when=formatting.when(
                session.starts_at,
                session.board.timezone,
                session.ends_at,
                viewer_zone=attendee.user.display_timezone,
            ),
            token=token,
            others=others,
        )


@bp.get("/rsvp/<token>")
def confirm(token: str) -> ResponseReturnValue:
    """A confirmation page: a GET (a mail scanner's prefetch too) changes nothing."""
    try:
        attendee, partstat = rsvp_links.read_token(token)
    except rsvp_links.InvalidLink:
        return invalid_link()
    return rsvp_page("invites/rsvp_confirm.html", attendee, partstat, token)


@bp.post("/rsvp/<token>")
@csrf.exempt  # the signed token is the credential
def answer(token: str) -> ResponseReturnValue:
    try:
        attendee, partstat = rsvp.answer_by_link(token)
    except (rsvp_links.InvalidLink, DomainError):
        return invalid_link()
    return rsvp_page("invites/rsvp_done.html", attendee, partstat, token)


def session_or_404(session_id: int) -> BoardSession:
    try:
        return session_service.get_session(session_id)
    except NotFound:
        abort(404)


@bp.post("/sessions/<int:session_id>/rsvp")
@login_required
def session_rsvp(session_id: int) -> ResponseReturnValue:
    session = session_or_404(session_id)
    if not session_access.can_view_session(current_user, session):
        abort(404)
    try:
        attendee = rsvp.answer_on_page(current_user, session, request.form.get("partstat"))
    except DomainError as err:
        transaction.rollback()
        messages = err.errors.get("partstat", []) if isinstance(err, InputError) else []
        flash(" ".join(messages) or err.message, "danger")
    else:
        flash(_("Your answer is saved: %(answer)s.",
                answer=rsvp.PARTSTAT_LABELS[attendee.partstat]), "success")  # fmt: skip
    return redirect(url_for("sessions.session_detail", session_id=session.id) + "#attendance")


@bp.post("/sessions/<int:session_id>/audience")
@staff_required
def session_audience(session_id: int) -> ResponseReturnValue:
    session = session_or_404(session_id)
    try:
        invites.set_audience(current_user, session, request.form.get("audience_scope"))
    except DomainError as err:
        flash_error(err)
    else:
        flash(_("Audience saved; the invitations go out within a minute."), "success")
    return redirect(url_for("sessions.session_detail", session_id=session.id) + "#attendance")
