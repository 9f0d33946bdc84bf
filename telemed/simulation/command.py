"""``flask simulate``: one option per parameter (``model.Parameters``, with its default),
a database of its own, and the report on the terminal, in a CSV and an HTML page."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import MISSING, fields
from datetime import date, datetime
from pathlib import Path
from typing import Any

import click
from flask import Flask, current_app

from telemed.simulation import network, sweep_report
from telemed.simulation import report as reporting
from telemed.simulation import sweep as planner
from telemed.simulation.model import Parameters
from telemed.simulation.run import simulate
from telemed.simulation.sandbox import RefusedDatabase, sandbox

# Integer fields whose default is "the board's own setting".
OPTIONAL_INTS = ("sessions_per_week", "minutes_per_case", "session_minutes")


def option_for(name: str, default: Any, help_text: str) -> Callable[[Any], Any]:
    """A click option for one parameter, typed after its default, explained by the model."""
    flag = "--" + name.replace("_", "-")
    shown: dict[str, Any] = {"help": help_text, "show_default": True}
    if isinstance(default, bool):
        return click.option(f"{flag}/--no-{flag[2:]}", name, default=default, **shown)
    if isinstance(default, date):
        return click.option(flag, name, type=click.DateTime(["%Y-%m-%d"]),
                            default=default.isoformat(), **shown)  # fmt: skip
    if name in OPTIONAL_INTS:
        return click.option(flag, name, type=int, default=None, help=help_text)
    if default is None:
        return click.option(flag, name, type=str, default=None, help=help_text)
    kind = int if isinstance(default, int) else float
    return click.option(flag, name, type=kind, default=default, **shown)


def parameter_options(command: Callable[..., Any]) -> Callable[..., Any]:
    for field in reversed(fields(Parameters)):
        default = field.default if field.default is not MISSING else None
        command = option_for(field.name, default, field.metadata["help"])(command)
    return command


@click.command("simulate")
@parameter_options
@click.option("--database-url", default=None,
              help="An EMPTY database for the run (default: a temporary SQLite file). Never "
                   "the application's own.")  # fmt: skip
@click.option("--sweep", is_flag=True,
              help="Capacity planner: simulate --board (default: the solid-tumour board) for "
                   "every combination of the --sweep-* ranges and name the smallest meeting "
                   "the targets.")  # fmt: skip
@click.option("--sweep-sessions", default=",".join(map(str, planner.DEFAULT_SESSIONS)),
              show_default=True, help="Sessions a week to try (\"1,2\" or \"1-3\").")  # fmt: skip
@click.option("--sweep-minutes-per-case", show_default=True,
              default=",".join(map(str, planner.DEFAULT_MINUTES_PER_CASE)),
              help="Minutes a case to try.")  # fmt: skip
@click.option("--sweep-session-minutes", show_default=True,
              default=",".join(map(str, planner.DEFAULT_SESSION_MINUTES)),
              help="Session lengths (minutes) to try.")  # fmt: skip
@click.option("--sweep-cases-per-year", show_default=True,
              default=",".join(f"{r:g}" for r in planner.DEFAULT_RATES),
              help="Arrival rates (cases a year, whole network) to try.")  # fmt: skip
@click.option(
    "--sweep-weeks",
    type=int,
    default=planner.DEFAULT_WEEKS,
    show_default=True,
    help="Weeks simulated for each configuration (shorter than a year, for speed).",
)
@click.option("--csv", "csv_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write the report (or the sweep's table) to this CSV file.")  # fmt: skip
@click.option("--html", "html_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write an HTML page with the report and its SVG chart.")  # fmt: skip
def simulate_command(
    database_url: str | None, csv_path: Path | None, html_path: Path | None, sweep: bool,
    **values: Any,
) -> None:  # fmt: skip
    """Simulate the network (default: a year) on the real scheduler and print its report."""
    if isinstance(values.get("start"), datetime):
        values["start"] = values["start"].date()
    ranges = {key: values.pop(key) for key in list(values) if key.startswith("sweep_")}
    params = Parameters(**values)
    try:
        params.check()
        if params.board:
            params = params.with_values(board=network.board_named(params.board))
    except ValueError as err:
        raise click.BadParameter(str(err)) from None
    live = current_app._get_current_object()  # type: ignore[attr-defined]
    if sweep:
        run_sweep(live, params, ranges, csv_path, html_path)
        return
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


def run_sweep(
    live: Flask, params: Parameters, ranges: dict[str, Any], csv_path: Path | None,
    html_path: Path | None,
) -> None:  # fmt: skip
    """``--sweep``: the grid from the options, a line per configuration as it ends."""
    try:
        grid = planner.Grid(
            board=params.board or planner.DEFAULT_BOARD,
            sessions_per_week=planner.parse_values(ranges["sweep_sessions"]),
            minutes_per_case=planner.parse_values(ranges["sweep_minutes_per_case"]),
            session_minutes=planner.parse_values(ranges["sweep_session_minutes"]),
            cases_per_year=planner.parse_values(ranges["sweep_cases_per_year"], float),
            weeks=ranges["sweep_weeks"],
        )
        grid.check()
    except ValueError as err:
        raise click.BadParameter(str(err)) from None

    def progress(n: int, total: int, point: dict[str, Any]) -> None:
        click.echo(
            f"[{n}/{total}] {sweep_report.label(point)}, {point['cases_per_year']:g} "
            f"cases/yr: missed {', '.join(point['missed']) or 'nothing'}",
            err=True,
        )

    result = planner.sweep(live, grid, params, progress)
    click.echo(sweep_report.text(result), nl=False)
    if csv_path is not None:
        csv_path.write_text(sweep_report.csv_text(result), encoding="utf-8")
        click.echo(f"CSV: {csv_path}")
    if html_path is not None:
        html_path.write_text(sweep_report.html_page(result), encoding="utf-8")
        click.echo(f"HTML: {html_path}")
