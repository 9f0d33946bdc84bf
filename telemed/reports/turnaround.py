"""How long things take: submission → first discussion, and the discussion that decided a
referral → referral completed. The database returns histograms of whole hours (a few
hundred rows at most); medians and 90th percentiles are read off them here."""

from __future__ import annotations

from collections import Counter
from typing import Any

from flask_babel import format_date
from flask_babel import lazy_gettext as _l

from telemed.reports.rollups import chart_months, grouped, grouped_by_month
from telemed.reports.scope import Scope
from telemed.reports.sql import percentile
from telemed.reports.tables import Chart, Figure, Table
from telemed.reports.trend import highlight_note, in_period, mark_chosen, trend_scope

DEFINITIONS = {
    "to_discussion": _l(
        "From a case's first submission to the start of the session that first discussed it, "
        "for the cases first discussed in the period; in days (hours / 24)."
    ),
    "to_referral": _l(
        "From the session that decided a referral (the case's first discussion when the "
        "referral is not tied to a recommendation) to the referral marked completed, for the "
        "referrals completed in the period; in days."
    ),
    "over_time": _l(
        "Median and 90th percentile of submission → first discussion, by month of the first "
        "discussion (whole days)."
    ),
}


def hours_histogram(family: str, scope: Scope) -> list[tuple[int, int]]:
    """(whole hours, count) of a waiting-time family: ``case.wait`` (submission → first
    discussion) or ``referral.wait`` (deciding discussion → referral completed)."""
    hours: Counter[int] = Counter()
    for key, n in grouped(family, scope).items():
        hours[key[4]] += n
    return list(hours.items())


def in_days(hours: float | None) -> float | None:
    return None if hours is None else round(hours / 24, 1)


def rounded(days: float | None) -> float | None:
    return None if days is None else round(days, 1)


def summary(histogram: list[tuple[int, int]]) -> dict[str, Any]:
    return {
        "count": sum(n for _, n in histogram),
        "median_days": in_days(percentile(histogram, 0.5)),
        "p90_days": in_days(percentile(histogram, 0.9)),
    }


def turnaround_figures(scope: Scope) -> tuple[list[Figure], Table]:
    to_discussion = summary(hours_histogram("case.wait", scope))
    to_referral = summary(hours_histogram("referral.wait", scope))
    figures = [
        Figure("discussion_median_days", _l("Submission → first discussion, median"),
               to_discussion["median_days"], DEFINITIONS["to_discussion"], unit="days"),
        Figure("discussion_p90_days", _l("Submission → first discussion, 90th percentile"),
               to_discussion["p90_days"], DEFINITIONS["to_discussion"], unit="days"),
        Figure("referral_median_days", _l("Discussion → referral completed, median"),
               to_referral["median_days"], DEFINITIONS["to_referral"], unit="days"),
        Figure("referral_p90_days", _l("Discussion → referral completed, 90th percentile"),
               to_referral["p90_days"], DEFINITIONS["to_referral"], unit="days"),
    ]  # fmt: skip
    table = Table(
        "turnaround", _l("Turnaround"),
        [("measure", _l("Measure")), ("count", _l("Counted")),
         ("median_days", _l("Median (days)")), ("p90_days", _l("90th percentile (days)"))],
        [{"measure": str(_l("Submission → first discussion")), **to_discussion},
         {"measure": str(_l("Discussion → referral completed")), **to_referral}],
        _l("Medians and 90th percentiles interpolate between the two nearest cases."),
    )  # fmt: skip
    return figures, table


def over_time(scope: Scope) -> tuple[Table, Chart]:
    """Median and 90th percentile per month of the first discussion."""
    trend = trend_scope(scope)
    per_month = grouped_by_month("case.wait_days", trend)
    months = chart_months(trend, per_month)
    highlight = in_period(months, scope.period)
    rows = []
    for month in months:
        days: Counter[int] = Counter()
        for key, n in per_month.get(month, Counter()).items():
            days[key[4]] += n
        histogram = list(days.items())
        rows.append({
            "month": month.strftime("%Y-%m"),
            "count": sum(days.values()),
            "median_days": rounded(percentile(histogram, 0.5)),
            "p90_days": rounded(percentile(histogram, 0.9)),
        })  # fmt: skip
    table = Table(
        "turnaround_by_month", _l("Submission → first discussion by month"),
        [("month", _l("Month")), ("count", _l("Cases")),
         ("median_days", _l("Median (days)")), ("p90_days", _l("90th percentile (days)")),
         *mark_chosen(rows, highlight)],
        rows, DEFINITIONS["over_time"],
    )  # fmt: skip
    chart = Chart(
        "turnaround_over_time", _l("Submission → first discussion over time"), "line",
        labels=[format_date(month, "MMM yyyy") for month in months],
        datasets=[{"label": _l("Median (days)"), "data": [r["median_days"] for r in rows]},
                  {"label": _l("90th percentile (days)"), "data": [r["p90_days"] for r in rows]}],
        y_label=_l("days"), table="turnaround_by_month",
        highlight=highlight, note=highlight_note(months, highlight),
    )  # fmt: skip
    return table, chart
