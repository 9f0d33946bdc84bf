"""Calendar feed URLs (private and public), the session ``.ics`` download, and the button
that makes a new private feed URL."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required

from telemed.boards import service as board_service
from telemed.boards.models import Board
from telemed.core.clock import now_utc
from telemed.core.conditional import client_has, revalidated
from telemed.core.errors import NotFound
from telemed.invites import feed_tags, feeds
from telemed.outbox.service import in_language_of
from telemed.sessions import access as session_access
from telemed.sessions import service as session_service

bp = Blueprint("feeds", __name__)
CALENDAR_TYPE = "text/calendar; charset=utf-8"
MAX_AGE = 900
# The new private feed URL waits here (once) for the profile page to show it.
NEW_FEED_KEY = "new_feed_url"


@bp.app_template_global()
def board_feed_url(board: Board) -> str:
    return feeds.board_feed_url(board)


@bp.app_template_global()
def webcal_url(url: str) -> str:
    return feeds.webcal(url)


def calendar_response(body: bytes, filename: str, *, disposition: str, cache: str) -> Response:
    """The calendar with its caching headers; ``304`` when the client already has it."""
    response = Response(body, content_type=CALENDAR_TYPE)
    response.headers["Content-Disposition"] = f'{disposition}; filename="{filename}"'
    response.headers["Cache-Control"] = cache
    response.set_etag(feeds.content_tag(body))
    response.make_conditional(request)  # sets 304 in place (and returns the same response)
    return response


@bp.get("/feeds/<token>.ics")
def private_feed(token: str) -> ResponseReturnValue:
    """A user's sessions for calendar subscriptions; the secret token is the credential.

    Calendar clients poll it: a client that already has this feed gets a ``304`` without it
    being built — from the tag remembered while the calendars' data has not changed
    (``feed_tags``), else from the tag worked out of the sessions' stamps (one query)."""
    user = feeds.user_for_token(token)
    if user is None:
        abort(404)
    with in_language_of(user):
        tag, stamps = feed_tags.tag_and_stamps(user, now_utc(), client_has)
        if stamps is None or client_has(tag):
            response = Response(status=304)
            del response.headers["Content-Type"]  # a 304 has no body to describe
        else:
            body = feeds.user_calendar(user, stamps)
            response = Response(body, content_type=CALENDAR_TYPE)
            response.headers["Content-Disposition"] = 'inline; filename="telemed.ics"'
    response.headers["X-Robots-Tag"] = "noindex"
    response.headers["Referrer-Policy"] = "no-referrer"
    return revalidated(response, tag)  # private, no-cache: its owner's client revalidates


@bp.get("/feeds/boards/<int:board_id>.ics")
def board_feed(board_id: int) -> ResponseReturnValue:
    """A board's training and keynote sessions, when the coordinator published them."""
    board = board_service.find_board(board_id)
    if board is None or not board.public_feed:
        abort(404)
    return calendar_response(
        feeds.board_calendar(board),
        f"board-{board.id}.ics",
        disposition="inline",
        cache=f"public, max-age={MAX_AGE}",
    )


@bp.get("/sessions/<int:session_id>.ics")
@login_required
def session_download(session_id: int) -> ResponseReturnValue:
    """One session as a file to open in a calendar; seen by whoever sees the session page."""
    try:
        board_session = session_service.get_session(session_id)
    except NotFound:
        abort(404)
    if not session_access.can_view_session(current_user, board_session):
        abort(404)
    return calendar_response(
        feeds.session_calendar(board_session),
        f"session-{board_session.id}.ics",
        disposition="attachment",
        cache="private, no-cache",
    )


@bp.post("/feeds/regenerate")
@login_required
def regenerate() -> ResponseReturnValue:
    """Make a new private feed URL: the old one stops working at once."""
    had_feed = feeds.feed_of(current_user) is not None
    token = feeds.regenerate(current_user)
    session[NEW_FEED_KEY] = feeds.feed_url(token)  # shown once by the profile page
    if had_feed:
        flash(_("New calendar feed address created; the old one no longer works."), "success")
    else:
        flash(_("Calendar feed address created."), "success")
    return redirect(url_for("auth.profile") + "#calendar-feed")
