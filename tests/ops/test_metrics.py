"""Operators have numbers to watch: /metrics serves request latency by endpoint, the outbox
backlog and the age of its oldest message, each scheduler job's last success, the lease
holder and the open scheduling flags — to whoever holds the metrics token, never a case code.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import update

from scheduler import jobs
from telemed.auth.models import User
from telemed.boards.models import Board
from telemed.cases.models import Case
from telemed.extensions import db
from telemed.jobs import lease
from telemed.outbox.models import OutboxMessage, OutboxStatus
from telemed.outbox.service import enqueue
from telemed.sessions.models import FlagReason, SchedulingFlag
from tests.conftest import START, committed
from tests.ops.metrics_text import TOKEN, names, parse, scrape, value

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def token(app: Flask, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setitem(app.config, "METRICS_TOKEN", TOKEN)
    return TOKEN


# --- who may read them ------------------------------------------------------------------


def test_metrics_need_the_bearer_token(client: FlaskClient, token: str):
    wrong = ["", "Bearer wrong-token", f"Basic {token}", f"Bearer {token}x", f"Bearer {token[:-1]}"]
    for authorization in wrong:
        headers = {"Authorization": authorization} if authorization else {}
        refused = client.get("/metrics", headers=headers)
        assert refused.status_code == 401, headers
        assert refused.headers["WWW-Authenticate"].startswith("Bearer")
        assert "telemed_" not in refused.get_data(as_text=True)

    answered = client.get("/metrics", headers={"Authorization": f"Bearer {token}"})
    assert answered.status_code == 200
    assert answered.content_type.startswith("text/plain; version=0.0.4")
    assert "# TYPE telemed_outbox_backlog_messages gauge" in answered.get_data(as_text=True)
    # The same security headers as every answer, and never cached.
    assert answered.headers["X-Content-Type-Options"] == "nosniff"
    assert answered.headers["Cache-Control"] == "private, no-store"


def test_without_a_token_production_has_no_metrics_and_development_only_for_this_machine(
    app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setitem(app.config, "METRICS_TOKEN", None)
    monkeypatch.setitem(app.config, "ENV_NAME", "production")
    assert client.get("/metrics").status_code == 404

    monkeypatch.setitem(app.config, "ENV_NAME", "development")
    assert client.get("/metrics").status_code == 200  # the test client is 127.0.0.1
    elsewhere = client.get("/metrics", environ_base={"REMOTE_ADDR": "192.0.2.7"})
    assert elsewhere.status_code == 404


# --- what they say ----------------------------------------------------------------------


def test_outbox_backlog_and_the_age_of_its_oldest_message(
    client: FlaskClient, token: str, clock, make_user: Callable[..., User], make_case
):
    user = make_user(email="oncologa@hospital.test")
    case: Case = make_case()
    subject = f"Orden del día: {case.code}"
    enqueue("sent", "agenda_closed", user, subject, "ya salió")
    enqueue("waiting", "agenda_closed", user, subject, "espera")  # the oldest still waiting
    committed(None)
    clock.advance(timedelta(minutes=5))
    enqueue("later", "agenda_closed", user, subject, "espera")
    enqueue("given-up", "agenda_closed", user, subject, "no se pudo")
    committed(None)
    for key, status in (("sent", OutboxStatus.SENT), ("given-up", OutboxStatus.FAILED)):
        db.session.execute(
            update(OutboxMessage).where(OutboxMessage.dedupe_key == key).values(status=status)
        )
    committed(None)
    clock.advance(timedelta(minutes=10))

    text, series = scrape(client)
    assert value(series, "telemed_outbox_backlog_messages") == 2
    assert value(series, "telemed_outbox_oldest_pending_age_seconds") == 15 * 60
    assert value(series, "telemed_outbox_failed_messages") == 1
    assert case.code not in text and case.patient_reference not in text

    db.session.execute(update(OutboxMessage).values(status=OutboxStatus.SENT))
    committed(None)
    _, series = scrape(client)
    assert value(series, "telemed_outbox_backlog_messages") == 0
    assert value(series, "telemed_outbox_oldest_pending_age_seconds") == 0


def test_open_scheduling_flags_by_reason_without_their_cases(
    client: FlaskClient, token: str, board: Board, send, clock
):
    cases = [send() for _ in range(3)]
    db.session.add_all(
        [
            SchedulingFlag(board_id=board.id, case_id=cases[0].id, reason=FlagReason.DEADLINE),
            SchedulingFlag(board_id=board.id, case_id=cases[1].id, reason=FlagReason.DEADLINE),
            SchedulingFlag(
                board_id=board.id,
                case_id=cases[2].id,
                reason=FlagReason.URGENT_72H,
                resolved_at=START,
            ),
        ]
    )
    committed(None)

    text, series = scrape(client)
    assert value(series, "telemed_scheduling_flags_open", reason="deadline") == 2
    assert value(series, "telemed_scheduling_flags_open", reason="urgent_72h") == 0
    assert value(series, "telemed_scheduling_flags_open", reason="no_session") == 0
    for case in cases:
        assert case.code not in text and case.patient_reference not in text


def test_each_jobs_last_success_and_the_lease_holder(
    app: Flask, client: FlaskClient, token: str, clock
):
    holder = "sched-a.example:4242:0a1b2c3d"
    committed(lease.try_acquire(holder, timedelta(seconds=45)))
    jobs.bind(app, holder)
    jobs.deliver_outbox()
    jobs.send_reminders()

    _, series = scrape(client)
    last = "telemed_scheduler_job_last_success_timestamp_seconds"
    assert value(series, last, job="deliver_outbox") == START.timestamp()
    assert value(series, last, job="send_reminders") == START.timestamp()
    assert value(series, "telemed_scheduler_lease_holder", holder=holder) == 1
    assert value(series, "telemed_scheduler_lease_held") == 1

    # A later run that fails leaves the last success where it was: the lag shows.
    clock.advance(timedelta(seconds=30))
    with pytest.raises(RuntimeError):
        jobs.run_as_leader("deliver_outbox", failing)
    jobs.send_reminders()
    _, series = scrape(client)
    assert value(series, last, job="deliver_outbox") == START.timestamp()
    assert value(series, last, job="send_reminders") == START.timestamp() + 30

    # The holder died: nobody holds the lease once it has run out.
    clock.advance(timedelta(seconds=45))
    _, series = scrape(client)
    assert value(series, "telemed_scheduler_lease_held") == 0
    assert names(series, "telemed_scheduler_lease_holder", "holder") == set()


def failing() -> None:
    raise RuntimeError("the mail server went away")


def test_request_latency_by_endpoint_and_status_class(client: FlaskClient, token: str, case):
    before = parse_counts(client)
    for _ in range(3):
        assert client.get("/healthz").status_code == 200
    assert client.get(f"/cases/{case.id}/no-such-page").status_code == 404
    assert client.get(f"/cases/{case.id}").status_code == 302  # to the login page

    text, series = scrape(client)
    after = counts(series)
    assert after[("ops.healthz", "2xx")] - before.get(("ops.healthz", "2xx"), 0) == 3
    assert after[("unmatched", "4xx")] - before.get(("unmatched", "4xx"), 0) == 1
    assert after[("cases.detail", "3xx")] - before.get(("cases.detail", "3xx"), 0) == 1
    # Endpoint names, never URLs (which hold ids) or case codes.
    assert all("/" not in endpoint for endpoint, _ in after)
    assert case.code not in text


@pytest.fixture
def case(make_case) -> Case:
    made: Case = make_case()
    return made


def counts(series: dict) -> dict[tuple[str, str], float]:
    return {
        (dict(labels)["endpoint"], dict(labels)["status"]): sample_value
        for (name, labels), sample_value in series.items()
        if name == "telemed_http_request_duration_seconds_count"
    }


def parse_counts(client: FlaskClient) -> dict[tuple[str, str], float]:
    return counts(scrape(client)[1])


# --- several gunicorn workers -----------------------------------------------------------

WORKER = textwrap.dedent(
    """
    import sys
    from telemed import create_app
    from telemed.extensions import db

    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": "sqlite://",
                                 "METRICS_TOKEN": sys.argv[2]})
    client = app.test_client()
    for _ in range(int(sys.argv[1])):
        assert client.get("/healthz").status_code == 200
    with app.app_context():
        db.create_all()
    answer = client.get("/metrics", headers={"Authorization": "Bearer " + sys.argv[2]})
    sys.stdout.write(answer.get_data(as_text=True))
    """
)


def test_every_workers_requests_are_counted_whichever_worker_is_scraped(tmp_path: Path):
    """With PROMETHEUS_MULTIPROC_DIR (as the systemd unit sets it), a scrape that reaches one
    gunicorn worker counts the requests every worker answered."""
    environment = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    environment.pop("TELEMED_TEST_DATABASE_URL", None)

    def worker(requests: int) -> str:
        done = subprocess.run(
            [sys.executable, "-c", WORKER, str(requests), TOKEN],
            cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        return done.stdout

    worker(4)
    worker(3)
    series = parse(worker(2))
    assert value(series, "telemed_http_request_duration_seconds_count",
                 endpoint="ops.healthz", status="2xx") == 9  # fmt: skip
    assert value(series, "telemed_outbox_backlog_messages") == 0
