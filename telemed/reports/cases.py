"""Cases: submitted, accepted, examined (and how many were high-complexity), the urgent
72-hour share, and the submitted cases broken down by status, urgency, request, centre,
state and board — one grouped scan of ``cases`` each, rolled up here from a few hundred
groups."""

from __future__ import annotations

import enum
from collections import Counter
from collections.abc import Mapping
from typing import Any, TypeVar

from flask_babel import lazy_gettext as _l

from telemed.cases.labels import STATUS_LABELS, URGENCY_LABELS
from telemed.cases.models import CaseStatus, Urgency
from telemed.core.vocabulary import REQUEST_KIND_LABELS, RequestKind
from telemed.reports.names import UNKNOWN, Names
from telemed.reports.rollups import grouped
from telemed.reports.scope import Scope
from telemed.reports.sql import share
from telemed.reports.tables import Chart, Figure, Table

E = TypeVar("E", bound=enum.Enum)

DEFINITIONS = {
    "submitted": _l("Cases whose first submission falls in the period (drafts never count)."),
    "accepted": _l("Cases accepted by a coordinator for the first time in the period."),
    "examined": _l(
        "Distinct cases first discussed by a board in the period (the date is the session's "
        "start); a case discussed again later is not counted twice."
    ),
    "examined_high_complexity": _l("Of the cases examined, those marked high-complexity."),
    "urgent_72h": _l(
        "Urgent cases submitted in the period that a board discussed within 72 hours of "
        "submission, out of the urgent cases submitted in the period that were discussed "
        "or whose 72 hours have passed."
    ),
    "breakdown": _l(
        "Cases submitted in the period, by their status today. The board is the one their "
        "specialty is routed to."
    ),
}


def urgent_counts(scope: Scope) -> tuple[int, int]:
    """(discussed within 72 h, counted) of the urgent cases submitted in the period."""
    urgent = grouped("case.urgent", scope)
    return sum(n for key, n in urgent.items() if key[4] == 1), sum(urgent.values())


def urgent_figure(scope: Scope) -> Figure:
    n_in_time, n_due = urgent_counts(scope)
    return Figure("urgent_72h_share", _l("Urgent cases discussed within 72 h"),
                  share(n_in_time, n_due), DEFINITIONS["urgent_72h"], unit="%")  # fmt: skip


def case_counters(scope: Scope) -> dict[str, Any]:
    """The headline counts, from the grouped families (roll-ups plus live edges)."""
    examined = grouped("case.examined", scope)
    n_in_time, n_due = urgent_counts(scope)
    return {
        "submitted": sum(grouped("case.status", scope).values()),
        "accepted": sum(grouped("case.accepted", scope).values()),
        "examined": sum(examined.values()),
        "examined_high_complexity": sum(n for key, n in examined.items() if key[4] == 1),
        "urgent_in_72h": n_in_time,
        "urgent_due": n_due,
        "urgent_72h_share": share(n_in_time, n_due),
    }


def counter_figures(counts: dict[str, Any]) -> list[Figure]:
    return [
        Figure("submitted", _l("Cases submitted"), counts["submitted"], DEFINITIONS["submitted"]),
        Figure("accepted", _l("Cases accepted"), counts["accepted"], DEFINITIONS["accepted"]),
        Figure("examined", _l("Cases examined"), counts["examined"], DEFINITIONS["examined"]),
        Figure("examined_high_complexity", _l("High-complexity cases examined"),
               counts["examined_high_complexity"], DEFINITIONS["examined_high_complexity"]),
    ]  # fmt: skip


def breakdown_tables(scope: Scope, names: Names) -> tuple[list[Table], list[Chart]]:
    by_status_groups = grouped("case.status", scope)
    total = sum(by_status_groups.values())

    def tally(name: str, position: int) -> Counter[Any]:
        counts: Counter[Any] = Counter()
        for key, n in grouped(name, scope).items():
            counts[key[position]] += n
        return counts

    definition = DEFINITIONS["breakdown"]
    by_status = labelled(enum_counts(tally("case.status", 2), CaseStatus), STATUS_LABELS, total)
    by_urgency = labelled(enum_counts(tally("case.urgency", 2), Urgency), URGENCY_LABELS, total)
    by_kind = labelled(enum_counts(tally("case.request", 2), RequestKind), REQUEST_KIND_LABELS,
                       total)  # fmt: skip
    by_centre = tally("case.status", 1)
    by_state: Counter[str] = Counter()
    for centre_id, count in by_centre.items():
        by_state[names.state(centre_id)] += count
    by_board = tally("case.status", 0)
    tables = [
        count_table("by_status", _l("Cases by status"), _l("Status"), by_status, definition),
        count_table("by_urgency", _l("Cases by urgency"), _l("Urgency"), by_urgency, definition),
        count_table("by_request", _l("Cases by kind of request"), _l("Kind of request"),
                    by_kind, definition),
        count_table("by_centre", _l("Cases by centre"), _l("Centre"),
                    ranked({names.centre(k): v for k, v in by_centre.items()}, total),
                    definition),
        count_table("by_state", _l("Cases by state"), _l("State"),
                    ranked(dict(by_state), total), definition),
        count_table("by_board", _l("Cases by board"), _l("Board"),
                    ranked({names.board(k or None): v for k, v in by_board.items()}, total),
                    definition),
    ]  # fmt: skip
    state_rows = tables[4].rows
    chart = Chart(
        "cases_by_state", _l("Cases by state"), "horizontalBar",
        labels=[row["label"] for row in state_rows],
        datasets=[{"label": _l("Cases submitted"), "data": [row["count"] for row in state_rows]}],
        table="by_state",
    )  # fmt: skip
    return tables, [chart]


def enum_counts(counts: Counter[str], kind: type[E]) -> Counter[E | None]:
    """Roll-up keys are the stored text ("" for none); tables speak in enum members."""
    found: Counter[E | None] = Counter()
    for value, n in counts.items():
        found[kind(value) if value else None] += n
    return found


def labelled(
    counts: Counter[E | None], labels: Mapping[E, Any], total: int
) -> list[dict[str, Any]]:
    """Rows in the enum's own order, every value shown (zeros too), then anything unknown."""
    rows = [
        {"key": str(member), "label": str(label), "count": counts.get(member, 0),
         "share": share(counts.get(member, 0), total)}
        for member, label in labels.items()
    ]  # fmt: skip
    missing = sum(v for k, v in counts.items() if k not in labels)
    if missing:
        rows.append({"key": "", "label": str(UNKNOWN), "count": missing,
                     "share": share(missing, total)})  # fmt: skip
    return rows


def ranked(counts: dict[str, int], total: int) -> list[dict[str, Any]]:
    """Largest first, then by name (so ties read alphabetically)."""
    return [
        {"key": label, "label": label, "count": count, "share": share(count, total)}
        for label, count in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    ]


def count_table(
    name: str, title: Any, heading: Any, rows: list[dict[str, Any]], definition: Any
) -> Table:
    return Table(
        name, title,
        [("label", heading), ("count", _l("Cases")), ("share", _l("Share of submitted (%)"))],
        rows, definition,
    )  # fmt: skip
