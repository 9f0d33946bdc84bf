"""Command-line tools: ``flask users ...`` and ``flask demo ...``."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup
from werkzeug.serving import run_simple

from telemed.auth import service as users_service
from telemed.auth import tokens
from telemed.auth.models import Discipline, Role
from telemed.core.errors import InputError

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
def create_token(email: str, name: str) -> None:
    """Create a personal API token and print it (shown only this once)."""
    user = users_service.find_by_email(email)
    if user is None or not user.active:
        click.echo(f"No active account for {email}.", err=True)
        raise SystemExit(2)
    _token, secret = tokens.create_token(user, name)
    click.echo(secret)


@demo_cli.command("load")
def load_demo() -> None:
    """Load the demo centres and accounts (idempotent)."""
    from telemed.demo import load_demo_data

    created = load_demo_data()
    summary = ", ".join(f"{count} {kind}" for kind, count in created.items()) or "nothing"
    click.echo(f"Demo data loaded: created {summary}.")


schedule_cli = AppGroup("schedule", help="Run scheduling work now (the scheduler does it too).")


@schedule_cli.command("run")
def run_scheduling() -> None:
    """Every scheduler job once: sessions, agendas, assignment, invites, reminders, email."""
    from telemed.boards import assignment, sessions
    from telemed.outbox import service as outbox

    click.echo(f"sessions created: {sessions.generate_sessions()}")
    click.echo(f"agendas closed: {sessions.close_due_agendas()}")
    click.echo(f"sessions finished: {sessions.finish_ended_sessions()}")
    report = assignment.assign_cases()
    click.echo(f"cases placed: {report.placed}, flagged: {report.flagged}, "
               f"waiting: {report.unplaced}")  # fmt: skip
    from telemed.invites import service as invites

    click.echo(f"sessions whose invites were updated: {invites.sync_due_invites()}")
    click.echo(f"quorum warnings: {invites.check_quorum()}")
    click.echo(f"reminders: {invites.send_reminders()}")
    click.echo(f"emails sent: {outbox.deliver_due()}")


@click.command("serve")
@click.option("--host", default="127.0.0.1")
@click.option("--port", default=5000, type=int)
@click.option("--scheduler/--no-scheduler", default=True, help="Run the scheduler embedded.")
def serve(host: str, port: int, scheduler: bool) -> None:
    """Development server with one embedded scheduler (no reloader, so it starts once)."""
    from flask import current_app

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if scheduler:
        from scheduler import Runner  # telemed imports scheduler only to start it

        Runner(app).start_in_thread()
    run_simple(host, port, app, use_reloader=False, threaded=True)


def register_cli(app: Flask) -> None:
    app.cli.add_command(serve)
    app.cli.add_command(schedule_cli)
    app.cli.add_command(users_cli)
    app.cli.add_command(demo_cli)
