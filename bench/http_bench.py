"""Requests per second of the service against the framework's floor, under ``wrk``.

Run from the project root (needs PostgreSQL on 127.0.0.1 and Debian's ``wrk``)::

    .venv/bin/python bench/http_bench.py                         # 100,000 cases, 3 rounds of 10 s
    .venv/bin/python bench/http_bench.py --cases 10000 --duration 2 --rounds 1   # a quick try
    .venv/bin/python bench/http_bench.py --database other --only cases_coordinator healthz

What it does:

1. makes the database (``--database``, default ``bench``) if missing, migrates it, loads the
   demo network and generates ``--cases`` cases with ``flask demo generate`` unless it
   already holds that many (then reused as is; fewer: dropped and generated again), and
   sets ``random_page_cost = 1.1`` as the README's deployment does, and runs
   ``VACUUM ANALYZE``;
2. starts the service (``wsgi:app``, production settings, JSON access log, metrics in
   multiprocess mode as deployed) and the bare app (``bench/bare_app.py``, answering from
   memory the 50 rows the service's case list answered) under the same gunicorn settings
   (``--workers 2``, sync workers);
3. makes API tokens for the demo coordinator and the demo referring doctor, and logs the
   coordinator in for the HTML page;
4. runs ``wrk -t2 -c16 -d<duration>s --latency`` on the bare route and on each request in
   turn, ``--rounds`` times, and prints per request the median req/s, its ratio to the bare
   run just before it, the p99 latency of both, and whether the issue's target is met.

Only the two gunicorn servers it started are stopped at the end.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
import requests

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin"
COORDINATOR = "coordinador@demo.telemed.mx"
REFERRING = "referente@demo.telemed.mx"
DEMO_PASSWORD = "demo1234"  # telemed.demo.DEMO_PASSWORD


@dataclass(frozen=True)
class Target:
    """What the issue asks of one request: a ratio to the bare route's req/s, and
    optionally a p99 no worse than ``p99_times`` the bare route's."""

    ratio: float | None
    p99_times: float | None = None

    def met(self, ratio: float, p99: float, bare_p99: float) -> bool | None:
        if self.ratio is None:
            return None
        ok = ratio >= self.ratio
        if self.p99_times is not None:
            ok = ok and p99 < self.p99_times * bare_p99
        return ok

    def describe(self) -> str:
        if self.ratio is None:
            return "-"
        text = f"≥ {self.ratio:g}"
        return text + (f", p99 < {self.p99_times:g}× bare" if self.p99_times else "")


@dataclass(frozen=True)
class Request:
    name: str
    path: str
    who: str  # "coordinator", "referring", "cookie" (the coordinator's browser) or ""
    target: Target


REQUESTS = (
    Request("cases_coordinator", "/api/v1/cases?per_page=50", "coordinator", Target(0.5)),
    Request("cases_referring", "/api/v1/cases?per_page=50", "referring", Target(0.5)),
    Request("cases_html", "/cases/", "cookie", Target(0.4)),
    Request("sessions", "/api/v1/sessions", "coordinator", Target(0.5)),
    Request("sessions_referring", "/api/v1/sessions", "referring", Target(None)),
    Request("healthz", "/healthz", "", Target(None)),
    # The floor of every API request: the token checked (one statement) and nothing else.
    Request("me", "/api/v1/me", "coordinator", Target(None)),
    Request("stats", "/api/v1/stats", "coordinator", Target(0.3, p99_times=10)),
    Request("figures_html", "/reports/overview", "cookie", Target(0.3, p99_times=10)),
)


@dataclass
class Run:
    rps: float
    p99_ms: float
    errors: int


@dataclass
class Figures:
    runs: list[tuple[Run, Run]] = field(default_factory=list)  # (request, bare before it)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", default="bench", help="PostgreSQL database (scratch)")
    parser.add_argument("--server", default="postgres@127.0.0.1:5432", help="user@host:port")
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--worker-class", default="sync")
    parser.add_argument("--only", nargs="*", help="request names (default: all)")
    parser.add_argument("--log-level", default="INFO", help="the service's (INFO: access lines)")
    return parser.parse_args()


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Bench:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.work = Path(tempfile.mkdtemp(prefix="telemed-http-bench-"))
        self.port, self.bare_port = free_port(), free_port()
        self.processes: list[subprocess.Popen[bytes]] = []
        self.db_url = f"postgresql+psycopg://{args.server}/{args.database}"
        self.env = self.app_env()

    # --- the database ---------------------------------------------------------------

    def app_env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("TELEMED_")}
        metrics_dir = self.work / "metrics"
        metrics_dir.mkdir()
        env.update(
            TELEMED_ENV="production",
            TELEMED_SECRET_KEY=secrets.token_hex(32),
            TELEMED_DATABASE_URL=self.db_url,
            TELEMED_BASE_URL=f"http://127.0.0.1:{self.port}",
            TELEMED_SECURE_COOKIES="false",
            TELEMED_REQUIRE_2FA_ROLES="none",
            TELEMED_INSTANCE_PATH=str(self.work / "instance"),
            TELEMED_LOG_LEVEL=self.args.log_level,
            PROMETHEUS_MULTIPROC_DIR=str(metrics_dir),
            PYTHONPATH=str(ROOT),
        )
        return env

    def sql(self, database: str, query: str) -> list[tuple[Any, ...]]:
        with psycopg.connect(f"postgresql://{self.args.server}/{database}", autocommit=True) as c:
            cursor = c.execute(query)  # type: ignore[arg-type]
            return list(cursor.fetchall()) if cursor.description else []

    def flask(self, *args: str) -> str:
        result = subprocess.run(
            [str(BIN / "flask"), "--app", "wsgi", *args],
            env=self.env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            raise SystemExit(f"flask {' '.join(args)} failed:\n{result.stderr[-3000:]}")
        return result.stdout

    def prepare_database(self) -> None:
        name = self.args.database
        exists = self.sql("postgres", f"SELECT 1 FROM pg_database WHERE datname = '{name}'")
        cases = 0
        if exists:
            with contextlib.suppress(psycopg.errors.UndefinedTable):
                cases = int(self.sql(name, "SELECT count(*) FROM cases")[0][0])
        if exists and 0 < cases < self.args.cases:
            print(f"{name} holds {cases:,} cases, fewer than {self.args.cases:,}: dropping it")
            self.sql("postgres", f'DROP DATABASE "{name}" WITH (FORCE)')
            exists, cases = False, 0
        if not exists:
            self.sql("postgres", f'CREATE DATABASE "{name}"')
        self.flask("db", "upgrade")
        self.flask("demo", "load", "--create-known-passwords-in-production")
        if cases == 0:
            began = time.perf_counter()
            print(f"Generating {self.args.cases:,} cases in {name} …", flush=True)
            self.flask(
                "demo",
                "generate",
                "--cases",
                str(self.args.cases),
                "--mix-synthetic-cases-into-production",
            )
            print(f"  done in {time.perf_counter() - began:.0f} s")
        else:
            print(f"Reusing {name}: {cases:,} cases")
        # As the README's deployment sets it (the planner's cost of following an index).
        self.sql("postgres", f'ALTER DATABASE "{name}" SET random_page_cost = 1.1')
        self.sql(name, "VACUUM ANALYZE")

    def make_tokens(self) -> dict[str, str]:
        script = (
            "import json\n"
            "from sqlalchemy import select\n"
            "from telemed import create_app\n"
            "from telemed.auth import tokens\n"
            "from telemed.auth.models import User\n"
            "from telemed.core.transaction import unit_of_work\n"
            "from telemed.extensions import db\n"
            "app = create_app()\n"
            "with app.app_context(), unit_of_work():\n"
            "    out = {}\n"
            f"    for who, email in (('coordinator', {COORDINATOR!r}), "
            f"('referring', {REFERRING!r})):\n"
            "        user = db.session.scalar(select(User).where(User.email == email))\n"
            "        out[who] = tokens.create_token(user, 'http bench')[1]\n"
            "    print(json.dumps(out))\n"
        )
        result = subprocess.run(
            [str(BIN / "python"), "-c", script],
            env=self.env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        )
        made: dict[str, str] = json.loads(result.stdout.strip().splitlines()[-1])
        return made

    # --- the servers ------------------------------------------------------------------

    def gunicorn(self, name: str, port: int, app: str, env: dict[str, str]) -> None:
        argv = [
            str(BIN / "gunicorn"),
            "--workers",
            str(self.args.workers),
            "--worker-class",
            self.args.worker_class,
            "--bind",
            f"127.0.0.1:{port}",
            "--timeout",
            "60",
            app,
        ]
        log = (self.work / f"{name}.log").open("ab")
        self.processes.append(
            subprocess.Popen(
                argv,
                env=env,
                cwd=ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with contextlib.suppress(requests.RequestException):
                if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=2).ok:
                    return
            time.sleep(0.3)
        raise SystemExit(f"{name} did not start; see {self.work / (name + '.log')}")

    def stop(self) -> None:
        for process in self.processes:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes:
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=10)

    def login_cookie(self) -> str:
        """The coordinator's browser: the login form, its CSRF token, the cookie."""
        browser = requests.Session()
        base = f"http://127.0.0.1:{self.port}"
        form = browser.get(f"{base}/auth/login", timeout=10).text
        found = re.search(r'name="csrf_token" value="([^"]+)"', form)
        if found is None:
            raise SystemExit("no CSRF token on the login page")
        answer = browser.post(
            f"{base}/auth/login",
            timeout=10,
            allow_redirects=False,
            data={"csrf_token": found.group(1), "email": COORDINATOR, "password": DEMO_PASSWORD},
        )
        if answer.status_code != 302:
            raise SystemExit(f"logging in answered {answer.status_code}")
        return "; ".join(f"{k}={v}" for k, v in browser.cookies.items())

    # --- wrk --------------------------------------------------------------------------

    def wrk(self, url: str, headers: dict[str, str]) -> Run:
        argv = [
            "wrk",
            f"-t{self.args.threads}",
            f"-c{self.args.connections}",
            f"-d{self.args.duration}s",
            "--latency",
        ]
        for key, value in headers.items():
            argv += ["-H", f"{key}: {value}"]
        out = subprocess.run([*argv, url], capture_output=True, text=True, check=True).stdout
        rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
        p99 = re.search(r"\s99%\s+([\d.]+)(us|ms|s)\b", out)
        scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}
        p99_ms = float(p99.group(1)) * scale[p99.group(2)] if p99 else float("nan")
        bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
        socket_errors = re.search(r"Socket errors:.*?timeout (\d+)", out)
        errors = (int(bad.group(1)) if bad else 0) + (
            int(socket_errors.group(1)) if socket_errors else 0
        )
        return Run(rps, p99_ms, errors)

    def settle(self, base: str) -> None:
        """Wait for the requests wrk left queued (a slow endpoint's backlog) to be served,
        so that they do not eat into the next run: a probe queues behind them."""
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            with contextlib.suppress(requests.RequestException):
                if requests.get(f"{base}/healthz", timeout=30).ok:
                    return
        raise SystemExit("the service did not drain its queue in 5 minutes")

    def run(self) -> int:
        if shutil.which("wrk") is None:
            raise SystemExit("wrk is missing: apt-get install -y wrk")
        self.prepare_database()
        made = self.make_tokens()
        self.gunicorn("service", self.port, "wsgi:app", self.env)
        base = f"http://127.0.0.1:{self.port}"
        auth = {who: {"Authorization": f"Bearer {secret}"} for who, secret in made.items()}
        auth["cookie"] = {"Cookie": self.login_cookie()}
        auth[""] = {}
        rows = requests.get(
            f"{base}/api/v1/cases?per_page=50", headers=auth["coordinator"], timeout=30
        ).json()["items"]
        rows_file = self.work / "rows.json"
        rows_file.write_text(json.dumps(rows))
        bare_env = {**os.environ, "BENCH_ROWS_FILE": str(rows_file), "PYTHONPATH": str(ROOT)}
        self.gunicorn("bare", self.bare_port, "bench.bare_app:app", bare_env)
        bare_url = f"http://127.0.0.1:{self.bare_port}/bare"
        size = len(requests.get(bare_url, timeout=10).content)
        print(
            f"Bare route: {len(rows)} rows, {size:,} bytes. wrk -t{self.args.threads} "
            f"-c{self.args.connections} -d{self.args.duration}s, {self.args.rounds} round(s), "
            f"gunicorn --workers {self.args.workers} ({self.args.worker_class})\n"
        )

        chosen = [r for r in REQUESTS if not self.args.only or r.name in self.args.only]
        for request in chosen:  # each answers 200 before it is measured
            answer = requests.get(base + request.path, headers=auth[request.who], timeout=60)
            if answer.status_code != 200:
                raise SystemExit(f"{request.name}: {answer.status_code} {answer.text[:300]}")
        figures = {request.name: Figures() for request in chosen}
        for number in range(1, self.args.rounds + 1):
            for request in chosen:
                bare = self.wrk(bare_url, {})
                mine = self.wrk(base + request.path, auth[request.who])
                self.settle(base)
                figures[request.name].runs.append((mine, bare))
                print(
                    f"round {number}  {request.name:<20} {mine.rps:9.0f} req/s  "
                    f"bare {bare.rps:9.0f}  ratio {mine.rps / bare.rps:5.2f}",
                    flush=True,
                )
        return self.report(chosen, figures)

    def report(self, chosen: list[Request], figures: dict[str, Figures]) -> int:
        print()
        header = (
            f"{'request':<20} {'req/s':>8} {'bare':>8} {'ratio':>6} {'p99 ms':>8} "
            f"{'bare p99':>9} {'errors':>6}  target"
        )
        print(header)
        print("-" * len(header))
        missed = 0
        for request in chosen:
            runs = figures[request.name].runs
            rps = statistics.median(mine.rps for mine, _ in runs)
            bare = statistics.median(b.rps for _, b in runs)
            ratio = statistics.median(mine.rps / b.rps for mine, b in runs)
            p99 = statistics.median(mine.p99_ms for mine, _ in runs)
            bare_p99 = statistics.median(b.p99_ms for _, b in runs)
            errors = sum(mine.errors for mine, _ in runs)
            met = request.target.met(ratio, p99, bare_p99)
            verdict = "" if met is None else ("met" if met and not errors else "NOT MET")
            missed += verdict == "NOT MET"
            print(
                f"{request.name:<20} {rps:8.0f} {bare:8.0f} {ratio:6.2f} {p99:8.1f} "
                f"{bare_p99:9.1f} {errors:6d}  {request.target.describe()} {verdict}"
            )
        print(f"\n(medians of {self.args.rounds} round(s); logs in {self.work})")
        return 1 if missed else 0


def main() -> int:
    bench = Bench(parse_args())
    try:
        return bench.run()
    finally:
        bench.stop()


if __name__ == "__main__":
    sys.exit(main())
