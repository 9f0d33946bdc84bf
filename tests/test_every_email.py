"""Every email the service sends, rendered from ``templates/emails/`` through the notification
helper, names cases by their codes only and links only to the configured public address.

The kinds are read from the folder, so a new template is checked the day it is added. Each is
rendered for a case whose patient data and clinical texts carry a marker no legitimate text
contains, in Spanish and in English, from a job and from a request whose Host header is forged.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, nullcontext
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from telemed.agreements.models import Agreement
from telemed.auth.labels import DISCIPLINE_LABELS
from telemed.auth.models import Discipline, Role, User
from telemed.boards.models import Board
from telemed.cases.models import Case
from telemed.centres.models import Centre
from telemed.core.clock import Clock
from telemed.core.vocabulary import MATERIAL_LABELS, MaterialKind
from telemed.extensions import db
from telemed.invites.rsvp_links import ANSWER_LABELS, ANSWERS, rsvp_url
from telemed.minutes.notices import session_date
from telemed.outbox.models import OutboxMessage
from telemed.outbox.notify import notify
from telemed.referrals.labels import REFERRAL_STATUS_LABELS
from telemed.referrals.models import Referral, ReferralStatus
from telemed.sessions.assignment import assign_cases
from telemed.sessions.labels import FLAG_LABELS
from telemed.sessions.models import (
    AttendeeRole,
    BoardSession,
    FlagReason,
    PartStat,
    SessionAttendee,
)
from telemed.sessions.order_of_business import outline
from telemed.sessions.service import close_due_agendas
from tests.conftest import base_url, committed
from tests.scenes.referrals import recommend
from tests.scenes.session import item_for
from tests.scenes.times import technical_times, visible_text

EMAILS = Path(__file__).resolve().parents[1] / "templates" / "emails"
# Layouts and shared pieces start with "_" or are the base layouts: not kinds of their own.
KINDS = sorted(
    path.stem
    for path in EMAILS.glob("*.txt")
    if not path.name.startswith("_") and path.stem != "base"
)

REFERENCE = "NSS-ZQX-55118822"
PRIVATE = {
    "patient_reference": REFERENCE,
    "diagnosis_text": "Neuroblastoma suprarrenal ZQXDIAG",
    "stage": "Estadio IV ZQXSTAGE",
    "current_treatment": "Inducción COJEC ZQXTREAT",
    "question": "¿Candidato a MIBG terapéutica ZQXQUESTION?",
    "age_years": 6,
    "age_months": 9,
}
RECOMMENDATION = "Consolidar con trasplante autólogo ZQXRECOMMENDATION"
AGREEMENT = "Solicitar gammagrama ZQXAGREEMENT"
REFERRAL_REASON = "Trasplante autólogo ZQXREFERRAL"
MARKERS = (REFERENCE, "55118822", "ZQX", "Neuroblastoma", "COJEC", "MIBG", "gammagrama")
AGE = re.compile(r"\b(6\s*(años|years)|9\s*(meses|months)|edad\s*:|age\s*:)", re.IGNORECASE)
URL = re.compile(r"""https?://[^\s"'<>)]+""")
HREF = re.compile(r"""href="([^"]*)\"""")
FORGED_HOST = "https://phishing.example:8443/telemed"


def test_every_kind_has_a_text_and_an_html_template() -> None:
    html = {p.stem for p in EMAILS.glob("*.html") if not p.name.startswith("_")} - {"base"}
    assert len(KINDS) >= 17  # the folder was read (the notices of this service)
    assert set(KINDS) == html


@pytest.fixture
def world(
    board: Board,
    first: BoardSession,
    radiologist: User,
    accepted: Callable[..., Case],
    referring: User,
    coordinator: User,
    chair: User,
    centre: Centre,
    other_centre: Centre,
    clock: Clock,
) -> dict[str, Any]:
    """Everything an email may speak of, around a case with private details on the first
    session's closed agenda: its entry, recommendation, referral, an agreement, a flag, an
    attendee's answer links."""
    case = accepted(**PRIVATE)
    committed(assign_cases())
    clock.set(first.cutoff_at)
    committed(close_due_agendas())
    clock.set(first.starts_at)
    item = item_for(first, case)
    recommendation = recommend(first, case, chair, text=RECOMMENDATION, discuss_as=coordinator)
    referral = Referral(
        case_id=case.id, recommendation_id=recommendation.id, board_id=board.id,
        from_centre_id=centre.id, to_centre_id=other_centre.id, reason=REFERRAL_REASON,
        pending_studies=PRIVATE["stage"], status=ReferralStatus.SENT, created_by_id=chair.id,
    )  # fmt: skip
    agreement = Agreement(
        board_id=board.id, session_id=first.id, case_id=case.id, text=AGREEMENT,
        owner_id=chair.id, due_date=date(2026, 3, 12), created_by_id=coordinator.id,
    )  # fmt: skip
    attendee = SessionAttendee(
        session_id=first.id, user_id=referring.id, role=AttendeeRole.REQUIRED,
        reason="referring", partstat=PartStat.NEEDS_ACTION, active=True,
    )  # fmt: skip
    db.session.add_all([referral, agreement, attendee])
    db.session.commit()
    return {
        "session": first,
        "board": board,
        "case": case,
        "item": item,
        "agenda_code": item.agenda_code,
        "agenda_codes": [item.agenda_code],
        "sections": outline(first),
        "codes": [case.code],
        "flags": [(case.code, FLAG_LABELS[FlagReason.DEADLINE], None)],
        "more": 0,
        "missing": [MATERIAL_LABELS[MaterialKind.PATHOLOGY_REPORT]],
        "day": session_date(first),
        "agreement": agreement,
        "referral": referral,
        "status": REFERRAL_STATUS_LABELS[referral.status],
        "note": False,
        "newly_sent": True,
        "disciplines": [DISCIPLINE_LABELS[Discipline.RADIOLOGY]],
        "hours": 24,
        "answers": [(ANSWER_LABELS[p], rsvp_url(attendee, p)) for p in ANSWERS],
    }


def where(app: Flask, place: str) -> AbstractContextManager[Any]:
    """A job (no request), or a request that came in with a forged Host and scheme."""
    if place == "job":
        return nullcontext()
    return app.test_request_context("/", base_url=FORGED_HOST)


def rendered(kind: str, user: User, context: dict[str, Any]) -> Iterator[tuple[str, str]]:
    notify(kind, user, f"every-email:{kind}:{user.id}", **context)
    message = db.session.scalar(
        select(OutboxMessage).where(OutboxMessage.dedupe_key == f"every-email:{kind}:{user.id}")
    )
    assert message is not None and message.kind == kind
    assert message.subject and message.body_text.strip() and message.body_html
    yield "subject", message.subject
    yield "text", message.body_text
    yield "html", message.body_html


@pytest.mark.parametrize("place", ["job", "forged request"])
@pytest.mark.parametrize("kind", KINDS)
def test_every_email_names_codes_and_links_home_only(
    app: Flask, world: dict[str, Any], make_user: Callable[..., User], kind: str, place: str
) -> None:
    home = base_url(app) + "/"
    room = world["session"].room_url  # the video room lives elsewhere, by design
    problems: list[str] = []
    for locale in ("es_MX", "en"):
        user = make_user(Role.REFERRING, locale=locale, timezone="America/Tijuana")
        with where(app, place):
            parts = dict(rendered(kind, user, world))
        for part, text in parts.items():
            found = [m for m in MARKERS if m.lower() in text.lower()] + AGE.findall(text)
            links = URL.findall(text) + (HREF.findall(text) if part == "html" else [])
            problems += [f"{locale} {part}: patient data {item}" for item in found]
            problems += [f"{locale} {part}: link {link}" for link in links
                         if not link.startswith(home) and link != room]  # fmt: skip
            if part != "subject" and home not in text:  # else the link check proved nothing
                problems.append(f"{locale} {part}: no link to the service")
    assert problems == []


@pytest.mark.parametrize("kind", KINDS)
def test_every_email_says_times_as_people_do(
    app: Flask, world: dict[str, Any], make_user: Callable[..., User], kind: str
) -> None:
    """No "GMT", "PST (America/Tijuana)" or "2026-03-05 18:00" in any email (issue 17): the
    session's time on its board's clock by city, and the Tijuana reader's own beside it."""
    problems: list[str] = []
    for locale in ("es_MX", "en"):
        user = make_user(Role.REFERRING, locale=locale, timezone="America/Tijuana")
        for part, text in rendered(kind, user, world):
            shown = visible_text(text) if part == "html" else text
            problems += [f"{locale} {part}: {found}" for found in technical_times(shown)]
    assert problems == []
