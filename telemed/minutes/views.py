"""Minutes: draft, review, finalise, addenda, print and PDF; the topic and speaker of
training and keynote sessions. Readers: whoever may enter the session room."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required

from telemed.auth.service import is_safe_next
from telemed.certificates import service as certificates
from telemed.core.errors import InputError, InvalidTransition
from telemed.core.flashing import flash_error, refused
from telemed.core.formatting import local_datetime
from telemed.minutes import content as minutes_content
from telemed.minutes import service as minutes
from telemed.minutes.display import display
from telemed.minutes.labels import MINUTES_STATUS_LABELS
from telemed.minutes.pdf import minutes_pdf
from telemed.room.models import Attendance
from telemed.sessions import service as session_service
from telemed.sessions.models import BoardSession

bp = Blueprint("minutes", __name__)


# --- for the room partial -------------------------------------------------------------


@bp.app_template_global()
def minutes_summary(session: BoardSession) -> dict[str, Any]:
    """What the room shows about the minutes (no content: reading them is audited)."""
    status = minutes.current_status(session)
    return {
        "status": status,
        "status_label": MINUTES_STATUS_LABELS[status],
        "ended": minutes.session_ended(session),
        "has_topic": session.kind in minutes_content.TOPIC_KINDS,
        "certificate": current_user.is_authenticated
        and certificates.can_download_own(current_user, session),
    }


# --- reading --------------------------------------------------------------------------


def room_session(session_id: int) -> BoardSession:
    """The session (404 if missing); ``read_minutes`` and the changes check the room."""
    return session_service.get_session(session_id)


def record_time(record: minutes.MinutesRecord, moment: datetime) -> str:
    """A moment of the minutes' life on the board's clock, named: the record's own time."""
    return local_datetime(moment, record.content["board"]["timezone"], say_zone=True)


def status_line(record: minutes.MinutesRecord) -> str:
    if record.final and record.finalised_at is not None:
        return _("Final minutes, finalised %(when)s by %(name)s.",
                 when=record_time(record, record.finalised_at),
                 name=record.finalised_by or "")  # fmt: skip
    return _("Draft: generated from the session record; it changes until the coordinator "
             "finalises it.")  # fmt: skip


def certificate_rows(session: BoardSession) -> list[Attendance]:
    """Present attendees whose certificates a coordinator can download from the page."""
    if not current_user.is_staff:
        return []
    try:
        certificates.require_certifiable(session)
    except InvalidTransition:
        return []
    return minutes_content.present_attendances(session)


def render_page(
    session: BoardSession,
    record: minutes.MinutesRecord,
    errors: dict[str, list[str]] | None = None,
) -> tuple[str, int]:
    return render_template(
        "minutes/minutes.html",
        session=session,
        record=record,
        m=display(record.content),
        status_line=status_line(record),
        status_label=MINUTES_STATUS_LABELS[record.status],
        can_finalise=current_user.is_staff and not record.final,
        ended=minutes.session_ended(session),
        can_add_addendum=current_user.is_staff and record.final,
        certificate_rows=certificate_rows(session),
        own_certificate=certificates.can_download_own(current_user, session),
        errors=errors or {},
        values=request.form if errors else {},
    ), (422 if errors else 200)


@bp.get("/sessions/<int:session_id>/minutes")
@login_required
def page(session_id: int) -> ResponseReturnValue:
    session = room_session(session_id)
    return render_page(session, minutes.read_minutes(current_user, session, via="page"))


@bp.get("/sessions/<int:session_id>/minutes/print")
@login_required
def print_view(session_id: int) -> ResponseReturnValue:
    session = room_session(session_id)
    record = minutes.read_minutes(current_user, session, via="print")
    return render_template(
        "minutes/minutes_print.html",
        record=record,
        m=display(record.content),
        status_line=status_line(record),
    )


@bp.get("/sessions/<int:session_id>/minutes.pdf")
@login_required
def pdf(session_id: int) -> ResponseReturnValue:
    session = room_session(session_id)
    record = minutes.read_minutes(current_user, session, via="pdf")
    body = minutes_pdf(
        display(record.content),
        status=status_line(record),
        addenda=[(record_time(record, a.at), a.author.name, a.text) for a in record.addenda],
    )
    name = f"minuta-{session.board_id}-{session.number}.pdf"
    response = Response(body, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


# --- changes (coordinators) -----------------------------------------------------------


@bp.post("/sessions/<int:session_id>/minutes/finalise")
@login_required
def finalise(session_id: int) -> ResponseReturnValue:
    session = room_session(session_id)
    try:
        minutes.finalise_minutes(current_user, session)
    except (InvalidTransition, InputError) as err:
        flash_error(err)
    else:
        flash(_("The minutes are final; attendees and members were sent a link."), "success")
    return redirect(url_for("minutes.page", session_id=session.id))


@bp.post("/sessions/<int:session_id>/minutes/addenda")
@login_required
def addendum(session_id: int) -> ResponseReturnValue:
    session = room_session(session_id)
    try:
        minutes.add_session_addendum(current_user, session, request.form.get("text", ""))
    except InputError as err:
        errors = refused(err)
        record = minutes.read_minutes(current_user, session, via="page")
        return render_page(session, record, errors=errors)
    except InvalidTransition as err:
        flash_error(err)
        return redirect(url_for("minutes.page", session_id=session.id))
    flash(_("Addendum added."), "success")
    return redirect(url_for("minutes.page", session_id=session.id, _anchor="addenda"))


@bp.post("/sessions/<int:session_id>/topic")
@login_required
def topic(session_id: int) -> ResponseReturnValue:
    session = room_session(session_id)
    data = {k: v for k, v in request.form.items() if k in ("topic", "speaker")}
    try:
        minutes.set_topic(current_user, session, data)
    except (InvalidTransition, InputError) as err:
        flash_error(err)
    else:
        flash(_("Topic and speaker saved."), "success")
    target = request.form.get("next")
    if is_safe_next(target):
        return redirect(target)
    return redirect(url_for("minutes.page", session_id=session.id))
