"""``/api/v1/sessions/<id>/minutes``: the minutes of a session, finalising them, addenda.

Readers are whoever may enter the session room (404 for anyone else, as a hidden session
does not exist for them); a referring doctor reads the review of their own centre's cases
only. Finalising and addenda are for coordinators (403 for other readers).
"""

from __future__ import annotations

from flask_login import current_user, login_required
from flask_smorest import Blueprint

from telemed.api.common import body_doc, json_body
from telemed.core.schemas import load_or_raise
from telemed.minutes import service as minutes
from telemed.minutes.models import MinutesAddendum
from telemed.minutes.schemas import (
    MinutesAddendumInputSchema,
    MinutesAddendumOutSchema,
    MinutesOutSchema,
)
from telemed.sessions import service as session_service

blp = Blueprint("minutes_api", __name__, url_prefix="/api/v1", description="Minutes of sessions")


@blp.route("/sessions/<int:session_id>/minutes", methods=["GET"])
@blp.response(200, MinutesOutSchema)
@login_required
def get_minutes(session_id: int) -> minutes.MinutesRecord:
    """The minutes: a draft built from the live record, or the frozen final content, with
    its addenda (the read is audited)."""
    session = session_service.get_session(session_id)
    return minutes.read_minutes(current_user, session, via="api")


@blp.route("/sessions/<int:session_id>/minutes/finalise", methods=["POST"])
@blp.response(200, MinutesOutSchema)
@login_required
def finalise(session_id: int) -> minutes.MinutesRecord:
    """Freeze the minutes once the session has ended and email the attendees and members a
    link (409 if already final or the session has not ended)."""
    session = session_service.get_session(session_id)
    minutes.finalise_minutes(current_user, session)
    return minutes.record_for(current_user, session)


@blp.route("/sessions/<int:session_id>/minutes/addenda", methods=["POST"])
@blp.doc(**body_doc(MinutesAddendumInputSchema))
@blp.response(201, MinutesAddendumOutSchema)
@login_required
def add_addendum(session_id: int) -> MinutesAddendum:
    """Add a dated correction to final minutes (409 while they are a draft)."""
    session = session_service.get_session(session_id)
    minutes.require_coordinator(current_user, session)
    values = load_or_raise(MinutesAddendumInputSchema(), json_body())
    return minutes.add_session_addendum(current_user, session, values["text"])
