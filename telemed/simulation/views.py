"""The capacity planner's pages (figures menu; administrators and coordinators): the form
that queues a run for the scheduler, the list of runs, and a run's result."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup

from telemed.auth.decorators import roles_required
from telemed.auth.models import Role
from telemed.core.errors import InputError
from telemed.core.flashing import refused
from telemed.simulation import plans, sweep_report
from telemed.simulation.labels import PLAN_STATUS_LABELS, POINT_COLUMNS, TARGET_LABELS
from telemed.simulation.network import board_names

bp = Blueprint("planner", __name__, url_prefix="/reports/planner")
staff_required = roles_required(Role.COORDINATOR, Role.ADMIN)
FIELDS = ("board", "sessions_per_week", "minutes_per_case", "session_minutes",
          "cases_per_year", "weeks")  # fmt: skip


@bp.context_processor
def planner_labels() -> dict[str, Any]:
    return {"plan_status_labels": PLAN_STATUS_LABELS, "point_columns": POINT_COLUMNS}


@bp.app_template_filter("target_label")
def target_label(name: str) -> str:
    return str(TARGET_LABELS.get(name, name))


@bp.route("/", methods=["GET", "POST"])
@staff_required
def index() -> ResponseReturnValue:
    errors: dict[str, list[str]] = {}
    values: dict[str, Any] = plans.default_form()
    if request.method == "POST":
        values = {name: request.form.get(name, "") for name in FIELDS}
        try:
            plan = plans.queue_plan(current_user, values)
        except InputError as err:
            errors = refused(err)
        else:
            flash(_("Capacity plan queued: the scheduler runs it in the next minutes."),
                  "success")  # fmt: skip
            return redirect(url_for("planner.detail", plan_id=plan.id))
    return render_template(
        "simulation/planner.html", values=values, errors=errors, plans=plans.recent_plans(),
        boards=[(name, name) for name in board_names()],
    ), 422 if errors else 200  # fmt: skip


@bp.get("/<int:plan_id>")
@staff_required
def detail(plan_id: int) -> ResponseReturnValue:
    plan = plans.find_plan(plan_id)
    if plan is None:
        abort(404)
    result = plan.result
    chart = None
    if result is not None:
        title = _("Board-hours a week and median routine wait")
        axes = (_("board-hours a week"), _("days (median routine wait)"))
        # Built from numbers and escaped text: no markup from a user reaches it.
        chart = Markup(sweep_report.svg_chart(result, title, axes))
    return render_template(
        "simulation/plan.html", plan=plan, result=result, chart=chart,
        answers=sweep_report.answers(result) if result else [],
        never_met=sweep_report.never_met(result) if result else [],
        label=sweep_report.label,
    )  # fmt: skip
