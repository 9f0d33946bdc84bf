"""Capacity planner runs asked for on the page: the form checked (errors by field, nothing
queued), the row queued, and the scheduler's ``run_capacity_plans`` job, which claims one
row at a time under a lease, runs the sweep on sandbox databases and stores the result.

Crash-safe: the claim is committed before the sweep starts, the result is written only by
the claim's holder (``claim_token``), and a claim whose lease ran out (its worker died) is
taken over by the next run; after ``MAX_ATTEMPTS`` such claims the row is marked failed."""

from __future__ import annotations

import logging
import secrets
from datetime import timedelta
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError, fields, validate, validates_schema
from sqlalchemy import and_, or_, select, update

from telemed.auth.models import User
from telemed.core import transaction
from telemed.core.clock import now_utc
from telemed.core.schemas import InputSchema, load_or_raise
from telemed.extensions import db
from telemed.simulation import sweep as planner
from telemed.simulation.models import CapacityPlan, PlanStatus
from telemed.simulation.network import board_names

log = logging.getLogger(__name__)
# Longer than the largest grid takes (24 points of 13 weeks: well under an hour).
LEASE = timedelta(hours=2)
MAX_ATTEMPTS = 3


class NumberList(fields.String):
    """``"1, 2"`` or ``"1-3"``: whole numbers each within ``low``..``high``."""

    def __init__(self, low: int, high: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.low, self.high = low, high

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        text = super()._deserialize(value, attr, data, **kwargs)
        message = _l("Enter whole numbers from %(low)s to %(high)s, separated by commas "
                     "(or a range such as 1-3).", low=self.low, high=self.high)  # fmt: skip
        try:
            values = planner.parse_values(text)
        except ValueError:
            raise ValidationError(str(message)) from None
        if any(not self.low <= v <= self.high for v in values):
            raise ValidationError(str(message))
        return tuple(sorted(set(values)))


class PlanSchema(InputSchema):
    """The planner's form: a board and four ranges (the arrival rate in cases a year)."""

    board = fields.String(required=True, validate=validate.OneOf(board_names()))
    sessions_per_week = NumberList(1, 5, required=True)
    minutes_per_case = NumberList(5, 60, required=True)
    session_minutes = NumberList(30, 480, required=True)
    cases_per_year = NumberList(1, 10_000, required=True)
    weeks = fields.Integer(required=True, validate=validate.Range(1, 52))

    @validates_schema
    def not_too_many(self, data: dict[str, Any], **_: Any) -> None:
        ranges = ("sessions_per_week", "minutes_per_case", "session_minutes", "cases_per_year")
        if not all(name in data for name in ranges):
            return
        count = 1
        for name in ranges:
            count *= len(data[name])
        if count > planner.MAX_POINTS:
            message = _l("%(count)s combinations: at most %(most)s; narrow a range.",
                         count=count, most=planner.MAX_POINTS)  # fmt: skip
            raise ValidationError(str(message), "sessions_per_week")


def grid_of(data: dict[str, Any]) -> planner.Grid:
    return planner.Grid(
        board=data["board"], sessions_per_week=tuple(data["sessions_per_week"]),
        minutes_per_case=tuple(data["minutes_per_case"]),
        session_minutes=tuple(data["session_minutes"]),
        cases_per_year=tuple(float(v) for v in data["cases_per_year"]), weeks=data["weeks"],
    )  # fmt: skip


def queue_plan(actor: User, form: dict[str, Any]) -> CapacityPlan:
    """Check the form and queue a run (an ``InputError`` names the fields; nothing queued)."""
    grid = grid_of(load_or_raise(PlanSchema(), form))
    plan = CapacityPlan(board=grid.board, grid=grid.as_json(), status=PlanStatus.QUEUED,
                        requested_by_id=actor.id, created_at=now_utc())  # fmt: skip
    db.session.add(plan)
    db.session.flush()
    return plan


def default_form() -> dict[str, Any]:
    """The form as first shown: the planner's default grid."""
    grid = planner.Grid()
    return {
        "board": grid.board, "weeks": grid.weeks,
        **{name: ", ".join(f"{v:g}" for v in getattr(grid, name))
           for name in ("sessions_per_week", "minutes_per_case", "session_minutes",
                        "cases_per_year")},
    }  # fmt: skip


def find_plan(plan_id: int) -> CapacityPlan | None:
    """A run of the planner; every coordinator and administrator may read any (it holds
    simulated data only)."""
    return db.session.get(CapacityPlan, plan_id)


def recent_plans(limit: int = 20) -> list[CapacityPlan]:
    return list(db.session.scalars(
        select(CapacityPlan).order_by(CapacityPlan.created_at.desc(), CapacityPlan.id.desc())
        .limit(limit)
    ))  # fmt: skip


def claimable() -> Any:
    """Queued rows, and running ones whose lease ran out (their worker died)."""
    now = now_utc()
    expired = and_(CapacityPlan.status == PlanStatus.RUNNING, CapacityPlan.lease_until < now)
    return or_(CapacityPlan.status == PlanStatus.QUEUED, expired)


def give_up_abandoned() -> None:
    """A row claimed ``MAX_ATTEMPTS`` times whose last worker died too: failed, not retried."""
    db.session.execute(
        update(CapacityPlan)
        .where(claimable(), CapacityPlan.attempts >= MAX_ATTEMPTS)
        .values(
            status=PlanStatus.FAILED,
            finished_at=now_utc(),
            claim_token=None,
            error="abandoned by its worker too many times",
        )
    )


def claim() -> tuple[int, str] | None:
    """Take the oldest claimable row (a conditional UPDATE: two runners never both win)."""
    give_up_abandoned()
    plan_id = db.session.scalar(
        select(CapacityPlan.id).where(claimable()).order_by(CapacityPlan.id).limit(1)
    )
    if plan_id is None:
        return None
    token = secrets.token_hex(16)
    won = db.session.execute(
        update(CapacityPlan)
        .where(CapacityPlan.id == plan_id, claimable())
        .values(
            status=PlanStatus.RUNNING,
            claim_token=token,
            lease_until=now_utc() + LEASE,
            attempts=CapacityPlan.attempts + 1,
        )
    )
    return (plan_id, token) if won.rowcount == 1 else None  # type: ignore[attr-defined]


def finish(plan_id: int, token: str, **values: Any) -> bool:
    """Store the outcome, only while this run still holds the claim."""
    done = db.session.execute(
        update(CapacityPlan)
        .where(CapacityPlan.id == plan_id, CapacityPlan.claim_token == token,
               CapacityPlan.status == PlanStatus.RUNNING)
        .values(finished_at=now_utc(), claim_token=None, lease_until=None, **values)
    )  # fmt: skip
    count: int = done.rowcount  # type: ignore[attr-defined]
    return count == 1


def run_capacity_plans() -> int:
    """The scheduler's job: one queued plan run (0 when none waits). The claim is committed
    first, so a crash during the sweep leaves a lease that expires, not a lost row."""
    claimed = claim()
    transaction.commit_chunk()
    if claimed is None:
        return 0
    plan_id, token = claimed
    plan = db.session.get(CapacityPlan, plan_id)
    assert plan is not None
    grid = grid_of(plan.grid)
    live = current_app._get_current_object()  # type: ignore[attr-defined]
    try:
        result = planner.sweep(live, grid)
    except Exception as err:  # a run that cannot finish is said on its page, not retried
        log.exception("capacity plan %s failed", plan_id)
        finish(plan_id, token, status=PlanStatus.FAILED, error=str(err)[:500])
        return 1
    if not finish(plan_id, token, status=PlanStatus.DONE, result=result):
        log.warning("capacity plan %s: the claim was taken over; result discarded", plan_id)
    return 1
