"""Agreements: recorded in the room, read out at its end, followed up until done.

The room (h1's page) includes ``_room_agreements.html`` and ``_room_follow_up.html``, and the
coordinator dashboard ``_dashboard_agreements.html``; the globals below give them their data.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required

from telemed.agreements import service
from telemed.agreements.access import can_mark_done, get_visible_agreement
from telemed.agreements.models import Agreement
from telemed.auth.service import is_safe_next
from telemed.cases.access import seen_case_ids
from telemed.core.errors import DomainError
from telemed.core.flashing import flash_error
from telemed.referrals import service as referral_service
from telemed.sessions.access import require_room
from telemed.sessions.models import BoardSession, SessionStatus
from telemed.sessions.service import get_session

bp = Blueprint("agreements", __name__)


# --- what the partials need -----------------------------------------------------------


@bp.app_template_global()
def room_agreements(session: BoardSession) -> list[service.AgreementView]:
    """This session's agreements, as the viewer may see them (read out at the end)."""
    return service.views(current_user, service.session_agreements(session))


@bp.app_template_global()
def agreement_form(session: BoardSession) -> dict[str, Any]:
    """Choices for the form: who may own an agreement, and the cases on the agenda."""
    return {
        "owners": service.owner_candidates(session),
        "cases": service.agenda_cases(session),
        "today": service.board_today(session.board).isoformat(),
    }


@bp.app_template_global()
def can_mark_agreement(agreement: Agreement, session: BoardSession) -> bool:
    """Whether the room of ``session`` offers to mark (or reopen) ``agreement``: never once
    that session's minutes are final (it reports nothing more) or it was cancelled."""
    return (
        session.status is not SessionStatus.CANCELLED
        and not session.record_final
        and can_mark_done(current_user, agreement)
    )


def centre_of(agreement: service.AgreementView) -> str | None:
    """The centre an agreement concerns, for the filter: its owner's, else its case's (only
    when the viewer sees that case)."""
    if agreement.owner is not None and agreement.owner.centre is not None:
        return str(agreement.owner.centre.name)
    if agreement.case is not None and agreement.text is not None:
        return str(agreement.case.centre.name)
    return None


@bp.app_template_global()
def room_follow_up(session: BoardSession) -> dict[str, Any]:
    """The follow-up of earlier agreements, this session's business first (reported at it,
    due by it); the older overdue ones grouped, filtered by owner or centre from the query
    string (``follow_owner``, ``follow_centre``); and the board's open referrals created
    before this session. A referring doctor sees only the code of another centre's case."""
    groups = service.follow_up(session)
    older = service.views(current_user, groups.older)
    owner = request.args.get("follow_owner", "")
    centre = request.args.get("follow_centre", "")
    referrals = referral_service.open_referrals_before(session)
    seen = seen_case_ids(current_user, (r.case_id for r in referrals))
    return {
        "reported": service.views(current_user, groups.reported),
        "due": service.views(current_user, groups.due),
        "older_count": len(older),
        "older": [
            a for a in older
            if (not owner or a.owner_label == owner) and (not centre or centre_of(a) == centre)
        ],
        "owners": sorted({a.owner_label for a in older if a.owner_label}, key=str.casefold),
        "centres": sorted({c for a in older if (c := centre_of(a))}, key=str.casefold),
        "filter": {"owner": owner, "centre": centre},
        "later": service.views(current_user, groups.later),
        "referrals": [{"referral": r, "visible": r.case_id in seen} for r in referrals],
    }  # fmt: skip


@bp.app_template_global()
def dashboard_overdue_agreements() -> list[service.AgreementView]:
    """For the dashboard: the coordinator's boards' overdue agreements (all for admins)."""
    return service.views(current_user, service.overdue_agreements(current_user))


# --- actions --------------------------------------------------------------------------


def back(default: str) -> str:
    target = request.form.get("next")
    return target if is_safe_next(target) else default


@bp.post("/sessions/<int:session_id>/agreements")
@login_required
def create(session_id: int) -> ResponseReturnValue:
    session = get_session(session_id)
    require_room(current_user, session)
    data = {k: v for k, v in request.form.items()
            if k in ("text", "owner_id", "owner_unit", "due_date", "case_id")}  # fmt: skip
    try:
        service.record_agreement(current_user, session, data)
    except DomainError as err:
        flash_error(err)
    else:
        flash(_("Agreement recorded."), "success")
    default = url_for("sessions.session_detail", session_id=session_id)
    return redirect(back(default) + "#room-agreements")


@bp.post("/agreements/<int:agreement_id>/done")
@login_required
def done(agreement_id: int) -> ResponseReturnValue:
    agreement = get_visible_agreement(current_user, agreement_id)
    data = {k: v for k, v in request.form.items() if k in ("note", "session_id")}
    try:
        service.mark_done(current_user, agreement, data)
    except DomainError as err:
        flash_error(err)
    else:
        flash(_("Agreement marked done."), "success")
    default = url_for("sessions.session_detail", session_id=agreement.session_id)
    return redirect(back(default))


@bp.post("/agreements/<int:agreement_id>/reopen")
@login_required
def reopen(agreement_id: int) -> ResponseReturnValue:
    agreement = get_visible_agreement(current_user, agreement_id)
    try:
        service.reopen(current_user, agreement)
    except DomainError as err:
        flash_error(err)
    else:
        flash(_("Agreement reopened: it is followed up again."), "success")
    default = url_for("sessions.session_detail", session_id=agreement.session_id)
    return redirect(back(default))
