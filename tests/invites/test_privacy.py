"""No patient data leaves the service: every email, invite, feed and download names cases
only by their codes (CE-0001, CE 1.1) and links to pages behind login.

A referring doctor in Tijuana sends two cases with distinctive clinical details and a
scan; the board places, moves, closes, holds and cancels sessions around them, flags
them, and (once the invite service exists) invites, reminds and checks quorum. Then
everything a person outside the service could receive is searched for those details.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable, Iterable
from dataclasses import fields, is_dataclass
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from telemed.auth.models import User
from telemed.boards.models import Board
from telemed.cases import service as case_service
from telemed.cases.models import Case
from telemed.extensions import db
from telemed.outbox.models import OutboxMessage
from telemed.outbox.service import deliver_due
from telemed.sessions.assignment import assign_cases
from telemed.sessions.models import SessionStatus
from telemed.sessions.service import (
    cancel_session,
    close_due_agendas,
    finish_ended_sessions,
    move_session,
)
from tests.conftest import PDF_BYTES, base_url, case_payload, client_for
from tests.scenes.boards import entry_of

# Each private detail carries a marker no legitimate text contains.
REFERENCE = "NSS-ZQX-93817264"
DIAGNOSIS = "Rabdomiosarcoma alveolar de órbita ZQXDIAG"
ICD10 = "C69.6"
QUESTION = "¿Es candidata a exenteración orbitaria ZQXQUESTION?"
TREATMENT = "VAC semana 12 ZQXTREATMENT"
STAGE = "Grupo III ZQXSTAGE"
JUSTIFICATION = "Proptosis con pérdida visual ZQXJUSTIF"
ATTACHMENT = "resonancia-orbita-ZQXFILE.pdf"
AGE_YEARS, AGE_MONTHS = 13, 11
SECRETS = (REFERENCE, DIAGNOSIS, ICD10, QUESTION, TREATMENT, STAGE, JUSTIFICATION, ATTACHMENT,
           "ZQXDIAG", "ZQXQUESTION", "ZQXTREATMENT", "ZQXSTAGE", "ZQXJUSTIF", "ZQXFILE",
           "93817264", "•••264", "resonancia-orbita")  # fmt: skip
AGE_PATTERNS = (
    re.compile(rf"\b{AGE_YEARS}\s*(años|año|years|year|a)\b", re.IGNORECASE),
    re.compile(rf"\b{AGE_MONTHS}\s*(meses|mes|months|month|m)\b", re.IGNORECASE),
    re.compile(r"\b(edad|age)\s*:", re.IGNORECASE),
)
# Optional steps of the invite service, run when it provides them.
INVITE_STEPS = ("sync_due_invites", "send_reminders", "check_quorum")


class Capture:
    """A transport that keeps what it is handed."""

    def __init__(self) -> None:
        self.sent: list[Any] = []

    def send(self, email: Any) -> None:
        self.sent.append(email)


def unfold(text: str) -> str:
    """iCalendar folds long lines (CRLF + space) and escapes commas: undo both."""
    text = re.sub(r"\r?\n[ \t]", "", text)
    return text.replace("\\,", ",").replace("\\;", ";").replace("\\n", "\n").replace("\\N", "\n")


def leaks(where: str, text: str | bytes | None) -> list[str]:
    if text is None:
        return []
    if isinstance(text, bytes):
        text = text.decode("utf-8")
    plain = unfold(text)
    found = [secret for secret in SECRETS if secret.lower() in plain.lower()]
    found += [p.pattern for p in AGE_PATTERNS if p.search(plain)]
    return [f"{where}: {item}" for item in found]


def invite_steps() -> list[Callable[[], Any]]:
    """The invite service's jobs that exist by now (another part of the work adds them)."""
    try:
        service = importlib.import_module("telemed.invites.service")
    except ImportError:
        return []
    return [getattr(service, name) for name in INVITE_STEPS if hasattr(service, name)]


def run_jobs() -> None:
    assign_cases()
    for step in invite_steps():
        step()


def send_case(by: User, files: Iterable[tuple[str, bytes]] = (), **overrides: Any) -> Case:
    values = {
        "patient_reference": REFERENCE, "age_years": AGE_YEARS, "age_months": AGE_MONTHS,
        "icd10_code": ICD10, "diagnosis_text": DIAGNOSIS, "stage": STAGE,
        "current_treatment": TREATMENT, "question": QUESTION, "specialty": "solid_tumours",
        "urgency": "routine",
    }  # fmt: skip
    values.update(overrides)
    return case_service.create_case(by, case_payload(**values), submit=True, files=list(files))


@pytest.fixture
def story(
    app: Flask, board: Board, referring: User, coordinator: User, chair: User, clock: Any
) -> dict[str, Any]:
    """Two private cases through a month of the board's life; returns what to look at."""
    routine = send_case(
        referring, files=[(ATTACHMENT, PDF_BYTES)], clinical_deadline=date(2026, 3, 4)
    )
    urgent = send_case(referring, urgency="urgent", urgency_justification=JUSTIFICATION)
    assert routine.attachments[0].filename == ATTACHMENT
    for case in (routine, urgent):
        case_service.transition(coordinator, case, "accept")
    run_jobs()  # placed on Thursday 5 March, both flagged (deadline, 72 h)
    first = entry_of(routine).session
    assert entry_of(urgent).session is first

    move_session(coordinator, first, datetime(2026, 3, 5, 19, 0))  # an hour later
    run_jobs()  # placed again, invites updated
    assert entry_of(routine).session is first

    clock.set(first.cutoff_at)
    close_due_agendas()
    run_jobs()
    clock.set(first.starts_at - timedelta(hours=23))
    run_jobs()  # 24-hour reminder
    clock.set(first.starts_at - timedelta(minutes=50))
    run_jobs()  # 1-hour reminder

    clock.set(first.ends_at + timedelta(minutes=1))
    finish_ended_sessions()  # not discussed: back to the queue with precedence
    assert first.status is SessionStatus.HELD
    run_jobs()
    second = entry_of(routine).session
    assert second is not first
    cancel_session(coordinator, second)  # the cases move on once more
    run_jobs()
    assert second.status is SessionStatus.CANCELLED
    return {"cases": (routine, urgent), "sessions": (first, second)}


def test_no_message_invite_feed_or_download_carries_patient_data(
    app, story, referring, coordinator, chair
):
    routine, urgent = story["cases"]
    messages = list(db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))
    kinds = {m.kind for m in messages}
    # The scenario really produced each kind of notice (else the search proves nothing).
    assert {"scheduling_flag", "session_changed", "agenda_closed", "case_not_discussed"} <= kinds

    found: list[str] = []
    for m in messages:
        for name in ("subject", "body_text", "body_html", "ics"):
            found += leaks(f"{m.kind} #{m.id} {name}", getattr(m, name, None))
    with_ics = [m for m in messages if getattr(m, "ics", None)]
    if "sync_due_invites" in {step.__name__ for step in invite_steps()}:
        assert with_ics, "the invite service ran but queued no calendar"
        assert {"REQUEST", "CANCEL"} <= {m.ics_method for m in with_ics}

    # What the delivery job hands to the mail transport, field by field.
    capture = Capture()
    deliver_due(transport=capture)
    assert len(capture.sent) == len(messages)
    for email in capture.sent:
        values = [getattr(email, f.name) for f in fields(email)] if is_dataclass(email) else [
            str(email)
        ]  # fmt: skip
        for value in values:
            if isinstance(value, (str, bytes)):
                found += leaks(f"email to {email.to_address}", value)

    # Feeds and downloads, for each person concerned.
    first, second = story["sessions"]
    for user in (referring, coordinator, chair):
        browser = client_for(app, user)
        assert browser.post("/feeds/regenerate").status_code == 302
        page = browser.get("/auth/profile").get_data(as_text=True)
        url = re.search(r'id="feed-url">([^<]+)<', page).group(1)
        feed = app.test_client().get(url.removeprefix(base_url(app)))
        assert feed.status_code == 200
        found += leaks(f"feed of {user.email}", feed.data)
        for session in (first, second):
            download = browser.get(f"/sessions/{session.id}.ics")
            if download.status_code == 200:
                found += leaks(f"{session.id}.ics for {user.email}", download.data)
    board: Board = first.board
    board.public_feed = True
    db.session.commit()
    found += leaks("public feed", app.test_client().get(f"/feeds/boards/{board.id}.ics").data)

    assert found == []

    # Positive control: the same texts do name the cases by their codes.
    everything = "\n".join(unfold(f"{m.subject}\n{m.body_text}\n{m.ics or ''}") for m in messages)
    assert routine.code in everything and urgent.code in everything
    assert f"CE {first.number}.{routine.id}" in everything
    held = client_for(app, coordinator).get(f"/sessions/{first.id}.ics").get_data(as_text=True)
    assert f"CE {first.number}.{routine.id}" in unfold(held)


def test_the_search_would_notice_a_leak():
    """The checks above are not blind: each kind of detail is caught when present."""
    assert leaks("x", f"Paciente {REFERENCE}") != []
    assert leaks("x", "DESCRIPTION:Dx: Rabdomiosarcoma alveolar de órbita \r\n ZQXDIAG") != []
    assert leaks("x", "Edad: 13 años 11 meses") != []
    assert leaks("x", b"ATTACH;FILENAME=resonancia-orbita-ZQXFILE.pdf") != []
    assert leaks("x", "CE 19.58 · CE-0058 · https://telemed.local/sessions/3") == []
