"""``flask simulate``: one option per parameter (``model.Parameters``, with its default),
a database of its own, and the report on the terminal, in a CSV and an HTML page."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import MISSING, fields
from datetime import date, datetime
from pathlib import Path
from typing import Any

import click
from flask import current_app

from telemed.simulation import report as reporting
from telemed.simulation.model import Parameters
from telemed.simulation.run import simulate
from telemed.simulation.sandbox import RefusedDatabase, sandbox

# Integer fields whose default is "the board's own setting".
OPTIONAL_INTS = ("sessions_per_week", "minutes_per_case", "session_minutes")


def option_for(name: str, default: Any) -> Callable[[Any], Any]:
    """A click option for one parameter, typed after its default."""
    flag = "--" + name.replace("_", "-")
    if isinstance(default, bool):
        return click.option(f"{flag}/--no-{flag[2:]}", name, default=default, show_default=True)
    if isinstance(default, date):
        return click.option(flag, name, type=click.DateTime(["%Y-%m-%d"]),
                            default=default.isoformat(), show_default=True)  # fmt: skip
    if name in OPTIONAL_INTS:
        return click.option(flag, name, type=int, default=None,
                            help="Default: each board's own setting.")  # fmt: skip
    kind = int if isinstance(default, int) else float
    return click.option(flag, name, type=kind, default=default, show_default=True)


def parameter_options(command: Callable[..., Any]) -> Callable[..., Any]:
    for field in reversed(fields(Parameters)):
        default = field.default if field.default is not MISSING else None
        command = option_for(field.name, default)(command)
    return command


@click.command("simulate")
@parameter_options
@click.option("--database-url", default=None,
              help="An EMPTY database for the run (default: a temporary SQLite file). Never "
                   "the application's own.")  # fmt: skip
@click.option("--csv", "csv_path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--html", "html_path", type=click.Path(dir_okay=False, path_type=Path))
def simulate_command(
    database_url: str | None, csv_path: Path | None, html_path: Path | None, **values: Any
) -> None:
    """Simulate the network (default: a year) on the real scheduler and print its report."""
    if isinstance(values.get("start"), datetime):
        values["start"] = values["start"].date()
    params = Parameters(**values)
    try:
        params.check()
    except ValueError as err:
        raise click.BadParameter(str(err)) from None
    live = current_app._get_current_object()  # type: ignore[attr-defined]
    try:
        with sandbox(live, database_url) as app, app.app_context():
            report = simulate(params)
    except RefusedDatabase as err:
        click.echo(f"Refused: {err}; nothing was written to it.", err=True)
        raise SystemExit(2) from None
    click.echo(reporting.text(report), nl=False)
    if csv_path is not None:
        csv_path.write_text(reporting.csv_text(report), encoding="utf-8")
        click.echo(f"CSV: {csv_path}")
    if html_path is not None:
        html_path.write_text(reporting.html_page(report), encoding="utf-8")
        click.echo(f"HTML: {html_path}")
