"""Helpers for the referral and agreement scenarios: the centres a case can be referred to
(HITO with its transplant unit, UMAEs, an OncoCREAN with radiotherapy), their doctors, a
recommendation recorded on a discussed agenda entry (h1 records them in the room; here the
row is written directly), and a partial rendered as a given user would see it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask, g, render_template
from flask_login import login_user
from sqlalchemy import func, select

from telemed.agreements.models import Agreement
from telemed.audit.models import AuditEntry
from telemed.auth.models import Role, User
from telemed.cases.models import Case, CaseEvent
from telemed.centres.models import CAPABILITY_FLAGS, Centre, CentreKind
from telemed.core.clock import now_utc
from telemed.extensions import db
from telemed.outbox.models import OutboxMessage
from telemed.referrals.models import Referral, ReferralStep
from telemed.room.models import Recommendation, RecommendationCategory
from telemed.sessions.models import AgendaItem, BoardSession, ItemOutcome
from telemed.sessions.service import mark_discussed

ALL_FLAGS = frozenset(CAPABILITY_FLAGS)
ALL_BUT_TRANSPLANT = ALL_FLAGS - {"has_transplant_unit"}


def flags(names: frozenset[str] | set[str]) -> dict[str, bool]:
    return {flag: flag in names for flag in CAPABILITY_FLAGS}


@pytest.fixture
def network(make_centre: Callable[..., Centre], centre: Centre) -> dict[str, Centre]:
    """The centres of the scenarios. The case's own centre (Tijuana) could resolve anything,
    so it must be left out by the suggestions themselves."""
    for name, value in flags(ALL_FLAGS).items():
        setattr(centre, name, value)
    db.session.commit()
    made = {
        "hito": make_centre(code="HITO", name="Hospital Infantil Teletón de Oncología",
                            kind=CentreKind.EXTERNAL_PARTNER, state="Querétaro",
                            city="Querétaro",
                            **flags({"has_ct", "has_mri", "has_blood_bank",
                                     "has_linear_accelerator", "has_paediatric_icu",
                                     "has_transplant_unit"})),
        "la_raza": make_centre(code="UMAE-LR", name="CMN La Raza, Hospital General",
                               kind=CentreKind.UMAE, state="Ciudad de México",
                               city="Ciudad de México", **flags(ALL_BUT_TRANSPLANT)),
        "siglo_xxi": make_centre(code="UMAE-SXXI", name="CMN Siglo XXI, Hospital de Pediatría",
                                 kind=CentreKind.UMAE, state="Ciudad de México",
                                 city="Ciudad de México", **flags(ALL_FLAGS)),
        "aguascalientes": make_centre(code="OC-AGS", name="HGZ No. 1 Aguascalientes",
                                      kind=CentreKind.ONCOCREAN, state="Aguascalientes",
                                      **flags({"has_ct", "has_mri", "has_linear_accelerator",
                                               "has_neurosurgery"})),
        "ensenada": make_centre(code="OC-ENS", name="HGZ No. 8 Ensenada",
                                kind=CentreKind.ONCOCREAN, state="Baja California",
                                timezone="America/Tijuana",
                                **flags({"has_ct", "has_blood_bank"})),
        "closed": make_centre(code="OLD-01", name="Centro cerrado", kind=CentreKind.UMAE,
                              active=False, **flags(ALL_FLAGS)),
    }  # fmt: skip
    made["tijuana"] = centre
    return made


@pytest.fixture
def hito_doctor(make_user: Callable[..., User], network: dict[str, Centre]) -> User:
    return make_user(Role.REFERRING, centre_id=network["hito"].id, email="trasplante@hito.test",
                     name="Dra. Receptora HITO")  # fmt: skip


@pytest.fixture
def hito_colleague(make_user: Callable[..., User], network: dict[str, Centre]) -> User:
    return make_user(Role.REFERRING, centre_id=network["hito"].id, email="colega@hito.test")


def item_of(session: BoardSession, case: Case) -> AgendaItem:
    return next(item for item in session.items if item.case_id == case.id)


def recommend(
    session: BoardSession,
    case: Case,
    by: User,
    *,
    text: str = "Candidata a trasplante haploidéntico; referir a HITO.",
    category: RecommendationCategory = RecommendationCategory.REFERRAL,
    discuss_as: User | None = None,
) -> Recommendation:
    """A recommendation on the case's agenda entry, discussed first if still pending."""
    item = item_of(session, case)
    if item.outcome is ItemOutcome.PENDING:
        assert discuss_as is not None, "a pending entry needs a staff user to discuss it"
        mark_discussed(discuss_as, item)
    recommendation = Recommendation(
        case_id=case.id, session_id=session.id, agenda_item_id=item.id, category=category,
        text=text, consensus=True, responsible="Oncología pediátrica, HGR No. 1 Tijuana",
        recorded_by_id=by.id, recorded_at=now_utc(),
    )  # fmt: skip
    db.session.add(recommendation)
    db.session.commit()
    return recommendation


def render_as(app: Flask, user: User, template: str, **context: Any) -> str:
    """A partial as ``user`` sees it (in English), outside any page that includes it."""
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        g.__dict__.clear()
        login_user(user)
        html = render_template(template, **context)
    g.__dict__.clear()
    return html


def counts() -> dict[str, int]:
    """Rows a refused request must not add to (logins and reads of pages aside)."""
    db.session.expire_all()
    found = {
        model.__name__: db.session.scalar(select(func.count()).select_from(model)) or 0
        for model in (Referral, ReferralStep, Agreement, OutboxMessage, CaseEvent)
    }
    changes = select(func.count(AuditEntry.id)).where(
        AuditEntry.action.not_like("%.view"), AuditEntry.action.not_like("auth.%")
    )
    found["changes audited"] = db.session.scalar(changes) or 0
    return found


def audit_actions(object_type: str, object_id: int | None = None) -> list[str]:
    query = select(AuditEntry.action).where(AuditEntry.object_type == object_type)
    if object_id is not None:
        query = query.where(AuditEntry.object_id == object_id)
    return list(db.session.scalars(query.order_by(AuditEntry.id)))


def mails_to(user: User, kind: str | None = None) -> list[OutboxMessage]:
    query = select(OutboxMessage).where(OutboxMessage.to_user_id == user.id)
    if kind is not None:
        query = query.where(OutboxMessage.kind == kind)
    return list(db.session.scalars(query.order_by(OutboxMessage.id)))
