"""The run's report: the year's figures against the network's targets, per board and per
month, the longest wait and why; as a terminal table, a CSV and an HTML page whose chart is
a static SVG (no script, no inline style)."""

from __future__ import annotations

import csv
import html
import io
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from dateutil.relativedelta import relativedelta
from sqlalchemy import select

from telemed.auth.models import User
from telemed.boards.models import Board, SessionKind
from telemed.extensions import db
from telemed.simulation.engine import Tally
from telemed.simulation.figures import scope_for, slice_figures
from telemed.simulation.model import Parameters, describe
from telemed.simulation.why import LateUrgent, LongestWait, late_urgent, longest_wait

# The network's promise (issue 18): every urgent case within 72 h, routine within the week,
# (almost) no case deferred.
URGENT_TARGET = 100.0
ROUTINE_MEDIAN_DAYS = 7.0
DEFERRED_LIMIT = 5.0

COLUMNS = (
    ("submitted", "sent"), ("examined", "examined"), ("urgent_72h_share", "urgent<72h %"),
    ("urgent_72h_of_acceptance_share", "urg<72h acc %"), ("routine_median_days", "routine med d"),
    ("routine_p90_days", "routine p90 d"), ("deferred_missing_material_share", "def mat %"),
    ("deferred_no_time_share", "def time %"), ("agenda_use", "agenda use %"),
    ("sessions_held", "sessions"), ("extraordinary_sessions", "extra"),
)  # fmt: skip


@dataclass
class Report:
    params: Parameters
    arrivals: int
    seconds: float
    tally: Tally
    network: dict[str, Any]
    boards: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    months: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    longest: LongestWait | None = None
    late: list[LateUrgent] = field(default_factory=list)

    @property
    def cases_per_second(self) -> float:
        return self.arrivals / self.seconds if self.seconds else 0.0

    def targets(self) -> list[tuple[str, bool | None, str]]:
        """Each target, whether it was met (None: nothing to measure), and the figure."""
        n = self.network
        urgent, median = n["urgent_72h_share"], n["routine_median_days"]
        deferred = n["deferred_any_share"]
        return [
            ("100 % of urgent cases discussed within 72 h of submission",
             None if urgent is None else urgent >= URGENT_TARGET, f"{urgent} %"),
            ("median routine wait under 7 days",
             None if median is None else median < ROUTINE_MEDIAN_DAYS, f"{median} days"),
            ("under 5 % of cases deferred in the meeting",
             None if deferred is None else deferred < DEFERRED_LIMIT, f"{deferred} %"),
        ]  # fmt: skip

    def comparable(self) -> dict[str, Any]:
        """Everything but the timing: the same seed and parameters give the same value."""
        return {"network": self.network, "boards": self.boards, "months": self.months,
                "longest": self.longest, "late": self.late, "arrivals": self.arrivals,
                "extraordinary_opened": self.tally.extraordinary_opened,
                "referrals": self.tally.referrals}  # fmt: skip


def month_label(first: date, last: date) -> str:
    """``2026-03``, or ``2027-01 (partial: 1-3)`` for a month the run covers in part."""
    whole = first.day == 1 and (last + timedelta(days=1)).day == 1
    return f"{first:%Y-%m}" if whole else f"{first:%Y-%m} (partial: {first.day}-{last.day})"


def months_of(first: date, last: date) -> list[tuple[date, date]]:
    month, spans = first.replace(day=1), []
    while month <= last:
        end = month + relativedelta(months=1) - timedelta(days=1)
        spans.append((max(month, first), min(end, last)))
        month += relativedelta(months=1)
    return spans


def build(params: Parameters, admin_id: int, arrivals: int, seconds: float, tally: Tally) -> Report:
    """Read the simulated database (inside the simulation's app, its clock at the end)."""
    admin = db.session.get(User, admin_id)
    assert admin is not None
    first, last = params.start, params.end
    whole = scope_for(admin, first, last)
    report = Report(params, arrivals, seconds, tally, slice_figures(whole))
    boards = db.session.scalars(
        select(Board).where(Board.kind == SessionKind.CASE_REVIEW).order_by(Board.name)
    ).all()
    report.boards = [(b.name, slice_figures(scope_for(admin, first, last, b))) for b in boards]
    report.months = [(month_label(a, b), slice_figures(scope_for(admin, a, b)))
                     for a, b in months_of(first, last)]  # fmt: skip
    start, end = whole.period.bounds(whole.chart_zone)
    assert start is not None and end is not None
    report.longest = longest_wait(start, end)
    report.late = late_urgent(start, end)
    return report


def cell(value: Any) -> str:
    return "-" if value is None else str(value)


def table(rows: list[tuple[str, dict[str, Any]]], first: str) -> list[str]:
    width = max([len(first), *(len(label) for label, _ in rows)])
    lines = [f"{first:<{width}} " + " ".join(f"{title:>13}" for _, title in COLUMNS)]
    for label, values in rows:
        lines.append(f"{label:<{width}} " + " ".join(f"{cell(values[k]):>13}" for k, _ in COLUMNS))
    return lines


def text(report: Report) -> str:
    p, n = report.params, report.network
    lines = [
        f"Simulated {p.start} to {p.end} (seed {p.seed}): {report.arrivals} cases in "
        f"{report.seconds:.1f} s ({report.cases_per_second:.1f} simulated cases/s, "
        f"{report.tally.events} events).",
        "",
        f"Urgent cases discussed within 72 h of submission: {cell(n['urgent_72h_share'])} % "
        f"(of {n['urgent_counted']}); of acceptance: {cell(n['urgent_72h_of_acceptance_share'])} %",
        f"Routine cases, submission -> first discussion: median {cell(n['routine_median_days'])} "
        f"days, 90th percentile {cell(n['routine_p90_days'])} days (of {n['routine_counted']})",
        f"All cases: median {cell(n['discussion_median_days'])} days, 90th percentile "
        f"{cell(n['discussion_p90_days'])} days",
        f"Deferred in the meeting (of {n['cases_on_held_agendas']} cases on held agendas): "
        f"missing material {n['deferred_missing_material']} "
        f"({cell(n['deferred_missing_material_share'])} %), lack of time "
        f"{n['deferred_no_time']} ({cell(n['deferred_no_time_share'])} %), any reason "
        f"{cell(n['deferred_any_share'])} %",
        f"Extraordinary sessions opened: {n['extraordinary_sessions']} (refused: "
        f"{report.tally.extraordinary_refused}); referrals to HITO: {report.tally.referrals}; "
        f"late uploads: {report.tally.late_uploads}",
        "",
        "Targets:",
        *(f"  [{'met' if met else 'MISSED' if met is False else 'n/a'}] {name}: {value}"
          for name, met, value in report.targets()),
        "",
        *table([("network", n), *report.boards], "Board"),
        "",
        *table(report.months, "Month"),
    ]  # fmt: skip
    if report.longest is not None:
        w = report.longest
        state = "first discussed" if w.discussed else "still waiting"
        lines += ["", f"Longest wait: {w.code} ({w.urgency}, {w.board}), {w.days} days, {state}:",
                  *(f"  - {reason}" for reason in w.reasons)]  # fmt: skip
    return "\n".join([*lines, *late_lines(report.late)]) + "\n"


def late_lines(late: list[LateUrgent]) -> list[str]:
    """Each urgent case past 72 h with its reasons, then a count by its main reason."""
    if not late:
        return []
    lines = ["", f"Urgent cases past 72 h: {len(late)}"]
    for case in late:
        lines.append(f"  {case.code} ({case.hours} h): {'; '.join(case.reasons)}")
    lines.append("By main reason:")
    for reason, count in Counter(case.main for case in late).most_common():
        lines.append(f"  {count:>3}  {reason}")
    return lines


def csv_text(report: Report) -> str:
    """One row per slice (network, each board, each month) and figure, then the parameters."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["slice", "name", "figure", "value"])
    for kind, rows in (("network", [("network", report.network)]), ("board", report.boards),
                       ("month", report.months)):  # fmt: skip
        for name, values in rows:
            for key, value in values.items():
                writer.writerow([kind, name, key, cell(value)])
    for key, value in describe(report.params):
        writer.writerow(["parameter", "", key, value])
    return out.getvalue()


def svg_chart(report: Report) -> str:
    """Bars: median routine wait per month (days); a dashed line at the 7-day target."""
    width, height, pad = 720, 260, 40
    values = [v["routine_median_days"] or 0.0 for _, v in report.months]
    top = max([ROUTINE_MEDIAN_DAYS * 1.5, *values])
    step = (width - 2 * pad) / max(len(values), 1)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'role="img" aria-label="Median routine wait per month">']  # fmt: skip
    for i, ((label, _), value) in enumerate(zip(report.months, values, strict=True)):
        h = (height - 2 * pad) * value / top
        x, y = pad + i * step + 4, height - pad - h
        parts.append(f'<rect x="{x:.0f}" y="{y:.0f}" width="{step - 8:.0f}" height="{h:.0f}" '
                     f'fill="#2f6f9f"><title>{label}: {value} d</title></rect>')  # fmt: skip
        parts.append(f'<text x="{x:.0f}" y="{height - pad + 14}" font-size="10">{label[2:]}</text>')
    target_y = height - pad - (height - 2 * pad) * ROUTINE_MEDIAN_DAYS / top
    parts.append(f'<line x1="{pad}" x2="{width - pad}" y1="{target_y:.0f}" y2="{target_y:.0f}" '
                 f'stroke="#b22" stroke-dasharray="6 4"/>')  # fmt: skip
    parts.append(f'<text x="{pad}" y="{target_y - 4:.0f}" font-size="11" fill="#b22">7 days</text>')
    parts.append("</svg>")
    return "".join(parts)


def html_page(report: Report) -> str:
    """A page to open or mail: the terminal report and the chart, no script or style."""
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        "<title>telemed simulation</title></head><body><h1>Simulated year</h1>"
        f"{svg_chart(report)}<pre>{html.escape(text(report))}</pre></body></html>\n"
    )
