"""The users' journeys, played concurrently through nginx with the JSON API and personal
tokens (as a hospital's system would; tokens are not affected by the second factor that
production asks of coordinators at the login page).

- Each referring doctor creates cases as drafts, attaches a pathology report (PDF) and an
  image (PNG), submits them, and reads the case list and sessions in between.
- The coordinator schedules an extraordinary session for the coming hour, accepts every
  submitted case as it arrives, and later holds that session: starts it, marks the members
  present, records an outcome for every case the scheduler placed on it, ends it and
  finalises the minutes (which emails the members and attendees).

Every request is recorded (start, end, status, which upstream answered) so the rehearsal
can tell errors inside the kill window from errors outside it. A step that fails on a
5xx or a dropped connection is retried as a person would click again; a retried submit that
answers 409 was done the first time.
"""

from __future__ import annotations

import hashlib
import random
import secrets
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import requests

TIMEOUT = 30
RETRIES = 5


@dataclass
class Call:
    started: float
    ended: float
    method: str
    what: str
    status: int  # 0: no answer at all (connection refused or reset)
    upstream: str
    error: str = ""


@dataclass
class Ledger:
    """What the users did and saw: every request, and what the server acknowledged."""

    calls: list[Call] = field(default_factory=list)
    cases: dict[int, str] = field(default_factory=dict)  # case id -> its doctor's email
    submitted: set[int] = field(default_factory=set)
    accepted: set[int] = field(default_factory=set)
    attachments: dict[tuple[int, int], str] = field(default_factory=dict)  # -> sha256
    orphan_drafts: int = 0
    notes: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, call: Call) -> None:
        with self.lock:
            self.calls.append(call)

    def note(self, text: str) -> None:
        with self.lock:
            self.notes.append(text)


class Client:
    """One user's HTTP client: a bearer token, every request recorded in the ledger."""

    def __init__(self, base_url: str, token: str, ledger: Ledger, who: str) -> None:
        self.base_url = base_url.rstrip("/")
        self.ledger = ledger
        self.who = who
        self.http = requests.Session()
        self.http.headers["Authorization"] = f"Bearer {token}"
        self.http.headers["Accept-Language"] = "es-MX"
        self.attempts = 0  # of the last step

    def request(self, method: str, path: str, what: str, **kwargs: Any) -> requests.Response | None:
        started = time.monotonic()
        try:
            response = self.http.request(
                method, self.base_url + path, timeout=TIMEOUT, allow_redirects=False, **kwargs
            )
        except requests.RequestException as err:
            self.ledger.record(
                Call(started, time.monotonic(), method, what, 0, "", type(err).__name__)
            )
            return None
        self.ledger.record(
            Call(
                started, time.monotonic(), method, what, response.status_code,
                response.headers.get("X-Upstream", ""),
                response.text[:200] if response.status_code >= 500 else "",
            )
        )  # fmt: skip
        return response

    def step(
        self, method: str, path: str, what: str, ok: tuple[int, ...], **kwargs: Any
    ) -> requests.Response:
        """A step of a journey: retried (after a pause) while the answer is a 5xx or none."""
        for attempt in range(RETRIES):
            self.attempts = attempt + 1
            response = self.request(method, path, what, **kwargs)
            if response is not None and response.status_code < 500:
                if response.status_code not in ok:
                    raise JourneyError(
                        f"{self.who}: {method} {what} answered {response.status_code}: "
                        f"{response.text[:300]}"
                    )
                return response
            time.sleep(0.5 * (attempt + 1))
        raise JourneyError(f"{self.who}: {method} {what} failed {RETRIES} times")


class JourneyError(RuntimeError):
    """A journey could not go on: the rehearsal reports it and fails."""


def pdf_bytes() -> bytes:
    """A small PDF whose hash is new every time (no two uploads are deduplicated)."""
    return b"%PDF-1.4\n% " + secrets.token_hex(2048).encode() + b"\n1 0 obj<<>>endobj\n%%EOF\n"


def png_bytes() -> bytes:
    return (
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00"
        b"\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xff\xff?\x00\x05\xfe\x02\xfe\xa7\x35"
        b"\x81\x84\x00\x00\x00\x00IEND\xaeB`\x82" + secrets.token_bytes(4096)
    )


def case_payload(number: int) -> dict[str, Any]:
    return {
        "draft": True,
        "patient_reference": f"ENS-{secrets.token_hex(4).upper()}",
        "age_years": random.randint(1, 17),
        "age_months": random.randint(0, 11),
        "sex": random.choice(["female", "male"]),
        "icd10_code": "C64",
        "diagnosis_text": "Tumor de Wilms bilateral",
        "stage": "Estadio V",
        "current_treatment": "Quimioterapia preoperatoria, semana 6",
        "question": f"¿Nefrectomía parcial bilateral o trasplante? (caso de ensayo {number})",
        "request_kind": "treatment_plan",
        "urgency": "routine",
        "high_complexity": True,
        "specialty": "solid_tumours",
    }


class Doctor(threading.Thread):
    """A referring doctor sending ``cases`` cases over ``seconds`` seconds, reading the case
    list and the sessions between them."""

    def __init__(
        self, client: Client, cases: int, seconds: float, failures: list[str], number: int
    ) -> None:
        super().__init__(name=f"doctor-{number}", daemon=True)
        self.client = client
        self.cases = cases
        self.seconds = seconds
        self.failures = failures
        self.number = number

    def run(self) -> None:
        try:
            began = time.monotonic()
            for index in range(self.cases):
                self.send_case(self.number * 100 + index)
                next_slot = began + (index + 1) * self.seconds / self.cases
                while time.monotonic() < next_slot:
                    self.browse()
                    time.sleep(random.uniform(0.2, 0.6))
        except JourneyError as err:
            self.failures.append(str(err))

    def browse(self) -> None:
        """What a doctor reads between cases; answers are recorded, never retried."""
        path = random.choice(["/api/v1/cases?per_page=20", "/api/v1/sessions", "/api/v1/me"])
        self.client.request("GET", path, path.split("?")[0])

    def send_case(self, number: int) -> None:
        client, ledger = self.client, self.client.ledger
        response = client.step(
            "POST", "/api/v1/cases", "create case", (201,), json=case_payload(number)
        )
        case_id = response.json()["id"]
        with ledger.lock:
            ledger.cases[case_id] = client.who
            # A create retried after no answer may have landed too: a draft left behind.
            ledger.orphan_drafts += client.attempts - 1
        for material, content, name, mime in (
            ("pathology_report", pdf_bytes(), "patologia.pdf", "application/pdf"),
            ("imaging", png_bytes(), "tac.png", "image/png"),
        ):
            uploaded = client.step(
                "POST", f"/api/v1/cases/{case_id}/attachments", "upload attachment", (201,),
                files={"file": (name, content, mime)}, data={"material": material},
            )  # fmt: skip
            digest = hashlib.sha256(content).hexdigest()
            for row in uploaded.json():
                if row.get("sha256", digest) != digest:
                    raise JourneyError(f"{client.who}: the server hashed {name} differently")
                with ledger.lock:
                    ledger.attachments[(case_id, row["id"])] = digest
        submitted = client.step(
            "POST", f"/api/v1/cases/{case_id}/actions/submit", "submit case", (200, 409), json={}
        )
        if submitted.status_code == 409:  # a retry: the first attempt had been applied
            status = client.step("GET", f"/api/v1/cases/{case_id}", "read case", (200,)).json()
            if status["status"] == "draft":
                raise JourneyError(f"{client.who}: case {case_id} could not be submitted")
        with ledger.lock:
            ledger.submitted.add(case_id)


class Coordinator(threading.Thread):
    """Accepts every submitted case until the doctors are done and none is left."""

    def __init__(self, client: Client, doctors: list[Doctor], failures: list[str]) -> None:
        super().__init__(name="coordinator", daemon=True)
        self.client = client
        self.doctors = doctors
        self.failures = failures

    def run(self) -> None:
        try:
            while True:
                done = not any(doctor.is_alive() for doctor in self.doctors)
                accepted = self.accept_waiting()
                if done and accepted == 0:
                    return
                time.sleep(1.0)
        except JourneyError as err:
            self.failures.append(str(err))

    def accept_waiting(self) -> int:
        listing = self.client.step(
            "GET", "/api/v1/cases?status=submitted&per_page=100", "list submitted", (200,)
        ).json()
        accepted = 0
        for case in listing["items"]:
            response = self.client.step(
                "POST", f"/api/v1/cases/{case['id']}/actions/accept", "accept case", (200, 409),
                json={},
            )  # fmt: skip
            if response.status_code == 200 or self.status_of(case["id"]) != "submitted":
                with self.client.ledger.lock:
                    self.client.ledger.accepted.add(case["id"])
                accepted += 1
        return accepted

    def status_of(self, case_id: int) -> str:
        detail = self.client.step("GET", f"/api/v1/cases/{case_id}", "read case", (200,))
        return str(detail.json()["status"])


class Chair(threading.Thread):
    """Holds the extraordinary session as soon as its agenda is full (the board meets while
    other doctors still send cases), or once told that every case has been placed."""

    def __init__(
        self, client: Client, session_id: int, members: list[int], failures: list[str]
    ) -> None:
        super().__init__(name="chair", daemon=True)
        self.client = client
        self.session_id = session_id
        self.members = members
        self.failures = failures
        self.go = threading.Event()
        self.held: dict[str, int] = {}

    def run(self) -> None:
        try:
            while True:
                detail = self.client.step(
                    "GET", f"/api/v1/sessions/{self.session_id}", "read session", (200,)
                ).json()
                if detail["booked"] >= detail["capacity"] or self.go.is_set():
                    self.held = hold_session(self.client, self.session_id, self.members)
                    return
                self.go.wait(2.0)
        except JourneyError as err:
            self.failures.append(str(err))


def schedule_session(client: Client, board_id: int, minutes_ahead: int, zone: str) -> int:
    """An extraordinary session starting soon, so its room is open for the rehearsal."""
    start = datetime.now(ZoneInfo(zone)) + timedelta(minutes=minutes_ahead)
    response = client.step(
        "POST", f"/api/v1/boards/{board_id}/sessions", "schedule session", (201,),
        json={"starts_at_local": start.strftime("%Y-%m-%dT%H:%M")},
    )  # fmt: skip
    return int(response.json()["id"])


def hold_session(client: Client, session_id: int, members: list[int]) -> dict[str, int]:
    """Start, attendance, an outcome for every case on the agenda, end, final minutes."""
    detail = client.step("GET", f"/api/v1/sessions/{session_id}", "read session", (200,)).json()
    items = [entry for entry in detail["agenda"] if entry.get("outcome", "pending") == "pending"]
    client.step("POST", f"/api/v1/sessions/{session_id}/start", "start session", (200,), json={})
    for user_id in members:
        client.step(
            "POST", f"/api/v1/sessions/{session_id}/attendance", "mark attendance", (200, 201),
            json={"user_id": user_id, "present": True},
        )  # fmt: skip
    for entry in items:
        client.step(
            "POST", f"/api/v1/agenda-items/{entry['id']}/outcome", "record outcome", (200, 201),
            json={
                "outcome": "discussed", "category": "treatment_plan",
                "text": "Nefrectomía parcial bilateral tras completar la quimioterapia.",
                "consensus": True, "responsible": "Cirugía oncológica pediátrica",
            },
        )  # fmt: skip
    client.step("POST", f"/api/v1/sessions/{session_id}/end", "end session", (200,), json={})
    client.step(
        "POST", f"/api/v1/sessions/{session_id}/minutes/finalise", "finalise minutes", (200,)
    )
    return {"cases discussed": len(items), "members present": len(members)}
