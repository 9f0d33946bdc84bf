"""Command-line tools: ``flask users ...``, ``flask demo ...``, ``flask stats ...``,
``flask attachments migrate`` and ``flask simulate``."""

from __future__ import annotations

import time

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from sqlalchemy import func, select
from werkzeug.serving import WSGIRequestHandler, run_simple

from telemed.auth import second_factor, tokens
from telemed.auth import service as users_service
from telemed.auth.models import Discipline, Role
from telemed.cases import storage
from telemed.cases.models import Case
from telemed.core.errors import InputError
from telemed.core.transaction import in_transaction
from telemed.extensions import db
from telemed.reports import rollups
from telemed.simulation.command import simulate_command

users_cli = AppGroup("users", help="Manage accounts.")
demo_cli = AppGroup("demo", help="Demo data.")


def fail(err: InputError) -> None:
    for field, messages in err.errors.items():
        click.echo(f"{field}: {' '.join(messages)}", err=True)
    raise SystemExit(2)


@users_cli.command("create")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--role", required=True, type=click.Choice([r.value for r in Role]))
@click.option("--centre", "centre_code", help="Centre code (referring doctors).")
@click.option("--discipline", type=click.Choice([d.value for d in Discipline]))
@click.password_option(help="Prompted for when not given.")
@in_transaction
def create_user(
    email: str, name: str, role: str, centre_code: str | None, discipline: str | None,
    password: str,
) -> None:  # fmt: skip
    """Create an account."""
    data = {
        "email": email, "name": name, "role": role, "centre_code": centre_code,
        "discipline": discipline, "password": password,
    }  # fmt: skip
    try:
        user = users_service.create_user(None, data)
    except InputError as err:
        fail(err)
    else:
        click.echo(f"Created {user.email} ({user.role.value}).")


@users_cli.command("token")
@click.argument("email")
@click.option("--name", default="CLI", help="What the token is for.")
@in_transaction
def create_token(email: str, name: str) -> None:
    """Create a personal API token and print it (shown only this once)."""
    user = users_service.find_by_email(email)
    if user is None or not user.active:
        click.echo(f"No active account for {email}.", err=True)
        raise SystemExit(2)
    _token, secret = tokens.create_token(user, name)
    click.echo(secret)


# Demo data in production must be asked for by a flag that says what it does.
FORCE_DEMO_ACCOUNTS = "--create-known-passwords-in-production"
FORCE_SYNTHETIC_CASES = "--mix-synthetic-cases-into-production"


def refuse_in_production(what: str, flag: str, forced: bool) -> None:
    """Stop, changing nothing, when a demo command runs in production without its flag."""
    if current_app.config.get("ENV_NAME") == "production" and not forced:
        click.echo(f"Refusing in production: this {what}; add {flag} to do it anyway.", err=True)
        raise SystemExit(2)


@users_cli.command("reset-2fa")
@click.argument("email")
@in_transaction
def reset_second_factor(email: str) -> None:
    """Remove an account's second factor and end its logins (the last administrator lost
    their phone and recovery codes); they set it up again at the next login."""
    user = users_service.find_by_email(email)
    if user is None:
        click.echo(f"No account for {email}.", err=True)
        raise SystemExit(2)
    second_factor.reset(None, user)
    click.echo(f"Second factor of {user.email} removed; their sessions ended.")


@demo_cli.command("load")
@click.option(
    FORCE_DEMO_ACCOUNTS, "forced", is_flag=True,
    help="In production: create the demo accounts, whose password is published, anyway.",
)  # fmt: skip
@in_transaction
def load_demo(forced: bool) -> None:
    """Load the demo centres and accounts (idempotent)."""
    from telemed.demo import load_demo_data

    refuse_in_production(
        "creates demo accounts whose password is published", FORCE_DEMO_ACCOUNTS, forced
    )

    created = load_demo_data()
    summary = ", ".join(f"{count} {kind}" for kind, count in created.items()) or "nothing"
    click.echo(f"Demo data loaded: created {summary}.")


@demo_cli.command("generate")
@click.option("--cases", "cases", type=int, required=True, help="How many cases (1 to 1,000,000).")
@click.option(
    "--years", type=int, default=8, show_default=True, help="Spread over this many years."
)
@click.option("--seed", type=int, default=1, show_default=True, help="Same seed, same data.")
@click.option("--if-empty", is_flag=True, help="Do nothing when the database holds cases.")
@click.option(
    FORCE_SYNTHETIC_CASES, "forced", is_flag=True,
    help="In production: add synthetic cases, boards and accounts to the real ones anyway.",
)  # fmt: skip
@in_transaction
def generate_demo(cases: int, years: int, seed: int, if_empty: bool, forced: bool) -> None:
    """Synthetic cases with their sessions and outcomes, for load tests (one transaction
    per chunk of cases: an interrupted run keeps whole chunks)."""
    from telemed.synthetic.generate import generate, validate

    refuse_in_production(
        "adds synthetic cases and accounts to the real ones", FORCE_SYNTHETIC_CASES, forced
    )

    if if_empty and db.session.scalar(select(func.count()).select_from(Case)):
        click.echo("The database already holds cases: nothing generated.")
        return
    try:
        validate(cases, years)
        with click.progressbar(length=cases, label="Generating cases") as bar:
            summary = generate(cases, years, seed, progress=bar.update)
    except InputError as err:
        fail(err)
    else:
        for table, rows in summary.rows.items():
            click.echo(f"{table:>16}: {rows:>10,}")
        click.echo(f"Done in {summary.seconds:.1f} s.")
        began = time.perf_counter()
        months = rollups.refresh()
        click.echo(
            f"Dashboard: {months} month(s) rolled up in {time.perf_counter() - began:.1f} s."
        )


stats_cli = AppGroup("stats", help="The dashboard's monthly roll-ups.")


@stats_cli.command("refresh")
@click.option("--rebuild", is_flag=True, help="Forget every roll-up first (after bulk imports).")
@in_transaction
def refresh_stats(rebuild: bool) -> None:
    """Roll up every closed month not rolled up yet (the scheduler does it every 15 minutes)."""
    began = time.perf_counter()
    if rebuild:
        rollups.forget_all()
    months = rollups.refresh()
    seconds = time.perf_counter() - began
    click.echo(f"{months} month(s) rolled up (counted once per time zone) in {seconds:.1f} s.")


schedule_cli = AppGroup("schedule", help="Run scheduling work now (the scheduler does it too).")


@schedule_cli.command("run")
@in_transaction
def run_scheduling() -> None:
    """Every scheduler job once (``telemed.schedule.JOBS``, the scheduler's own table)."""
    from telemed import schedule

    for entry in schedule.JOBS:
        click.echo(f"{entry.summary}: {schedule.describe(entry.run())}")


attachments_cli = AppGroup("attachments", help="Attachment bytes and their store.")


@attachments_cli.command("migrate")
@click.option(
    "--to", "to", required=True, type=click.Choice(["database", "local"]),
    help="The store to copy into (the other one is the source).",
)  # fmt: skip
@click.option(
    "--delete-source", is_flag=True,
    help="Then remove from the source the bytes whose copy was checked.",
)  # fmt: skip
@in_transaction
def migrate_attachments(to: str, delete_source: bool) -> None:
    """Copy every attachment's bytes into another store (database: shared by every web
    server; local: TELEMED_ATTACHMENT_DIR), checking each SHA-256. Running it again copies
    nothing; the source is kept unless --delete-source. Then switch TELEMED_ATTACHMENT_STORE
    to the new store and run it again: it copies what was uploaded in between."""
    report = storage.migrate(to, delete_source=delete_source)
    for failure in report.failures:
        click.echo(f"FAILED {failure}", err=True)
    click.echo(f"Attachments to {to}: {report.summary()}.")
    if report.failures:
        click.echo("Some attachments were not moved (see above); nothing of theirs was deleted.")
        raise SystemExit(1)


class QuietRequestHandler(WSGIRequestHandler):
    """Werkzeug's handler without "Werkzeug/x.y Python/x.y" in the ``Server`` header: the
    versions only help an attacker pick an exploit."""

    def version_string(self) -> str:
        return "telemed"


@click.command("serve")
@click.option("--host", default="127.0.0.1")
@click.option("--port", default=5000, type=int)
@click.option("--scheduler/--no-scheduler", default=True, help="Run the scheduler embedded.")
def serve(host: str, port: int, scheduler: bool) -> None:
    """Development server with one embedded scheduler (no reloader, so it starts once)."""
    # The app itself, not the proxy (the server's threads run outside this context); Flask
    # types ``current_app`` as the app it stands for, so the proxy's method is unknown to mypy.
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if scheduler:
        from scheduler import Runner  # telemed imports scheduler only to start it

        Runner(app).start_in_thread()
    run_simple(
        host, port, app, use_reloader=False, threaded=True, request_handler=QuietRequestHandler
    )


def register_cli(app: Flask) -> None:
    app.cli.add_command(serve)
    app.cli.add_command(schedule_cli)
    app.cli.add_command(users_cli)
    app.cli.add_command(demo_cli)
    app.cli.add_command(stats_cli)
    app.cli.add_command(attachments_cli)
    app.cli.add_command(simulate_command)
