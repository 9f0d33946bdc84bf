"""A production rehearsal on one machine (``make rehearse``; ``.ci/run`` runs it too).

The documented production shape, everything bound to 127.0.0.1 on free ports:
nginx (Debian's package) in front of two gunicorn servers (separate instance folders, the
same PostgreSQL database, the shared attachment store, login limits in Redis), two
``python -m scheduler`` processes (one active, one standby) and SMTP to a real aiosmtpd
server. The users' journeys (``rehearsal/load.py``) run concurrently through nginx while
one web server and then the active scheduler are killed with ``kill -9`` and restarted.
Then it waits (bounded) until every accepted case is placed, holds a session, finalises its
minutes, waits until the outbox is drained, and checks and prints:

- requests answered, and errors inside and outside the kill window (errors are allowed
  only inside it, and only from the killed server: nginx retries the other one);
- every accepted case placed exactly once; no session over capacity;
- every attachment downloadable from both servers directly, with the right SHA-256;
- every email in the outbox received by the SMTP server exactly once, and nothing else;
- the scheduler's takeover time after the kill.

It exits 1 on any loss or duplicate, and prints the tail of every log on failure. Every
process it started is stopped at the end, whatever happens.

Settings (environment, all optional):
  REHEARSAL_ATTACHMENT_STORE  ``database`` (default: TELEMED_ATTACHMENT_STORE=database) or
                              ``shared-dir`` (one TELEMED_ATTACHMENT_DIR for both servers)
  REHEARSAL_READY_PATH        what says a web server is ready (default ``/readyz``)
  REHEARSAL_DATABASE          PostgreSQL database to (re)create (default ``telemed_rehearsal``)
  REHEARSAL_PG                server address (default ``postgres@127.0.0.1:5432``)
  REHEARSAL_REDIS_URL         Redis database for the limits (default ``redis://127.0.0.1:6379/13``)
  REHEARSAL_DOCTORS / REHEARSAL_CASES / REHEARSAL_LOAD_SECONDS   the load (6, 4, 30)
  REHEARSAL_KEEP              keep the run folder (logs) even when it passes
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))
import load

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
STORE = os.environ.get("REHEARSAL_ATTACHMENT_STORE", "database")
READY_PATH = os.environ.get("REHEARSAL_READY_PATH", "/readyz")
DATABASE = os.environ.get("REHEARSAL_DATABASE", "telemed_rehearsal")
PG = os.environ.get("REHEARSAL_PG", "postgres@127.0.0.1:5432")
REDIS_URL = os.environ.get("REHEARSAL_REDIS_URL", "redis://127.0.0.1:6379/13")
DOCTORS = int(os.environ.get("REHEARSAL_DOCTORS", "6"))
CASES = int(os.environ.get("REHEARSAL_CASES", "4"))
LOAD_SECONDS = float(os.environ.get("REHEARSAL_LOAD_SECONDS", "30"))
KEEP = os.environ.get("REHEARSAL_KEEP", "") not in ("", "0", "false")

LEASE_SECONDS = 10
# The true worst case of a takeover: the lease runs out one lease after its last renewal and
# the standby notices at its next poll (every lease/3); plus a second of measurement.
TAKEOVER_BOUND = LEASE_SECONDS + 2  # the lease length is the bound (+ polling and a loaded CI)
WEB_KILL_AT, WEB_DOWN_FOR = 0.30, 4.0  # into the load (share of it), seconds down
SCHEDULER_KILL_AT = 0.50
FAIL_TIMEOUT = 5  # nginx stops sending to a failed server for this long
PLACE_TIMEOUT = 150  # seconds for the scheduler to place every accepted case
DRAIN_TIMEOUT = 200  # seconds for the outbox to be delivered
QUIET_SECONDS = 62  # one tick of the one-minute jobs, and a little
ZONE = "America/Mexico_City"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Process:
    """A process in its own process group, so ``kill -9`` takes its workers too."""

    name: str
    argv: list[str]
    env: dict[str, str]
    log: Path
    popen: subprocess.Popen[bytes] | None = None
    starts: int = 0

    def start(self) -> None:
        self.starts += 1
        with self.log.open("ab") as out:
            out.write(f"\n=== start #{self.starts} at {time.strftime('%H:%M:%S')}\n".encode())
            out.flush()
            self.popen = subprocess.Popen(
                self.argv, env=self.env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, start_new_session=True,
            )  # fmt: skip

    @property
    def pid(self) -> int:
        assert self.popen is not None
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def signal_group(self, signum: int) -> None:
        if self.popen is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.popen.pid, signum)

    def kill9(self) -> None:
        self.signal_group(signal.SIGKILL)
        if self.popen is not None:
            self.popen.wait()

    def stop(self) -> None:
        if self.popen is None:
            return
        if self.popen.poll() is None:
            self.signal_group(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.popen.wait(timeout=8)
        self.signal_group(signal.SIGKILL)  # whatever is left of the group (orphaned workers)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.popen.wait(timeout=5)


@dataclass
class Rehearsal:
    run_dir: Path
    processes: list[Process] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    figures: list[tuple[str, str, bool]] = field(default_factory=list)
    events: dict[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.nginx_port, self.smtp_port = free_port(), free_port()
        self.web_ports = {"web-a": free_port(), "web-b": free_port()}
        self.base_url = f"http://127.0.0.1:{self.nginx_port}"
        self.db_url = f"postgresql+psycopg://{PG}/{DATABASE}"
        self.received = self.run_dir / "smtp-received.jsonl"

    # --- set-up ------------------------------------------------------------------------

    def app_env(self, instance: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("TELEMED_")}
        env.update(
            TELEMED_ENV="production",
            TELEMED_SECRET_KEY=self.secret_key,
            TELEMED_DATABASE_URL=self.db_url,
            TELEMED_BASE_URL=self.base_url,
            TELEMED_SECURE_COOKIES="false",
            TELEMED_PROXY_HOPS="1",
            TELEMED_RATELIMIT_STORAGE_URI=REDIS_URL,
            TELEMED_MAIL_TRANSPORT="smtp",
            TELEMED_SMTP_HOST="127.0.0.1",
            TELEMED_SMTP_PORT=str(self.smtp_port),
            TELEMED_SMTP_SECURITY="none",
            TELEMED_MAIL_DOMAIN="ensayo.telemed.local",
            TELEMED_ASSIGN_EVERY_MINUTES="1",
            TELEMED_SCHEDULER_LEASE_SECONDS=str(LEASE_SECONDS),
            TELEMED_INSTANCE_PATH=str(self.run_dir / instance),
            PYTHONUNBUFFERED="1",
            PYTHONPATH=str(ROOT),
        )
        if STORE == "database":
            env["TELEMED_ATTACHMENT_STORE"] = "database"
        else:  # both servers read and write one folder (one machine only)
            env["TELEMED_ATTACHMENT_DIR"] = str(self.run_dir / "shared-attachments")
        (self.run_dir / instance).mkdir(exist_ok=True)
        return env

    def flask(self, *args: str) -> str:
        return self.run_tool([str(BIN / "flask"), "--app", "wsgi", *args])

    def run_tool(self, argv: list[str]) -> str:
        result = subprocess.run(
            argv, env=self.app_env("cli"), cwd=ROOT, capture_output=True, text=True, timeout=120
        )
        with (self.run_dir / "setup.log").open("a") as log:
            log.write(f"$ {' '.join(argv[:4])}\n{result.stderr}\n")
        if result.returncode != 0:
            raise SetupError(f"{' '.join(argv[1:4])} failed:\n{result.stderr[-2000:]}")
        return result.stdout

    def create_database(self) -> None:
        with psycopg.connect(f"postgresql://{PG}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{DATABASE}"')
            # as the README's deployment makes it (the planner's cost of following an index)
            conn.execute(f'ALTER DATABASE "{DATABASE}" SET random_page_cost = 1.1')

    def sql(self, query: str, *params: Any) -> list[tuple[Any, ...]]:
        with psycopg.connect(f"postgresql://{PG}/{DATABASE}", autocommit=True) as conn:
            return list(conn.execute(query, params).fetchall())

    def check_redis(self) -> None:
        import redis

        client = redis.Redis.from_url(REDIS_URL, socket_timeout=3)
        try:
            client.ping()
        except redis.RedisError as err:
            raise SetupError(f"Redis at {REDIS_URL} does not answer ({err}); start it") from None
        client.flushdb()  # this rehearsal's limits start from zero

    def nginx_config(self) -> Path:
        nginx_dir = self.run_dir / "nginx"
        for sub in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
            (nginx_dir / sub).mkdir(parents=True, exist_ok=True)
            (nginx_dir / sub).chmod(0o777)  # nginx's workers may run as nobody
        upstreams = "\n".join(
            f"    server 127.0.0.1:{port} max_fails=1 fail_timeout={FAIL_TIMEOUT}s;"
            for port in self.web_ports.values()
        )
        config = (ROOT / "rehearsal" / "nginx.conf").read_text()
        for name, value in (
            ("DIR", nginx_dir),
            ("UPSTREAMS", upstreams),
            ("PORT", self.nginx_port),
            ("STATIC", ROOT / "telemed" / "static"),
        ):
            config = config.replace(f"@{name}@", str(value))
        path = nginx_dir / "nginx.conf"
        path.write_text(config)
        return path

    def add(self, name: str, argv: list[str], env: dict[str, str]) -> Process:
        process = Process(name, argv, env, self.run_dir / f"{name}.log")
        self.processes.append(process)
        process.start()
        return process

    def web(self, name: str) -> Process:
        argv = [
            str(BIN / "gunicorn"), "--bind", f"127.0.0.1:{self.web_ports[name]}",
            "--workers", "2", "--worker-class", "gthread", "--threads", "4",
            "--timeout", "30", "--graceful-timeout", "5", "--access-logfile", "-",
            "wsgi:app",
        ]  # fmt: skip
        return self.add(name, argv, self.app_env(name))

    def wait_ready(self, port: int, timeout: float = 60) -> float:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with contextlib.suppress(requests.RequestException):
                if requests.get(f"http://127.0.0.1:{port}{READY_PATH}", timeout=2).ok:
                    return time.monotonic()
            time.sleep(0.2)
        raise SetupError(f"nothing ready on port {port}{READY_PATH} after {timeout:.0f} s")

    def lease(self) -> tuple[str, bool] | None:
        rows = self.sql(
            "SELECT holder, expires_at > now() FROM scheduler_leases WHERE name = 'scheduler'"
        )
        return (str(rows[0][0]), bool(rows[0][1])) if rows else None

    def scheduler_holding(self) -> Process | None:
        """The scheduler process whose pid is in the live lease (holder = host:pid:random)."""
        lease = self.lease()
        if lease is None or not lease[1]:
            return None
        pid = int(lease[0].split(":")[1])
        return next((p for p in self.processes if p.name.startswith("scheduler") and
                     p.alive() and p.pid == pid), None)  # fmt: skip

    def start(self) -> dict[str, Any]:
        self.secret_key = secrets.token_urlsafe(48)
        self.check_redis()
        self.create_database()
        self.flask("db", "upgrade")
        # The demo centres, boards and accounts (their published password is never used:
        # everyone works with API tokens); the production guard needs the flag.
        self.flask("demo", "load", "--create-known-passwords-in-production")
        people = json.loads(
            self.run_tool([str(BIN / "python"), "rehearsal/accounts.py", "--doctors", str(DOCTORS)])
        )
        smtp_argv = [str(BIN / "python"), "rehearsal/smtp_sink.py", "--port", str(self.smtp_port),
                     "--log", str(self.received)]  # fmt: skip
        self.add("smtp", smtp_argv, dict(os.environ))
        for name in self.web_ports:
            self.web(name)
        nginx_argv = [
            shutil.which("nginx") or "/usr/sbin/nginx", "-p", str(self.run_dir / "nginx"),
            "-c", str(self.nginx_config()), "-e", str(self.run_dir / "nginx" / "error.log"),
            "-g", "daemon off;",
        ]  # fmt: skip
        self.add("nginx", nginx_argv, dict(os.environ))
        for name in ("scheduler-1", "scheduler-2"):
            self.add(name, [str(BIN / "python"), "-m", "scheduler"], self.app_env(name))
        for port in (*self.web_ports.values(), self.nginx_port):
            self.wait_ready(port)
        self.wait_for("a scheduler to hold the lease", 60, lambda: self.scheduler_holding())
        self.wait_for(
            "the board's sessions to be generated", 60,
            lambda: self.sql("SELECT count(*) FROM board_sessions WHERE board_id = %s",
                             people["board_id"])[0][0] > 0,
        )  # fmt: skip
        return dict(people)

    def wait_for(self, what: str, timeout: float, test: Any, every: float = 1.0) -> float:
        began = time.monotonic()
        while time.monotonic() - began < timeout:
            if test():
                return time.monotonic() - began
            time.sleep(every)
        raise SetupError(f"timed out after {timeout:.0f} s waiting for {what}")

    # --- the faults --------------------------------------------------------------------

    def chaos(self, load_began: float) -> None:
        """kill -9 web server A (master and workers) and restart it; then kill -9 whichever
        scheduler holds the lease, time the standby's takeover, restart the killed one."""
        web_a = next(p for p in self.processes if p.name == "web-a")
        sleep_until(load_began + WEB_KILL_AT * LOAD_SECONDS)
        self.events["web killed"] = time.monotonic()
        web_a.kill9()
        time.sleep(WEB_DOWN_FOR)
        web_a.start()
        self.events["web ready"] = self.wait_ready(self.web_ports["web-a"])

        sleep_until(load_began + SCHEDULER_KILL_AT * LOAD_SECONDS)
        leader = self.scheduler_holding()
        if leader is None:
            self.failures.append("no scheduler held the lease at the moment of the kill")
            return
        killed_holder = self.lease()
        self.events["scheduler killed"] = time.monotonic()
        leader.kill9()

        def taken_over() -> bool:
            lease = self.lease()
            return lease is not None and lease[1] and lease[0] != (killed_holder or ("",))[0]

        try:
            self.wait_for("the standby to take over", 4 * LEASE_SECONDS, taken_over, every=0.25)
            self.events["scheduler took over"] = time.monotonic()
        except SetupError as err:
            self.failures.append(str(err))
        leader.start()  # back as the standby

    # --- the checks --------------------------------------------------------------------

    def figure(self, name: str, value: Any, ok: bool = True) -> None:
        self.figures.append((name, str(value), ok))
        if not ok:
            self.failures.append(f"{name}: {value}")

    def check_requests(self, ledger: load.Ledger) -> None:
        killed_at = self.events.get("web killed", float("inf"))
        window_end = self.events.get("web ready", killed_at) + FAIL_TIMEOUT + 1
        killed_upstream = f"127.0.0.1:{self.web_ports['web-a']}"
        calls = ledger.calls
        errors = [c for c in calls if c.status == 0 or c.status >= 500]
        inside = [c for c in errors if killed_at <= c.ended <= window_end]
        outside = [c for c in errors if c not in inside]
        foreign = [c for c in inside if c.upstream.split(", ")[-1] != killed_upstream]
        in_window = [c for c in calls if killed_at <= c.ended <= window_end]
        self.figure("requests answered", f"{len(calls) - sum(c.status == 0 for c in calls)}"
                    f" of {len(calls)}")  # fmt: skip
        for name, port in self.web_ports.items():
            served = [c for c in calls if c.upstream.split(", ")[-1] == f"127.0.0.1:{port}"]
            before = sum(c.ended < killed_at for c in served)
            self.figure(f"answered by {name} (before the kill / after)",
                        f"{before} / {len(served) - before}", bool(served))  # fmt: skip
        self.figure("errors overall", share(len(errors), len(calls)))
        self.figure(
            f"errors in the kill window ({window_end - killed_at:.1f} s)",
            share(len(inside), len(in_window)),
        )
        self.figure("errors outside the kill window", len(outside), not outside)
        self.figure("errors not from the killed server", len(foreign), not foreign)
        for call in (outside + foreign)[:10]:
            print(f"  error: {call.method} {call.what} -> {call.status} via {call.upstream!r} "
                  f"{call.error}")  # fmt: skip

    def check_login_limits(self) -> None:
        """Wrong passwords for one account, alternately on each server: with the limits in
        Redis the sixth is refused (``5 per minute`` per account) wherever it lands; with
        per-process counters it would not be."""
        http = requests.Session()
        page = http.get(f"{self.base_url}/auth/login", timeout=10)
        found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        statuses = []
        for attempt in range(6):
            port = list(self.web_ports.values())[attempt % 2]
            response = http.post(
                f"http://127.0.0.1:{port}/auth/login", timeout=10, allow_redirects=False,
                data={"email": "referente1@ensayo.telemed.mx", "password": f"no-{attempt}",
                      "csrf_token": found.group(1) if found else ""},
            )  # fmt: skip
            statuses.append(response.status_code)
        self.figure("wrong logins on alternating servers (5 per minute allowed)",
                    statuses, statuses[-1] == 429 and 429 not in statuses[:-1])  # fmt: skip

    def check_placement(self, ledger: load.Ledger) -> None:
        rows = self.sql(
            "SELECT c.id, c.status, count(a.id) FROM cases c LEFT JOIN agenda_items a"
            " ON a.case_id = c.id GROUP BY c.id, c.status"
        )
        statuses = Counter(status for _, status, _ in rows)
        accepted = {case_id: placed for case_id, status, placed in rows
                    if status not in ("draft", "submitted", "withdrawn")}  # fmt: skip
        lost = [case_id for case_id, placed in accepted.items() if placed == 0]
        doubled = [case_id for case_id, placed in accepted.items() if placed > 1]
        acknowledged = ledger.accepted - set(accepted)
        self.figure(
            "cases created / submitted / accepted (by the users)",
            f"{len(ledger.cases)} / {len(ledger.submitted)} / {len(ledger.accepted)}",
        )
        self.figure("cases in the database by status", dict(sorted(statuses.items())))
        self.figure("acceptances acknowledged but not in the database", len(acknowledged),
                    not acknowledged)  # fmt: skip
        once = len(accepted) - len(lost) - len(doubled)
        self.figure("accepted cases placed exactly once", f"{once} of {len(accepted)}",
                    not lost and not doubled and bool(accepted))  # fmt: skip
        self.figure("cases never placed (lost)", len(lost), not lost)
        self.figure("cases placed twice (duplicates)", len(doubled), not doubled)
        over = self.sql(
            "SELECT s.id, s.capacity, s.booked, count(a.id) FROM board_sessions s"
            " JOIN agenda_items a ON a.session_id = s.id GROUP BY s.id"
            " HAVING count(a.id) > s.capacity OR s.booked > s.capacity"
        )
        used = self.sql("SELECT count(DISTINCT session_id) FROM agenda_items")[0][0]
        self.figure("sessions over capacity", f"{len(over)} (of {used} with cases)", not over)

    def check_attachments(self, ledger: load.Ledger, coordinator: str) -> None:
        rows = self.sql("SELECT id, case_id, sha256 FROM attachments ORDER BY id")
        in_db = {(case_id, att_id): digest for att_id, case_id, digest in rows}
        missing = [key for key in ledger.attachments if key not in in_db]
        self.figure("uploads acknowledged but missing", len(missing), not missing)
        wrong: list[str] = []
        http = requests.Session()
        http.headers["Authorization"] = f"Bearer {coordinator}"
        for name, port in self.web_ports.items():
            for (case_id, att_id), digest in in_db.items():
                url = f"http://127.0.0.1:{port}/cases/{case_id}/attachments/{att_id}"
                try:
                    response = http.get(url, timeout=15)
                except requests.RequestException as err:
                    wrong.append(f"{name} {url}: {type(err).__name__}")
                    continue
                got = hashlib.sha256(response.content).hexdigest()
                if response.status_code != 200 or got != digest:
                    wrong.append(f"{name} {url}: {response.status_code}, sha256 {got[:12]}")
        for line in wrong[:6]:
            print(f"  attachment: {line}")
        self.figure(
            "attachments downloaded from both servers with the right SHA-256",
            f"{2 * len(in_db) - len(wrong)} of {2 * len(in_db)}",
            not wrong and bool(in_db),
        )

    def outbox(self) -> list[tuple[int, str, str, int, str | None]]:
        return [
            (int(r[0]), str(r[1]), str(r[2]), int(r[3]), r[4])
            for r in self.sql(
                "SELECT id, to_address, status, attempts, last_error FROM outbox_messages"
            )
        ]

    def received_counts(self) -> Counter[tuple[str, str]]:
        counts: Counter[tuple[str, str]] = Counter()
        if self.received.exists():
            for line in self.received.read_text().splitlines():
                message = json.loads(line)
                for to in message["to"]:
                    counts[(message["message_id"], to.lower())] += 1
        return counts

    def drained(self) -> bool:
        """Nothing left to send, and a whole tick of the one-minute jobs has passed since the
        last email was queued without queuing another (invites lead to reminders a tick
        later, so a drained outbox alone is not the end)."""
        waiting, quiet = self.sql(
            "SELECT count(*) FILTER (WHERE status NOT IN ('sent', 'failed')),"
            " extract(epoch FROM (now() AT TIME ZONE 'utc') - max(created_at))"
            " FROM outbox_messages"
        )[0]
        return quiet is not None and waiting == 0 and float(quiet) > QUIET_SECONDS

    def check_email(self) -> None:
        rows = self.outbox()
        received = self.received_counts()
        expected = {(f"<outbox-{id_}@ensayo.telemed.local>", to.lower()): status
                    for id_, to, status, _, _ in rows}  # fmt: skip
        statuses = Counter(status for _, _, status, _, _ in rows)
        lost = [key for key in expected if received[key] == 0]
        doubled = [key for key in expected if received[key] > 1]
        unknown = [key for key in received if key not in expected]
        kinds = self.sql("SELECT kind, count(*) FROM outbox_messages GROUP BY kind ORDER BY kind")
        self.figure("emails queued (outbox) by kind", dict(kinds))
        self.figure("outbox by status", dict(sorted(statuses.items())),
                    set(statuses) == {"sent"})  # fmt: skip
        self.figure("emails received by the SMTP server", sum(received.values()))
        self.figure("emails lost (queued, never received)", len(lost), not lost)
        self.figure("emails received more than once (duplicates)", len(doubled), not doubled)
        self.figure("emails received that were never queued", len(unknown), not unknown)
        minutes = self.sql("SELECT count(*) FROM outbox_messages WHERE kind = 'minutes_final'")
        self.figure("minutes emails queued", minutes[0][0], minutes[0][0] > 0)
        for id_, _to, status, attempts, error in rows:
            if status != "sent" and error:
                print(f"  outbox {id_} {status} after {attempts}: {error[:150]}")

    # --- the whole rehearsal -----------------------------------------------------------

    def run(self) -> None:
        began = time.monotonic()
        people = self.start()
        set_up = time.monotonic() - began
        ledger = load.Ledger()
        journey_failures: list[str] = []
        coordinator = load.Client(self.base_url, people["coordinator"], ledger, "coordinator")
        session_id = load.schedule_session(coordinator, people["board_id"], 40, ZONE)
        doctors = [
            load.Doctor(load.Client(self.base_url, d["token"], ledger, d["email"]), CASES,
                        LOAD_SECONDS, journey_failures, number)
            for number, d in enumerate(people["doctors"])
        ]  # fmt: skip
        accepting = load.Coordinator(coordinator, doctors, journey_failures)
        chair = load.Chair(
            load.Client(self.base_url, people["coordinator"], ledger, "chair"), session_id,
            people["members"], journey_failures,
        )  # fmt: skip
        load_began = time.monotonic()
        for thread in (*doctors, accepting, chair):
            thread.start()
        chaos = threading.Thread(target=self.chaos, args=(load_began,), daemon=True)
        chaos.start()
        for thread in (*doctors, accepting):
            thread.join(LOAD_SECONDS + 120)
        chaos.join(120)
        load_seconds = time.monotonic() - load_began

        placing = time.monotonic()
        with contextlib.suppress(SetupError):
            self.wait_for("every accepted case to be placed", PLACE_TIMEOUT, lambda: not self.sql(
                "SELECT c.id FROM cases c WHERE c.status = 'accepted' AND NOT EXISTS"
                " (SELECT 1 FROM agenda_items a WHERE a.case_id = c.id)"))  # fmt: skip
        place_seconds = time.monotonic() - placing
        chair.go.set()
        chair.join(120)
        self.failures.extend(journey_failures)
        draining = time.monotonic()
        with contextlib.suppress(SetupError):
            self.wait_for("the outbox to be delivered", DRAIN_TIMEOUT, self.drained)
        time.sleep(1)  # the last message's line reaches the SMTP log
        drain_seconds = time.monotonic() - draining

        print()
        self.figure("set-up (database, accounts, 2 web, 2 schedulers, nginx, SMTP)",
                    f"{set_up:.0f} s")  # fmt: skip
        self.figure("load (doctors x cases, seconds)", f"{DOCTORS} x {CASES}, {load_seconds:.0f} s")
        self.figure("attachment store", STORE)
        self.check_requests(ledger)
        takeover = self.events.get("scheduler took over", 0) - self.events.get(
            "scheduler killed", 0
        )
        self.figure(f"scheduler takeover after kill -9 (bound {TAKEOVER_BOUND:.1f} s)",
                    f"{takeover:.1f} s", 0 < takeover <= TAKEOVER_BOUND)  # fmt: skip
        self.figure(
            "web server restarted and ready after",
            f"{self.events.get('web ready', 0) - self.events.get('web killed', 0):.1f} s",
        )
        self.figure("waited for placement", f"{place_seconds:.0f} s")
        self.figure("session held (then minutes finalised)", chair.held, bool(chair.held))
        self.check_placement(ledger)
        self.check_login_limits()
        self.check_attachments(ledger, people["coordinator"])
        self.figure("waited for the outbox", f"{drain_seconds:.0f} s")
        self.check_email()
        self.figure("drafts possibly left by retried creates", ledger.orphan_drafts)
        self.figure("total time", f"{time.monotonic() - began:.0f} s")

    def stop_all(self) -> None:
        for process in reversed(self.processes):
            process.stop()

    def print_figures(self) -> None:
        width = max(len(name) for name, _, _ in self.figures)
        print("\n== rehearsal figures")
        for name, value, ok in self.figures:
            print(f"  {'  ' if ok else '!!'} {name:<{width}}  {value}")

    def print_logs(self) -> None:
        for log in sorted(self.run_dir.rglob("*.log")):
            lines = log.read_text(errors="replace").splitlines()
            print(f"\n== tail of {log.relative_to(self.run_dir)}")
            print("\n".join(lines[-25:]))


class SetupError(RuntimeError):
    """The rehearsal could not get the service up (or waited too long)."""


def share(part: int, whole: int) -> str:
    return f"{part} of {whole} ({100 * part / whole:.1f} %)" if whole else f"{part} of 0"


def sleep_until(moment: float) -> None:
    time.sleep(max(0.0, moment - time.monotonic()))


def interrupted(*_: Any) -> None:
    """SIGTERM (CI's timeout, a Ctrl-C in another form): stop everything started."""
    raise KeyboardInterrupt


def main() -> int:
    if shutil.which("nginx") is None and not Path("/usr/sbin/nginx").exists():
        print("rehearsal: nginx is missing (apt-get install nginx-light)", file=sys.stderr)
        return 2
    run_dir = Path(tempfile.mkdtemp(prefix="telemed-rehearsal-"))
    run_dir.chmod(0o755)  # nginx's workers (nobody) reach their temp folders inside
    rehearsal = Rehearsal(run_dir)
    signal.signal(signal.SIGTERM, interrupted)
    print(
        f"rehearsal: nginx on {rehearsal.base_url}, web servers on "
        f"{', '.join(map(str, rehearsal.web_ports.values()))}, logs in {run_dir}",
        flush=True,
    )
    try:
        rehearsal.run()
    except (SetupError, load.JourneyError, KeyboardInterrupt) as err:
        rehearsal.failures.append(f"{type(err).__name__}: {err}")
    finally:
        rehearsal.stop_all()
    rehearsal.print_figures()
    if rehearsal.failures:
        rehearsal.print_logs()
        print("\nREHEARSAL FAILED:")
        for failure in rehearsal.failures:
            print(f"  - {failure}")
        print(f"(logs kept in {run_dir})")
        return 1
    print("\nrehearsal passed: no request lost outside the kill window, nothing lost or doubled")
    if KEEP:
        print(f"(logs kept in {run_dir})")
    else:
        shutil.rmtree(run_dir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
