"""Case operations: create, edit, move through the lifecycle, attach files, list.

Views, API endpoints and CLI commands call these; they own validation, permissions,
the transaction and the audit trail.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import filetype
from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select

from telemed.audit import service as audit
from telemed.auth.models import User
from telemed.cases import storage
from telemed.cases.access import is_case_centre_doctor
from telemed.cases.labels import STATUS_LABELS
from telemed.cases.models import Attachment, Case, CaseEvent, CaseStatus
from telemed.cases.schemas import (
    CASE_FIELDS,
    DRAFT_OPTIONAL,
    AttachmentMaterialSchema,
    CaseInputSchema,
    CaseListQuerySchema,
    TransitionInputSchema,
)
from telemed.cases.signals import case_transitioned
from telemed.core.clock import local_day_start, now_utc
from telemed.core.errors import Forbidden, InputError, InvalidTransition
from telemed.core.schemas import as_id, load_or_raise, load_valid_part
from telemed.core.vocabulary import MaterialKind
from telemed.extensions import db

ALLOWED_CONTENT_TYPES = {
    "application/pdf": "pdf",
    "image/jpeg": "jpg",
    "image/png": "png",
}
EDITABLE_STATUSES = (CaseStatus.DRAFT, CaseStatus.RETURNED)
OPEN_STATUSES = (
    CaseStatus.DRAFT,
    CaseStatus.SUBMITTED,
    CaseStatus.RETURNED,
    CaseStatus.RESUBMITTED,
    CaseStatus.ACCEPTED,
    CaseStatus.SCHEDULED,
    CaseStatus.DISCUSSED,
    CaseStatus.RECOMMENDATION_ISSUED,
)
# A case may be withdrawn until the board has discussed it; after that it is closed (or
# followed up), so its record keeps the discussion it had.
WITHDRAWABLE_STATUSES = (
    CaseStatus.DRAFT,
    CaseStatus.SUBMITTED,
    CaseStatus.RETURNED,
    CaseStatus.RESUBMITTED,
    CaseStatus.ACCEPTED,
    CaseStatus.SCHEDULED,
)


@dataclass(frozen=True)
class Action:
    """A lifecycle step: from which statuses, to which, by whom, and whether it needs words."""

    name: str
    sources: tuple[CaseStatus, ...]
    target: CaseStatus
    by_centre: bool
    by_staff: bool
    message_required: bool
    label: Any


ACTIONS: dict[str, Action] = {
    action.name: action
    for action in (
        Action("submit", (CaseStatus.DRAFT,), CaseStatus.SUBMITTED, True, False, False,
               _l("Submit")),
        Action("accept", (CaseStatus.SUBMITTED, CaseStatus.RESUBMITTED), CaseStatus.ACCEPTED,
               False, True, False, _l("Accept")),
        Action("return", (CaseStatus.SUBMITTED, CaseStatus.RESUBMITTED), CaseStatus.RETURNED,
               False, True, True, _l("Return with a question")),
        Action("resubmit", (CaseStatus.RETURNED,), CaseStatus.RESUBMITTED, True, False, True,
               _l("Answer and resubmit")),
        Action("withdraw", WITHDRAWABLE_STATUSES, CaseStatus.WITHDRAWN, True, True, True,
               _l("Withdraw")),
        Action("close", (CaseStatus.ACCEPTED, CaseStatus.DISCUSSED,
                         CaseStatus.RECOMMENDATION_ISSUED), CaseStatus.CLOSED, False, True, False,
               _l("Close")),
        # A case is followed up session after session: back to scheduling until closed.
        Action("follow_up", (CaseStatus.DISCUSSED, CaseStatus.RECOMMENDATION_ISSUED),
               CaseStatus.ACCEPTED, False, True, False, _l("Schedule a follow-up")),
    )
}  # fmt: skip


def create_case(
    actor: User,
    data: dict[str, Any],
    *,
    submit: bool = False,
    files: Sequence[tuple[str, bytes]] = (),
    material: Any = None,
) -> Case:
    """Create a case for the actor's centre, as a draft or submitted straight away.

    Everything (fields, files and their kind of material) is checked before anything is
    written.
    """
    if not actor.is_referring or actor.centre_id is None:
        raise Forbidden(_("Only referring doctors of a centre can send cases."))
    values = load_or_raise(CaseInputSchema(), data, partial=() if submit else DRAFT_OPTIONAL)
    check_deadline(values, actor)
    kind = parse_material(material)
    uploads = [prepare_upload(name, content) for name, content in files]
    case = Case(
        centre_id=actor.centre_id,
        submitted_by_id=actor.id,
        status=CaseStatus.DRAFT,
        **values,
    )
    db.session.add(case)
    db.session.flush()
    add_event(case, actor, "created", None, CaseStatus.DRAFT)
    audit.record(actor, "case.create", "case", case.id, code=case.code)
    for upload in uploads:
        attach(actor, case, upload, kind)
    if submit:
        apply_action(actor, case, ACTIONS["submit"], None)
    db.session.flush()
    return case


def update_case(actor: User, case: Case, data: dict[str, Any]) -> Case:
    """Edit a draft or a returned case; only its centre's referring doctors may."""
    if not is_case_centre_doctor(actor, case):
        raise Forbidden(_("Only the referring doctors of this case's centre can edit it."))
    if case.status not in EDITABLE_STATUSES:
        raise InvalidTransition(_("A case can only be edited while it is a draft or returned."))
    schema = CaseInputSchema()
    # An edit (form or PATCH) changes the fields given; the rest stay as they are.
    values = load_or_raise(schema, data, partial=CASE_FIELDS)
    values.update(cleared_fields(schema, data, draft=case.status is CaseStatus.DRAFT))
    check_deadline(values, actor)
    changed = sorted(k for k, v in values.items() if getattr(case, k) != v)
    for key, value in values.items():
        setattr(case, key, value)
    if case.status is not CaseStatus.DRAFT:
        check_complete(case)
    if changed:
        add_event(case, actor, "updated", None, None)
        audit.record(actor, "case.update", "case", case.id, code=case.code, fields=changed)
    db.session.flush()
    return case


def cleared_fields(schema: CaseInputSchema, data: dict[str, Any], *, draft: bool) -> dict[str, Any]:
    """Required fields sent blank: a draft forgets them, a returned case refuses them."""
    blank = [
        name
        for name, value in data.items()
        if name in schema.fields
        and schema.fields[name].required
        and (value is None or (isinstance(value, str) and not value.strip()))
    ]
    refused = [name for name in blank if not draft or name == "patient_reference"]
    if refused:
        raise InputError({name: [_("This field is required.")] for name in refused})
    return {name: None for name in blank}


def transition(actor: User, case: Case, action_name: str, message: str | None = None) -> Case:
    """Move a case through its lifecycle, refusing illegal steps with a clear message."""
    action = ACTIONS.get(action_name)
    if action is None:
        raise InvalidTransition(_("Unknown action."))
    # The page's box is held to the API's limits (length, no NUL) before anything changes.
    message = load_or_raise(TransitionInputSchema(), {"message": message})["message"]
    apply_action(actor, case, action, message)
    db.session.flush()
    return case


def apply_action(actor: User, case: Case, action: Action, message: str | None) -> None:
    if not may_perform(actor, case, action):
        raise Forbidden(_("You are not allowed to take this step on this case."))
    if case.status not in action.sources:
        raise InvalidTransition(
            _(
                "This case is %(status)s, so this step is not available.",
                status=str(status_label(case.status)),
            )
        )
    message = (message or "").strip() or None
    if action.message_required and not message:
        raise InputError({"message": [_("Please write the reason or the question.")]})
    if action.target in (CaseStatus.SUBMITTED, CaseStatus.RESUBMITTED):
        check_complete(case)
        check_deadline({"clinical_deadline": case.clinical_deadline}, actor)
        case.submitted_at = case.submitted_at or now_utc()
    if action.target is CaseStatus.ACCEPTED and case.accepted_at is None:
        case.accepted_at = now_utc()
    previous = case.status
    case.status = action.target
    add_event(case, actor, action.name, previous, action.target, message)
    case_transitioned.send(case, actor=actor, previous=previous)
    audit.record(
        actor, f"case.{action.name}", "case", case.id, code=case.code,
        from_status=previous.value, to_status=action.target.value,
    )  # fmt: skip


def may_perform(actor: User, case: Case, action: Action) -> bool:
    return (action.by_centre and is_case_centre_doctor(actor, case)) or (
        action.by_staff and actor.is_staff
    )


def available_actions(actor: User, case: Case) -> list[Action]:
    """The steps this user can take on this case now (for buttons and the API)."""
    return [
        action
        for action in ACTIONS.values()
        if case.status in action.sources and may_perform(actor, case, action)
    ]


def check_complete(case: Case) -> None:
    """Refuse to send a case that lacks anything the board needs."""
    schema = CaseInputSchema()
    current = {key: value for key, value in schema.dump(case).items() if value is not None}
    load_or_raise(schema, current)


def check_deadline(values: dict[str, Any], actor: User) -> None:
    deadline = values.get("clinical_deadline")
    if deadline is not None and deadline < today_for(actor):
        raise InputError({"clinical_deadline": [_("The clinical deadline is in the past.")]})


def today_for(user: User) -> date:
    return now_utc().astimezone(ZoneInfo(user.display_timezone)).date()


def add_event(
    case: Case,
    actor: User | None,
    kind: str,
    from_status: CaseStatus | None,
    to_status: CaseStatus | None,
    message: str | None = None,
) -> CaseEvent:
    event = CaseEvent(
        case=case,
        actor_id=actor.id if actor else None,
        kind=kind,
        from_status=from_status.value if from_status else None,
        to_status=to_status.value if to_status else None,
        message=message,
        at=now_utc(),
    )
    db.session.add(event)
    return event


@dataclass(frozen=True)
class Upload:
    """A file that passed the checks and may be attached."""

    filename: str
    content_type: str
    content: bytes


def prepare_upload(filename: str, content: bytes) -> Upload:
    """Check the real content type (not the extension) and the size."""
    if not content:
        raise InputError({"file": [_("The file is empty.")]})
    limit = current_app.config["MAX_ATTACHMENT_BYTES"]
    if len(content) > limit:
        raise InputError(
            {"file": [_("The file is larger than %(mb)d MB.", mb=limit // (1024 * 1024))]}
        )
    kind = filetype.guess(content)
    if kind is None or kind.mime not in ALLOWED_CONTENT_TYPES:
        raise InputError({"file": [_("Only PDF, JPEG and PNG files are accepted.")]})
    return Upload(clean_filename(filename, ALLOWED_CONTENT_TYPES[kind.mime]), kind.mime, content)


def add_attachments(
    actor: User, case: Case, files: Sequence[tuple[str, bytes]], material: Any = None
) -> list[Attachment]:
    """Attach checked files to an open case the actor may change: all of them or none.

    ``material`` (a ``MaterialKind`` value or blank) says what the files of this upload are.
    """
    require_attachment_editor(actor, case)
    kind = parse_material(material)
    if not files:
        raise InputError({"file": [_("Choose a file.")]})
    uploads = [prepare_upload(name, content) for name, content in files]
    attachments = [attach(actor, case, upload, kind) for upload in uploads]
    db.session.flush()
    return attachments


def require_attachment_editor(actor: User, case: Case) -> None:
    """The case centre's referring doctors and staff change the files of an open case."""
    if not (is_case_centre_doctor(actor, case) or actor.is_staff):
        raise Forbidden(_("You cannot add files to this case."))
    if case.status not in OPEN_STATUSES:
        raise InvalidTransition(_("Files cannot be added to a closed or withdrawn case."))


def parse_material(material: Any) -> MaterialKind | None:
    """A kind of material from a form or JSON value; unknown values are a field error."""
    if isinstance(material, MaterialKind) or material is None:
        return material
    values = load_or_raise(AttachmentMaterialSchema(), {"material": material})
    kind: MaterialKind | None = values["material"]
    return kind


def set_material(actor: User, attachment: Attachment, data: dict[str, Any]) -> Attachment:
    """Say (or correct) what an attachment is, so the board can tell what is missing."""
    case = attachment.case
    require_attachment_editor(actor, case)
    values = load_or_raise(AttachmentMaterialSchema(), data)
    before = attachment.material
    if before is not values["material"]:
        attachment.material = values["material"]
        audit.record(
            actor, "attachment.material", "attachment", attachment.id, case=case.code,
            before=before.value if before else None,
            after=attachment.material.value if attachment.material else None,
        )  # fmt: skip
    db.session.flush()
    return attachment


def attach(
    actor: User, case: Case, upload: Upload, material: MaterialKind | None = None
) -> Attachment:
    """Store the bytes by hash and add the attachment to the current transaction."""
    attachment = Attachment(
        case=case,
        filename=upload.filename,
        content_type=upload.content_type,
        size=len(upload.content),
        sha256=storage.store(upload.content),
        material=material,
        uploaded_by_id=actor.id,
        uploaded_at=now_utc(),
    )
    db.session.add(attachment)
    db.session.flush()
    add_event(case, actor, "attachment_added", None, None)
    audit.record(
        actor, "attachment.create", "attachment", attachment.id, case=case.code,
        material=material.value if material else None,
    )  # fmt: skip
    return attachment


def clean_filename(filename: str, extension: str) -> str:
    """Keep a readable name without path parts or control characters; fix the extension."""
    base = re.split(r"[\\/]", filename or "")[-1]
    base = re.sub(r"[\x00-\x1f\x7f\"]", "", base).strip(" .") or "archivo"
    stem = base.rsplit(".", 1)[0] if "." in base else base
    return f"{stem[:200]}.{extension}"


def record_view(actor: User, case: Case) -> None:
    """Reads of patient data are audited."""
    audit.record(actor, "case.view", "case", case.id, code=case.code)
    db.session.flush()


def record_download(actor: User, attachment: Attachment) -> None:
    audit.record(
        actor, "attachment.download", "attachment", attachment.id, case=attachment.case.code
    )
    db.session.flush()


# One instance for every request: building the schema (its fields copied and bound) cost
# more than loading a query with it.
LIST_QUERY = CaseListQuerySchema()


def parse_list_query(args: Any) -> dict[str, Any]:
    return load_or_raise(LIST_QUERY, dict(args))


def parse_list_filters(args: Any) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """The list page's filters: the valid ones, and the errors of the others (shown beside
    them; the API refuses the whole query instead)."""
    return load_valid_part(LIST_QUERY, dict(args))


def filtered(query: Select[Case], filters: dict[str, Any], actor: User) -> Select[Case]:
    for name in ("status", "centre_id", "specialty", "urgency"):
        if filters.get(name) is not None:
            query = query.where(getattr(Case, name) == filters[name])
    zone = ZoneInfo(actor.display_timezone)
    if filters.get("date_from"):
        query = query.where(Case.created_at >= local_day_start(filters["date_from"], zone))
    if filters.get("date_to"):
        next_day = filters["date_to"] + timedelta(days=1)
        query = query.where(Case.created_at < local_day_start(next_day, zone))
    if filters.get("q"):
        number = re.sub(r"\D", "", filters["q"])
        try:
            query = query.where(Case.id == as_id(number))
        except ValueError:  # no digits, or a number no id can be: no case
            query = query.where(Case.id < 0)
    return query


def status_label(status: CaseStatus) -> Any:
    return STATUS_LABELS[status]
