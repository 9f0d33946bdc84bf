"""The planner's result shown: a terminal table, a CSV, and an SVG chart of the trade-off
(board-hours a week against the median routine wait, each point marked met or missed) that
the HTML page and the web page share. No script, no inline style (CSP)."""

from __future__ import annotations

import csv
import html
import io
from typing import Any

from telemed.simulation.report import ROUTINE_MEDIAN_DAYS, cell

COLUMNS = (
    ("cases_per_year", "cases/yr"), ("sessions_per_week", "sess/wk"),
    ("session_minutes", "min/sess"), ("minutes_per_case", "min/case"),
    ("board_hours", "board h/wk"), ("places_per_week", "places/wk"), ("submitted", "cases"),
    ("urgent_72h_share", "urgent<72h %"), ("routine_median_days", "routine med d"),
    ("deferred_any_share", "deferred %"), ("agenda_use", "agenda use %"),
    ("extraordinary_sessions", "extra"),
)  # fmt: skip


def label(point: dict[str, Any]) -> str:
    """``2 x 90 min, 15 min/case``: a configuration in one phrase."""
    return (f"{point['sessions_per_week']} x {point['session_minutes']} min, "
            f"{point['minutes_per_case']} min/case")  # fmt: skip


def answers(result: dict[str, Any]) -> list[tuple[str, dict[str, Any] | None]]:
    """(arrival rate, its smallest sufficient point or None), rate by rate."""
    points = result["points"]
    return [(rate, None if index is None else points[index])
            for rate, index in result["smallest"].items()]  # fmt: skip


def never_met(result: dict[str, Any]) -> list[str]:
    """Targets no point of the grid met (so no capacity in the range can meet them)."""
    points = result["points"]
    return [t for t in ("urgent", "routine", "deferred") if all(t in p["missed"] for p in points)]


def text(result: dict[str, Any]) -> str:
    grid = result["grid"]
    lines = [
        f"Capacity planner for {grid['board']}: {len(result['points'])} configurations, each "
        f"simulated over {result['days']} days from {result['start']} with seed "
        f"{result['seed']} (the same arrivals for every configuration of a rate; a shorter "
        "horizon than the year, so figures are indicative).",
        "Targets: 100 % urgent < 72 h, median routine < 7 days, < 5 % deferred.",
        "",
        " ".join(f"{title:>13}" for _, title in COLUMNS) + "  missed",
    ]
    for point in result["points"]:
        lines.append(" ".join(f"{cell(point[key]):>13}" for key, _ in COLUMNS) + "  "
                     + (", ".join(point["missed"]) or "-"))  # fmt: skip
    lines.append("")
    for rate, point in answers(result):
        found = label(point) if point else "none in the range"
        hours = f" ({point['board_hours']} board-hours a week)" if point else ""
        lines.append(f"Smallest configuration meeting every target at {rate} cases a year: "
                     f"{found}{hours}")  # fmt: skip
    if missing := never_met(result):
        lines.append(f"No configuration in the range met: {', '.join(missing)}.")
    return "\n".join(lines) + "\n"


def csv_text(result: dict[str, Any]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([key for key, _ in COLUMNS] + ["missed", "smallest"])
    chosen = {index for index in result["smallest"].values() if index is not None}
    for index, point in enumerate(result["points"]):
        writer.writerow(
            [cell(point[key]) for key, _ in COLUMNS]
            + [" ".join(point["missed"]), "yes" if index in chosen else ""]
        )
    return out.getvalue()


def svg_chart(
    result: dict[str, Any],
    title: str = "Board-hours a week and median routine wait",
    axes: tuple[str, str] = ("board-hours / week", "days (median routine)"),
) -> str:
    """Each configuration a dot: board-hours a week across, median routine wait up; filled
    when it met every target, ringed when it is the answer; the 7-day target dashed."""
    width, height, pad = 640, 300, 48
    points = result["points"]
    xs = [p["board_hours"] for p in points] or [1.0]
    ys = [p["routine_median_days"] or 0.0 for p in points]
    x_top, y_top = max(xs) * 1.1 or 1.0, max([ROUTINE_MEDIAN_DAYS * 1.5, *ys])
    chosen = {index for index in result["smallest"].values() if index is not None}

    def x_of(value: float) -> float:
        return pad + (width - 2 * pad) * value / x_top

    def y_of(value: float) -> float:
        return height - pad - (height - 2 * pad) * value / y_top

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'class="planner-chart" role="img" aria-label="{html.escape(title)}">',
        f'<line x1="{pad}" y1="{height - pad}" x2="{width - pad}" y2="{height - pad}" '
        'stroke="#333"/>',
        f'<line x1="{pad}" y1="{pad}" x2="{pad}" y2="{height - pad}" stroke="#333"/>',
        f'<text x="{width / 2:.0f}" y="{height - 10}" font-size="12" '
        f'text-anchor="middle">{html.escape(axes[0])}</text>',
        f'<text x="12" y="{pad - 12}" font-size="12">{html.escape(axes[1])}</text>',
    ]
    target = y_of(ROUTINE_MEDIAN_DAYS)
    parts.append(f'<line x1="{pad}" x2="{width - pad}" y1="{target:.0f}" y2="{target:.0f}" '
                 'stroke="#b22" stroke-dasharray="6 4"/>')  # fmt: skip
    parts.append(f'<text x="{width - pad}" y="{target - 4:.0f}" font-size="11" fill="#b22" '
                 'text-anchor="end">7</text>')  # fmt: skip
    for index, (point, y_value) in enumerate(zip(points, ys, strict=True)):
        x, y = x_of(point["board_hours"]), y_of(y_value)
        fill = "#2a7d3b" if not point["missed"] else "#ffffff"
        ring = ' stroke-width="3"' if index in chosen else ' stroke-width="1.5"'
        tip = html.escape(f"{label(point)}, {point['cases_per_year']:g}/yr: "
                          f"{cell(point['routine_median_days'])} d, urgent "
                          f"{cell(point['urgent_72h_share'])} %, deferred "
                          f"{cell(point['deferred_any_share'])} %")  # fmt: skip
        parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="6" fill="{fill}" stroke="#1b4f72"'
                     f"{ring}><title>{tip}</title></circle>")  # fmt: skip
    for value in sorted(set(xs)):
        parts.append(f'<text x="{x_of(value):.0f}" y="{height - pad + 16}" font-size="10" '
                     f'text-anchor="middle">{value:g}</text>')  # fmt: skip
    parts.append("</svg>")
    return "".join(parts)


def html_page(result: dict[str, Any]) -> str:
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        "<title>telemed capacity planner</title></head><body><h1>Capacity planner</h1>"
        f"{svg_chart(result)}<pre>{html.escape(text(result))}</pre></body></html>\n"
    )
