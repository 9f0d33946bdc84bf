"""Screenshots of the doctors' journey, in Spanish, at 1366 and 390 px wide (issue 17).

    .venv/bin/python docs/screenshots/capture.py OUTDIR [--port N] [--app-dir DIR]

Starts the service of ``--app-dir`` (default: this checkout) as ``make run`` does, but on a
fresh SQLite database in a temporary folder (never the checkout's ``instance/``), logs in
as the demo accounts and saves ``<page>-1366.png`` and ``<page>-390.png`` full-page shots
plus ``heights.txt`` (each page's full height, and its width when it overflows sideways).
The same script on two commits gives comparable before/after pictures: the objects shown
are chosen by querying the database the demo data was written to, never by fixed ids.
The server is stopped at the end, whatever happens.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright
from playwright.sync_api import Error as PlaywrightError

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"  # Debian's; a downloaded browser is never used
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
WIDTHS = ((1366, 768), (390, 844))
PASSWORD = "demo1234"  # the demo accounts' (README, development only)
REFERRING = "referente@demo.telemed.mx"
COORDINATOR = "coordinador@demo.telemed.mx"
ADMIN = "admin@demo.telemed.mx"
CASES, YEARS = 600, 2  # `make run` generates 3,000 over 3 years: a minute instead of seconds
START_SECONDS = 60
TIMEOUT_MS = 30_000
# The smallest file the service accepts as a PDF (it checks the content, not the name).
PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 612 792]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


class CaptureError(RuntimeError):
    """The service could not be prepared or started; the message says where to look."""


@dataclass(frozen=True)
class Choices:
    """The objects the journey shows, found in the demo data."""

    case_id: int
    case_has_files: bool
    board_id: int
    session_id: int  # the next session with an agenda: session page and room
    minutes_session_id: int  # a held session of the same board: its minutes, made final


@dataclass(frozen=True)
class Shot:
    name: str
    path: str


@dataclass
class Journey:
    """One demo account's pages, and what it does first so that they show something."""

    email: str | None  # None: not logged in
    shots: list[Shot]
    prepare: Callable[[Page], None] | None = None


@dataclass
class Report:
    lines: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


# --- the service -------------------------------------------------------------------------


def free_port() -> int:
    with closing(socket.socket()) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def service_env(instance: Path, port: int) -> dict[str, str]:
    """A development start whose every file lives in ``instance`` (the caller's own
    ``TELEMED_*`` settings are dropped so that they cannot point elsewhere)."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("TELEMED_")}
    env.update(
        TELEMED_ENV="development",
        TELEMED_INSTANCE_PATH=str(instance),
        TELEMED_DATABASE_URL=f"sqlite:///{instance / 'telemed.sqlite3'}",
        TELEMED_BASE_URL=f"http://127.0.0.1:{port}",
        TELEMED_LOG_LEVEL="WARNING",
    )
    return env


def flask(app_dir: Path, env: dict[str, str], args: Sequence[str], log: Path) -> None:
    """One ``flask --app wsgi`` command of ``app_dir`` (its own code, this interpreter)."""
    with log.open("a") as out:
        done = subprocess.run(
            [sys.executable, "-m", "flask", "--app", "wsgi", *args],
            cwd=app_dir, env=env, stdout=out, stderr=subprocess.STDOUT, check=False,
        )  # fmt: skip
    if done.returncode != 0:
        raise CaptureError(f"flask {' '.join(args)} failed; see {log}")


def compile_translations(app_dir: Path, log: Path) -> None:
    """The ``.mo`` catalogues are built, not committed (``make run`` builds them too)."""
    pybabel = Path(sys.executable).parent / "pybabel"
    for catalogue in sorted((app_dir / "telemed" / "translations").glob("*/LC_MESSAGES/*.po")):
        with log.open("a") as out:
            subprocess.run(
                [str(pybabel), "compile", "--use-fuzzy", "-i", str(catalogue),
                 "-o", str(catalogue.with_suffix(".mo"))],
                stdout=out, stderr=subprocess.STDOUT, check=True,
            )  # fmt: skip


def wait_until_up(base_url: str, server: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise CaptureError(f"the server stopped at start-up; see {log}")
        try:
            with urllib.request.urlopen(f"{base_url}/healthz", timeout=2) as answer:
                if answer.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    raise CaptureError(f"the server did not answer within {START_SECONDS} s; see {log}")


@contextmanager
def running_service(
    app_dir: Path, port: int, instance: Path, cases: int, years: int
) -> Iterator[str]:
    """Demo data loaded, the development server up (no embedded scheduler: the data stays
    as loaded while the pictures are taken); yields its base URL and stops it after."""
    log = instance / "service.log"
    env = service_env(instance, port)
    compile_translations(app_dir, log)
    flask(app_dir, env, ["db", "upgrade"], log)
    flask(app_dir, env, ["demo", "load"], log)
    generate = ["demo", "generate", "--cases", str(cases), "--years", str(years), "--if-empty"]
    flask(app_dir, env, generate, log)
    base_url = f"http://127.0.0.1:{port}"
    with log.open("a") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "wsgi", "serve", "--host", "127.0.0.1",
             "--port", str(port), "--no-scheduler"],
            cwd=app_dir, env=env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        wait_until_up(base_url, server, log)
        yield base_url
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


# --- what to show ------------------------------------------------------------------------


def one(db: sqlite3.Connection, what: str, sql: str, *params: Any) -> int:
    row = db.execute(sql, params).fetchone()
    if row is None:
        raise CaptureError(f"the demo data has no {what}")
    value: int = row[0]
    return value


def choose(database: Path) -> Choices:
    """The referring doctor's most recently recommended case (files may be added while it is
    open); the next session with an agenda of the board with most open agreements (the
    room's follow-up at its longest); that board's most recent held session with cases."""
    with closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True)) as db:
        case_id = one(
            db, "case with a recommendation at the referring doctor's centre",
            """SELECT c.id FROM cases c JOIN recommendations r ON r.case_id = c.id
               WHERE c.centre_id = (SELECT centre_id FROM users WHERE email = ?)
               ORDER BY c.status = 'recommendation_issued' DESC, r.recorded_at DESC""",
            REFERRING,
        )  # fmt: skip
        files = one(db, "attachment count", "SELECT count(*) FROM attachments WHERE case_id = ?",
                    case_id)  # fmt: skip
        session_id = one(
            db, "planned session with an agenda",
            """SELECT s.id FROM board_sessions s
               WHERE s.status = 'planned'
                 AND EXISTS (SELECT 1 FROM agenda_items a WHERE a.session_id = s.id)
               ORDER BY (SELECT count(*) FROM agreements g
                         WHERE g.board_id = s.board_id AND g.done_at IS NULL) DESC,
                        s.starts_at""",
        )  # fmt: skip
        board_id = one(db, "board", "SELECT board_id FROM board_sessions WHERE id = ?",
                       session_id)  # fmt: skip
        minutes_session_id = one(
            db, "held session with recommendations",
            """SELECT s.id FROM board_sessions s
               WHERE s.status = 'held'
                 AND EXISTS (SELECT 1 FROM recommendations r WHERE r.session_id = s.id)
               ORDER BY s.board_id = ? DESC, s.starts_at DESC""",
            board_id,
        )  # fmt: skip
    return Choices(case_id, files > 0, board_id, session_id, minutes_session_id)


# --- the browser -------------------------------------------------------------------------


def log_in(context: BrowserContext, email: str) -> Page:
    page = context.new_page()
    page.goto("/auth/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.click("form button[type=submit]")
    if "/auth/login" in page.url:
        raise CaptureError(f"could not log in as {email}")
    return page


def submit(page: Page, form_selector: str) -> bool:
    """Submit the page's form (accepting any confirmation); False when there is none."""
    form = page.locator(form_selector)
    if form.count() == 0:
        return False
    with page.expect_navigation():
        form.first.locator("button[type=submit]").first.click()
    return True


def attach_file(case_id: int) -> Callable[[Page], None]:
    """The referring doctor adds a PDF, so the case page shows an attachment row."""

    def run(page: Page) -> None:
        page.goto(f"/cases/{case_id}")
        form = page.locator("form[action$='/attachments']")
        if form.count() == 0:
            print(f"case {case_id}: no upload form; shown without attachments", file=sys.stderr)
            return
        form.first.locator("input[type=file]").set_input_files(
            {"name": "informe-patologia.pdf", "mimeType": "application/pdf", "buffer": PDF}
        )
        submit(page, "form[action$='/attachments']")

    return run


def finalise_minutes(session_id: int) -> Callable[[Page], None]:
    """The coordinator finalises the minutes (unless already final), as after a meeting."""

    def run(page: Page) -> None:
        page.goto(f"/sessions/{session_id}/minutes")
        if not submit(page, "form[action$='/minutes/finalise']"):
            print(f"session {session_id}: no finalise form (already final?)", file=sys.stderr)

    return run


def journeys(chosen: Choices) -> list[Journey]:
    referring = [
        Shot("cases", "/cases/"),
        Shot("case-new", "/cases/new"),
        Shot("case", f"/cases/{chosen.case_id}"),
    ]
    coordinator = [
        Shot("board", f"/boards/{chosen.board_id}"),
        Shot("session", f"/sessions/{chosen.session_id}"),
        Shot("room", f"/sessions/{chosen.session_id}/room"),
        Shot("minutes", f"/sessions/{chosen.minutes_session_id}/minutes"),
        Shot("referrals", "/referrals"),
        Shot("dashboard", "/boards/dashboard"),
    ]
    upload = None if chosen.case_has_files else attach_file(chosen.case_id)
    return [
        Journey(None, [Shot("login", "/auth/login")]),
        Journey(REFERRING, referring, upload),
        Journey(COORDINATOR, coordinator, finalise_minutes(chosen.minutes_session_id)),
        Journey(ADMIN, [Shot("figures", "/reports/")]),
    ]


def take(page: Page, shot: Shot, outdir: Path, fmt: str, max_height: int, report: Report) -> None:
    """The page at each width: a full-page picture and its size (a page that fails leaves
    no picture from an earlier run behind)."""
    for old in outdir.glob(f"{shot.name}-[0-9]*.*"):
        old.unlink()
    sizes = []
    for width, height in WIDTHS:
        page.set_viewport_size({"width": width, "height": height})
        answer = page.goto(shot.path, wait_until="networkidle")
        status = answer.status if answer is not None else 0
        if status >= 400:
            report.skipped.append(f"{shot.name} ({shot.path}): HTTP {status}")
            return
        full_height, full_width = page.evaluate(
            "() => [document.documentElement.scrollHeight, document.documentElement.scrollWidth]"
        )
        options: dict[str, Any] = {"full_page": True, "type": fmt}
        if fmt == "jpeg":
            options["quality"] = 70
        if max_height and full_height > max_height:
            options["clip"] = {"x": 0, "y": 0, "width": full_width, "height": max_height}
        extension = "jpg" if fmt == "jpeg" else "png"
        page.screenshot(path=str(outdir / f"{shot.name}-{width}.{extension}"), **options)
        wide = f" ({full_width} px wide)" if full_width > width else ""
        sizes.append(f"{width}: {full_height} px{wide}")
    report.lines.append(f"{shot.name:<10} {shot.path:<28} " + "   ".join(sizes))


def capture(base_url: str, chosen: Choices, outdir: Path, fmt: str, max_height: int) -> Report:
    report = Report()
    with sync_playwright() as playwright:
        browser: Browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, timeout=TIMEOUT_MS
        )
        try:
            for journey in journeys(chosen):
                context = browser.new_context(
                    base_url=base_url, locale="es-MX", timezone_id="America/Mexico_City",
                    viewport={"width": WIDTHS[0][0], "height": WIDTHS[0][1]},
                )  # fmt: skip
                context.set_default_timeout(TIMEOUT_MS)
                page = log_in(context, journey.email) if journey.email else context.new_page()
                page.on("dialog", lambda dialog: dialog.accept())
                if journey.prepare is not None:
                    try:
                        journey.prepare(page)
                    except PlaywrightError as err:  # the pages are taken as they are
                        report.skipped.append(f"preparing {journey.email}'s pages: {err.message}")
                for shot in journey.shots:
                    try:
                        take(page, shot, outdir, fmt, max_height, report)
                    except PlaywrightError as err:
                        report.skipped.append(f"{shot.name} ({shot.path}): {err.message}")
                context.close()
        finally:
            browser.close()
    return report


def write_heights(outdir: Path, app_dir: Path, chosen: Choices, report: Report, demo: str) -> None:
    commit = subprocess.run(
        ["git", "-C", str(app_dir), "rev-parse", "--short", "HEAD"],
        capture_output=True, text=True, check=False,
    ).stdout.strip()  # fmt: skip
    lines = [
        f"Full page height at each width (viewports {WIDTHS[0]} and {WIDTHS[1]}), es-MX,",
        f"commit {commit or 'unknown'}, demo data: {demo};",
        "'N px wide' means the page overflows sideways.",
        f"Shown: {chosen}",
        "",
        *report.lines,
        *(f"skipped: {line}" for line in report.skipped),
    ]
    (outdir / "heights.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("outdir", type=Path)
    parser.add_argument("--port", type=int, default=0, help="default: any free port")
    parser.add_argument("--app-dir", type=Path, default=REPO, help="checkout to run")
    parser.add_argument("--cases", type=int, default=CASES, help="synthetic cases to generate")
    parser.add_argument("--years", type=int, default=YEARS, help="over this many years")
    parser.add_argument("--format", choices=("png", "jpeg"), default="png")
    parser.add_argument("--max-height", type=int, default=0, help="clip taller pages (px)")
    args = parser.parse_args(argv)
    outdir: Path = args.outdir.resolve()
    outdir.mkdir(parents=True, exist_ok=True)
    app_dir: Path = args.app_dir.resolve()
    with tempfile.TemporaryDirectory(prefix="telemed-shots-") as temp:
        instance = Path(temp)
        try:
            port = args.port or free_port()
            with running_service(app_dir, port, instance, args.cases, args.years) as base_url:
                chosen = choose(instance / "telemed.sqlite3")
                report = capture(base_url, chosen, outdir, args.format, args.max_height)
        except CaptureError as err:
            log = instance / "service.log"
            print(log.read_text(errors="replace")[-4000:] if log.exists() else "", file=sys.stderr)
            print(f"capture.py: {err}", file=sys.stderr)
            return 2
    write_heights(outdir, app_dir, chosen, report, f"{args.cases} cases over {args.years} years")
    print((outdir / "heights.txt").read_text(encoding="utf-8"))
    return 1 if report.skipped else 0


if __name__ == "__main__":
    sys.exit(main())
