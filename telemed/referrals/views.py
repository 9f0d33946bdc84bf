"""Referral pages for the referring and the receiving centre.

The receiving centre sees a referral with the case summary it needs and nothing else; the
sending side also gets a link to the case. Both take the steps of their side here, and
the room's panel refers a patient from a recommendation.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.datastructures import MultiDict

from telemed.auth.service import is_safe_next
from telemed.cases.models import Case
from telemed.centres.labels import CAPABILITY_LABELS
from telemed.centres.models import CAPABILITY_FLAGS, Centre
from telemed.core.errors import DomainError, InputError
from telemed.core.flashing import flash_error, refused
from telemed.referrals import service
from telemed.referrals.access import can_refer, get_visible_referral, summary_only
from telemed.referrals.labels import REFERRAL_STATUS_LABELS, TRANSPLANT_TYPE_LABELS
from telemed.referrals.models import Referral, ReferralStatus, TransplantType
from telemed.room import service as room
from telemed.room.access import get_visible_recommendation
from telemed.room.models import Recommendation

bp = Blueprint("referrals", __name__)


# --- what the partials need -----------------------------------------------------------


@bp.app_template_global()
def referral_labels() -> dict[str, Any]:
    return {
        "status": REFERRAL_STATUS_LABELS,
        "transplant": TRANSPLANT_TYPE_LABELS,
        "needs": {flag: CAPABILITY_LABELS[flag] for flag in CAPABILITY_FLAGS},
    }


@bp.app_template_global()
def case_referrals(case: Case) -> list[Referral]:
    """The case's referrals (whoever sees the case sees all of them)."""
    return service.case_referrals(case)


@bp.app_template_global()
def referral_actions(referral: Referral) -> dict[str, Any]:
    """The steps the viewer may take now, and whether they may add a note."""
    return {
        "steps": service.available_steps(current_user, referral),
        "can_note": service.can_add_note(current_user, referral),
    }


@dataclass
class ReferForm:
    """A "refer" form: the needs and transplant type applied, and the centres they allow."""

    recommendation: Recommendation
    needs: list[str]
    transplant_type: TransplantType | None
    centres: list[Centre]
    values: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, list[str]] = field(default_factory=dict)


def refer_form(
    recommendation: Recommendation,
    args: MultiDict[str, str] | None = None,
    errors: dict[str, list[str]] | None = None,
) -> ReferForm:
    """The form's state from the request (``needs`` repeated, ``transplant_type``); unknown
    values are dropped rather than refused, since they only shape the suggestions."""
    args = args if args is not None else MultiDict()
    try:
        transplant = TransplantType(args.get("transplant_type") or "")
    except ValueError:
        transplant = None
    known = [n for n in args.getlist("needs") if n in CAPABILITY_FLAGS]
    needs = service.effective_needs(known, transplant)
    centres = service.suggest_centres(
        needs,
        exclude_centre_id=recommendation.case.centre_id,
        transplant=transplant is not None,
    )
    return ReferForm(recommendation, needs, transplant, centres, args.to_dict(), errors or {})


@bp.app_template_global()
def referral_panel(case: Case) -> dict[str, Any]:
    """For the room's review panel: the case's referrals and a "refer" form for each of
    its recommendations without an active referral (when the viewer may refer)."""
    forms = [
        refer_form(recommendation)
        for recommendation in room.case_recommendations(case.id)
        if not service.has_active_referral(recommendation)
        and can_refer(current_user, recommendation)
    ]
    return {"referrals": service.case_referrals(case), "forms": forms}


# --- pages ----------------------------------------------------------------------------


def back(default: str) -> str:
    target = request.form.get("next") or request.args.get("next")
    return target if is_safe_next(target) else default


@bp.get("/referrals")
@login_required
def index() -> ResponseReturnValue:
    """Incoming and outgoing referrals of the user's centre (all for staff)."""
    filters = service.parse_list_query(request.args)
    page = service.list_referrals(current_user, filters)
    return render_template(
        "referrals/referrals.html",
        page=page,
        filters=filters,
        statuses=list(ReferralStatus),
    )


@bp.get("/referrals/<int:referral_id>")
@login_required
def detail(referral_id: int) -> ResponseReturnValue:
    referral = get_visible_referral(current_user, referral_id)
    service.record_view(current_user, referral)
    return render_template(
        "referrals/referral.html",
        referral=referral,
        summary_only=summary_only(current_user, referral),
    )


@bp.post("/referrals/<int:referral_id>/status")
@login_required
def change_status(referral_id: int) -> ResponseReturnValue:
    referral = get_visible_referral(current_user, referral_id)
    data = {k: v for k, v in request.form.items() if k in ("status", "note", "scheduled_for",
                                                            "pending_studies")}  # fmt: skip
    try:
        service.change_status(current_user, referral, data)
    except DomainError as err:
        flash_error(err)
    else:
        flash(
            _("Referral of case %(code)s: %(status)s.", code=referral.case.code,
              status=REFERRAL_STATUS_LABELS[referral.status]),
            "success",
        )  # fmt: skip
    return redirect(back(url_for("referrals.detail", referral_id=referral_id)))


@bp.post("/referrals/<int:referral_id>/notes")
@login_required
def add_note(referral_id: int) -> ResponseReturnValue:
    referral = get_visible_referral(current_user, referral_id)
    try:
        service.add_note(current_user, referral, {"note": request.form.get("note", "")})
    except DomainError as err:
        flash_error(err)
    else:
        flash(_("Note added."), "success")
    return redirect(back(url_for("referrals.detail", referral_id=referral_id)))


def visible_recommendation(recommendation_id: int) -> Recommendation:
    """404 unless the viewer sees the recommendation's case; 403 unless they may refer."""
    recommendation = get_visible_recommendation(current_user, recommendation_id)
    if not can_refer(current_user, recommendation):
        abort(403)
    return recommendation


@bp.get("/recommendations/<int:recommendation_id>/refer")
@login_required
def refer(recommendation_id: int) -> ResponseReturnValue:
    """The "refer" form with centres suggested for the needs in the query (works without
    JavaScript: the needs form is a GET to this page)."""
    recommendation = visible_recommendation(recommendation_id)
    form = refer_form(recommendation, request.args)
    return render_template("referrals/refer.html", form=form, next=back(""))


@bp.post("/recommendations/<int:recommendation_id>/refer")
@login_required
def create(recommendation_id: int) -> ResponseReturnValue:
    recommendation = visible_recommendation(recommendation_id)
    data: dict[str, Any] = {
        k: v for k, v in request.form.items()
        if k in ("transplant_type", "to_centre_id", "reason", "send")
    }  # fmt: skip
    data["needs"] = request.form.getlist("needs")
    try:
        referral = service.create_referral(current_user, recommendation, data)
    except InputError as err:
        form = refer_form(recommendation, request.form, refused(err))
        return render_template("referrals/refer.html", form=form, next=back("")), 422
    except DomainError as err:
        flash_error(err)
        return redirect(back(url_for("cases.detail", case_id=recommendation.case_id)))
    if referral.status is ReferralStatus.SENT:
        message = _("Case %(code)s was referred to %(centre)s.", code=referral.case.code,
                    centre=referral.to_centre.name)  # fmt: skip
    else:
        message = _("The referral of case %(code)s to %(centre)s was saved as proposed.",
                    code=referral.case.code, centre=referral.to_centre.name)  # fmt: skip
    flash(message, "success")
    return redirect(back(url_for("referrals.detail", referral_id=referral.id)))
