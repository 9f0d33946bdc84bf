"""The dashboard's views: each runs a handful of aggregate queries for one scope (who
asks, period, filters) and returns figures, tables and charts with their definitions.
Pages, CSV downloads, the API and the benchmark all come through ``compute_view``."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from flask_babel import lazy_gettext as _l

from telemed.auth.models import User
from telemed.core.errors import InputError
from telemed.extensions import db
from telemed.reports import cases, outcomes, referrals, rollups, sessions, turnaround
from telemed.reports.headline import headline_figures
from telemed.reports.names import Names
from telemed.reports.scope import Scope, build_scope
from telemed.reports.tables import Figure, Table, ViewResult


def overview(scope: Scope, names: Names) -> ViewResult:
    session_counts = sessions.session_counts(scope)
    case_counts = cases.case_counters(scope)
    referral_counts = referrals.referral_counts(scope)
    agreement_figures, _ = outcomes.agreement_counts(scope, names)
    month_table, month_chart = sessions.sessions_per_month(scope)
    headline = headline_figures(scope, names, session_counts, case_counts)
    figures = [
        *sessions.session_figures(session_counts),
        *cases.counter_figures(case_counts),
        cases.urgent_figure(scope),
        *referrals.referral_figures(referral_counts),
        *agreement_figures,
    ]
    return ViewResult(
        figures=without(headline, figures),
        tables=[sessions.sessions_table(session_counts), month_table],
        charts=[month_chart],
        headline=headline,
    )


def without(headline: list[Figure], figures: list[Figure]) -> list[Figure]:
    """The cards the headline does not already show."""
    shown = {figure.key for figure in headline}
    return [figure for figure in figures if figure.key not in shown]


def cases_view(scope: Scope, names: Names) -> ViewResult:
    tables, charts = cases.breakdown_tables(scope, names)
    figures = [*cases.counter_figures(cases.case_counters(scope)), cases.urgent_figure(scope)]
    return ViewResult(figures=figures, tables=tables, charts=charts)


def turnaround_view(scope: Scope, names: Names) -> ViewResult:
    figures, table = turnaround.turnaround_figures(scope)
    month_table, chart = turnaround.over_time(scope)
    return ViewResult(
        figures=[*figures, cases.urgent_figure(scope)], tables=[table, month_table], charts=[chart]
    )


def referrals_view(scope: Scope, names: Names) -> ViewResult:
    return ViewResult(
        figures=referrals.referral_figures(referrals.referral_counts(scope)),
        tables=referrals.referral_tables(scope, names),
    )


def sessions_view(scope: Scope, names: Names) -> ViewResult:
    counts = sessions.session_counts(scope)
    month_table, chart = sessions.sessions_per_month(scope)
    use_figure, use_table = sessions.agenda_use(scope, names)
    attendance_figure, by_session, by_unit = sessions.attendance(scope, names)
    return ViewResult(
        figures=[*sessions.session_figures(counts), use_figure, attendance_figure],
        tables=[sessions.sessions_table(counts), month_table, use_table, by_session, by_unit],
        charts=[chart],
    )


def outcomes_view(scope: Scope, names: Names) -> ViewResult:
    figures, tables = outcomes.recommendation_tables(scope)
    deferred_figure, deferred_table = outcomes.deferrals(scope)
    agreement_figures, agreement_table = outcomes.agreement_counts(scope, names)
    return ViewResult(
        figures=[*figures, deferred_figure, *agreement_figures],
        tables=[*tables, deferred_table, agreement_table],
    )


VIEWS: dict[str, tuple[Callable[[Scope, Names], ViewResult], object]] = {
    "overview": (overview, _l("Overview")),
    "cases": (cases_view, _l("Cases")),
    "turnaround": (turnaround_view, _l("Turnaround")),
    "referrals": (referrals_view, _l("Referrals")),
    "sessions": (sessions_view, _l("Sessions and attendance")),
    "outcomes": (outcomes_view, _l("Recommendations and agreements")),
}
VIEW_NAMES = tuple(VIEWS)


def compute_view(
    view: str, args: Mapping[str, str], actor: User, *, full: bool = False
) -> ViewResult:
    """One view for ``actor`` (403 for anyone but administrators and coordinators)."""
    scope = build_scope(actor, args, full=full)
    return run_view(view, scope)


def run_view(view: str, scope: Scope) -> ViewResult:
    """Computes one view; keeps the monthly roll-ups it had to build (a read that leaves
    the dashboard faster for the next person)."""
    if view not in VIEWS:
        raise InputError({"view": [str(_l("Choose a view from the list."))]})
    with rollups.one_computation():
        result = VIEWS[view][0](scope, Names.load())
    db.session.flush()
    return result


def table_of(view: str, name: str, scope: Scope) -> Table:
    """A table of a view, whole (for its CSV download)."""
    table = run_view(view, scope).table(name)
    if table is None:
        raise InputError({"table": [str(_l("This view has no such table."))]})
    return table
