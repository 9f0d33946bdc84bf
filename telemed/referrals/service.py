"""Referrals: from a recommendation, send the patient to a centre that can resolve the case.

A referral moves through one table of steps (``STEPS``), each owned by a side: the sending
side (the case centre's referring doctors, the case board's members, staff) proposes,
sends and may cancel; the receiving side (the receiving centre's referring doctors, staff)
accepts or declines, evaluates, schedules and completes. Every step and every note is a
dated ``ReferralStep``; each status change is on the case's timeline (status and centre,
no patient data), in the audit log, and announced by email (a link, no patient data).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import Select, case, select

from telemed.audit import service as audit
from telemed.auth.models import User
from telemed.cases.models import Case
from telemed.cases.service import add_event
from telemed.centres.labels import CAPABILITY_LABELS
from telemed.centres.models import CAPABILITY_FLAGS, Centre, CentreKind
from telemed.core.clock import now_utc
from telemed.core.errors import Forbidden, InputError, InvalidTransition
from telemed.core.schemas import load_or_raise
from telemed.extensions import db
from telemed.referrals import notices
from telemed.referrals.access import (
    acts_for_receiver,
    acts_for_sender,
    can_refer,
    case_board_id,
    visible_referrals,
)
from telemed.referrals.labels import REFERRAL_STATUS_LABELS
from telemed.referrals.models import Referral, ReferralStatus, ReferralStep, TransplantType
from telemed.referrals.schemas import (
    ReferralInputSchema,
    ReferralListQuerySchema,
    ReferralNoteInputSchema,
    ReferralStepInputSchema,
    dedupe,
)
from telemed.room.models import Recommendation
from telemed.sessions.models import BoardSession

TRANSPLANT_UNIT = "has_transplant_unit"
OPEN_STATUSES = (
    ReferralStatus.PROPOSED,
    ReferralStatus.SENT,
    ReferralStatus.ACCEPTED,
    ReferralStatus.UNDER_EVALUATION,
    ReferralStatus.SCHEDULED,
)
# A recommendation with a referral in one of these may not be referred again.
ACTIVE_STATUSES = (*OPEN_STATUSES, ReferralStatus.COMPLETED)
# After transplant partners: high-specialty hospitals first, then the rest.
KIND_ORDER = (
    CentreKind.UMAE,
    CentreKind.ONCOCREAN,
    CentreKind.SECOND_LEVEL,
    CentreKind.EXTERNAL_PARTNER,
)


class Side(enum.StrEnum):
    SENDING = "sending"
    RECEIVING = "receiving"


@dataclass(frozen=True)
class Step:
    """A status change: from which statuses, by which side, and what it must carry."""

    target: ReferralStatus
    sources: tuple[ReferralStatus, ...]
    side: Side
    label: Any
    note_required: bool = False
    needs_date: bool = False
    needs_studies: bool = False


STEPS: dict[ReferralStatus, Step] = {
    step.target: step
    for step in (
        Step(ReferralStatus.SENT, (ReferralStatus.PROPOSED,), Side.SENDING,
             _l("Send to the receiving centre")),
        Step(ReferralStatus.ACCEPTED, (ReferralStatus.SENT,), Side.RECEIVING, _l("Accept")),
        Step(ReferralStatus.DECLINED, (ReferralStatus.SENT,), Side.RECEIVING, _l("Decline"),
             note_required=True),
        Step(ReferralStatus.UNDER_EVALUATION, (ReferralStatus.ACCEPTED,), Side.RECEIVING,
             _l("Start evaluation / protocol"), needs_studies=True),
        Step(ReferralStatus.SCHEDULED, (ReferralStatus.ACCEPTED,
                                        ReferralStatus.UNDER_EVALUATION), Side.RECEIVING,
             _l("Schedule"), needs_date=True),
        Step(ReferralStatus.COMPLETED, (ReferralStatus.SCHEDULED,), Side.RECEIVING,
             _l("Mark completed")),
        Step(ReferralStatus.CANCELLED, OPEN_STATUSES, Side.SENDING, _l("Cancel the referral"),
             note_required=True),
    )
}  # fmt: skip


# --- suggestions ----------------------------------------------------------------------


def suggest_centres(
    needs: list[str] | tuple[str, ...],
    *,
    exclude_centre_id: int | None,
    transplant: bool,
) -> list[Centre]:
    """Active centres whose resolving capacity covers every need, the case's own excluded.

    For a transplant, external partners with a transplant unit (HITO) come first; then the
    rest by kind and name.
    """
    unknown = [need for need in needs if need not in CAPABILITY_FLAGS]
    if unknown:
        raise ValueError(f"unknown capability flags: {unknown}")
    query = select(Centre).where(Centre.active.is_(True))
    for need in needs:
        query = query.where(getattr(Centre, need).is_(True))
    if exclude_centre_id is not None:
        query = query.where(Centre.id != exclude_centre_id)
    kind_rank = case({kind.value: rank for rank, kind in enumerate(KIND_ORDER)},
                     value=Centre.kind, else_=len(KIND_ORDER))  # fmt: skip
    order = [kind_rank, Centre.name, Centre.id]
    if transplant or TRANSPLANT_UNIT in needs:
        partner_first = case(
            (
                (Centre.kind == CentreKind.EXTERNAL_PARTNER.value)
                & Centre.has_transplant_unit.is_(True),
                0,
            ),
            else_=1,
        )
        order.insert(0, partner_first)
    return list(db.session.scalars(query.order_by(*order)))


def effective_needs(needs: list[str], transplant_type: TransplantType | None) -> list[str]:
    """The needs in canonical order; a transplant type implies a transplant unit."""
    if transplant_type is not None:
        needs = [*needs, TRANSPLANT_UNIT]
    return dedupe(needs)


def has_active_referral(recommendation: Recommendation) -> bool:
    return any(r.status in ACTIVE_STATUSES for r in recommendation.referrals)


# --- creating -------------------------------------------------------------------------


def create_referral(actor: User, recommendation: Recommendation, data: dict[str, Any]) -> Referral:
    """Refer the patient of a recommendation's case; sent at once if ``send`` is true.

    The receiving centre must be active, another centre, and cover every need.
    """
    if not can_refer(actor, recommendation):
        raise Forbidden(_("Only the board's members and coordinators can refer a patient."))
    values = load_or_raise(ReferralInputSchema(), data)
    case_ = recommendation.case
    if has_active_referral(recommendation):
        raise InvalidTransition(_("This recommendation already has a referral."))
    transplant_type: TransplantType | None = values["transplant_type"]
    needs = effective_needs(values["needs"], transplant_type)
    centre = receiving_centre(values["to_centre_id"], case_, needs)
    referral = Referral(
        case=case_,
        recommendation=recommendation,
        board_id=case_board_id(case_, recommendation),
        from_centre_id=case_.centre_id,
        to_centre=centre,
        needs=needs,
        transplant_type=transplant_type,
        reason=values["reason"],
        status=ReferralStatus.PROPOSED,
        created_by_id=actor.id,
        created_at=now_utc(),
        updated_at=now_utc(),
    )
    db.session.add(referral)
    db.session.flush()
    record_step(actor, referral, None, ReferralStatus.PROPOSED, None)
    add_event(case_, actor, "referral", None, None, event_message(referral))
    audit.record(
        actor, "referral.create", "referral", referral.id, case=case_.code,
        to_centre=centre.code, needs=needs,
        transplant_type=transplant_type.value if transplant_type else None,
    )  # fmt: skip
    if values["send"]:
        apply_step(actor, referral, STEPS[ReferralStatus.SENT], {"note": None})
    db.session.flush()
    return referral


def receiving_centre(centre_id: int, case_: Case, needs: list[str]) -> Centre:
    centre = db.session.get(Centre, centre_id)
    if centre is None or not centre.active:
        raise InputError({"to_centre_id": [_("Choose an active centre.")]})
    if centre.id == case_.centre_id:
        raise InputError({"to_centre_id": [_("Choose a centre other than the case's own.")]})
    missing = [need for need in needs if not getattr(centre, need)]
    if missing:
        names = ", ".join(str(CAPABILITY_LABELS[need]) for need in missing)
        raise InputError({"to_centre_id": [
            _("%(centre)s cannot resolve this case: it has no %(missing)s.",
              centre=centre.name, missing=names)
        ]})  # fmt: skip
    return centre


# --- steps ----------------------------------------------------------------------------


def sides_of(actor: User, referral: Referral) -> set[Side]:
    sides = set()
    if acts_for_sender(actor, referral):
        sides.add(Side.SENDING)
    if acts_for_receiver(actor, referral):
        sides.add(Side.RECEIVING)
    return sides


def available_steps(actor: User, referral: Referral) -> list[Step]:
    """The steps this user can take on this referral now (for buttons and the API)."""
    sides = sides_of(actor, referral)
    return [s for s in STEPS.values() if referral.status in s.sources and s.side in sides]


def can_add_note(actor: User, referral: Referral) -> bool:
    return bool(sides_of(actor, referral))


def change_status(actor: User, referral: Referral, data: dict[str, Any]) -> Referral:
    """Take one step of the workflow; illegal steps are refused with a readable message."""
    values = load_or_raise(ReferralStepInputSchema(), data)
    step = STEPS[ReferralStatus(values["status"])]
    apply_step(actor, referral, step, values)
    db.session.flush()
    return referral


def apply_step(actor: User, referral: Referral, step: Step, values: dict[str, Any]) -> None:
    if step.side not in sides_of(actor, referral):
        if step.side is Side.SENDING:
            raise Forbidden(_("Only the referring centre and the board can take this step."))
        raise Forbidden(_("Only the receiving centre can take this step."))
    if referral.status not in step.sources:
        raise InvalidTransition(
            _("This referral is %(status)s, so it cannot be moved to %(target)s.",
              status=str(REFERRAL_STATUS_LABELS[referral.status]),
              target=str(REFERRAL_STATUS_LABELS[step.target]))
        )  # fmt: skip
    note = (values.get("note") or "").strip() or None
    check_step_fields(referral, step, values, note)
    if step.needs_date:
        referral.scheduled_for = values["scheduled_for"]
    if step.needs_studies:
        referral.pending_studies = values["pending_studies"]
    previous = referral.status
    referral.status = step.target
    referral.updated_at = now_utc()
    if step.target is ReferralStatus.COMPLETED:
        referral.completed_at = referral.updated_at
    record_step(actor, referral, previous, step.target, note)
    add_event(referral.case, actor, "referral", None, None, event_message(referral))
    audit.record(
        actor, f"referral.{step.target.value}", "referral", referral.id,
        case=referral.case.code, from_status=previous.value, to_status=step.target.value,
    )  # fmt: skip
    announce(actor, referral, step.side)


def check_step_fields(
    referral: Referral, step: Step, values: dict[str, Any], note: str | None
) -> None:
    errors: dict[str, list[str]] = {}
    if step.note_required and not note:
        errors["note"] = [_("Please write the reason.")]
    scheduled_for: date | None = values.get("scheduled_for")
    if step.needs_date:
        if scheduled_for is None:
            errors["scheduled_for"] = [_("Choose the date.")]
        elif scheduled_for < today_at(referral.to_centre):
            errors["scheduled_for"] = [_("The date is in the past.")]
    elif scheduled_for is not None:
        errors["scheduled_for"] = [_("Only scheduling takes a date.")]
    studies = (values.get("pending_studies") or "").strip()
    if step.needs_studies:
        if not studies:
            errors["pending_studies"] = [_("Write which studies are pending.")]
        values["pending_studies"] = studies
    elif studies:
        errors["pending_studies"] = [_("Only the evaluation step records pending studies.")]
    if errors:
        raise InputError(errors)


def add_note(actor: User, referral: Referral, data: dict[str, Any]) -> ReferralStep:
    """A dated note from either side; the status does not change."""
    if not can_add_note(actor, referral):
        raise Forbidden(_("Only the referring and the receiving centre can add notes."))
    values = load_or_raise(ReferralNoteInputSchema(), data)
    referral.updated_at = now_utc()
    step = record_step(actor, referral, None, None, values["note"])
    audit.record(actor, "referral.note", "referral", referral.id, case=referral.case.code)
    sides = sides_of(actor, referral)
    side = Side.RECEIVING if Side.RECEIVING in sides else Side.SENDING
    announce(actor, referral, side, note=True)
    db.session.flush()
    return step


def record_step(
    actor: User,
    referral: Referral,
    from_status: ReferralStatus | None,
    to_status: ReferralStatus | None,
    note: str | None,
) -> ReferralStep:
    step = ReferralStep(
        referral=referral,
        at=now_utc(),
        actor_id=actor.id,
        from_status=from_status.value if from_status else None,
        to_status=to_status.value if to_status else None,
        note=note,
    )
    db.session.add(step)
    db.session.flush()
    return step


def event_message(referral: Referral) -> str:
    """For the case's timeline: status and receiving centre, in the service's language."""
    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
        return f"{REFERRAL_STATUS_LABELS[referral.status]} — {referral.to_centre.name}"


def today_at(centre: Centre) -> date:
    return now_utc().astimezone(ZoneInfo(centre.timezone)).date()


def announce(actor: User, referral: Referral, side: Side, *, note: bool = False) -> None:
    """A step or note of one side is news for the other side."""
    if side is Side.SENDING:
        notices.to_receiving_centre(actor, referral, note=note)
    else:
        notices.to_referring_doctor(actor, referral, note=note)


# --- reading --------------------------------------------------------------------------


def record_view(actor: User, referral: Referral) -> None:
    """The referral shows a case summary: reads are audited."""
    audit.record(actor, "referral.view", "referral", referral.id, case=referral.case.code)
    db.session.flush()


def parse_list_query(args: Any) -> dict[str, Any]:
    return load_or_raise(ReferralListQuerySchema(), dict(args))


def listed(actor: User, filters: dict[str, Any]) -> Select[Referral]:
    """The referrals ``actor`` may see, filtered, most recently changed first."""
    query = visible_referrals(actor)
    if filters.get("status") is not None:
        query = query.where(Referral.status == filters["status"])
    direction = filters.get("direction")
    if direction and actor.centre_id is not None:
        column = Referral.to_centre_id if direction == "incoming" else Referral.from_centre_id
        query = query.where(column == actor.centre_id)
    return query.order_by(Referral.updated_at.desc(), Referral.id.desc())


def list_referrals(actor: User, filters: dict[str, Any]) -> Pagination:
    return db.paginate(
        listed(actor, filters),
        page=filters.get("page", 1),
        per_page=filters.get("per_page") or current_app.config["PAGE_SIZE"],
        error_out=False, count=True,
    )  # fmt: skip


def case_referrals(case_: Case) -> list[Referral]:
    return list(
        db.session.scalars(
            select(Referral).where(Referral.case_id == case_.id).order_by(Referral.id)
        )
    )


def open_referrals_before(session: BoardSession) -> list[Referral]:
    """For a session's follow-up: the board's referrals made before it and still open."""
    return list(
        db.session.scalars(
            select(Referral)
            .where(
                Referral.board_id == session.board_id,
                Referral.status.in_(OPEN_STATUSES),
                Referral.created_at < session.starts_at,
            )
            .order_by(Referral.created_at, Referral.id)
        )
    )
