"""The figures the network reports upwards, in its own words ("192 sesiones de
telemedicina, 170 casos de alta complejidad examinados, 10 capacitaciones, 10 conferencias
magistrales, 9 pacientes referidos a HITO"), taken from the counts the cards already use,
so the headline and the cards below it can never disagree."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

from telemed.boards.models import SessionKind
from telemed.reports import cases, referrals, sessions
from telemed.reports.names import Names
from telemed.reports.scope import Scope
from telemed.reports.tables import Figure

TELEMEDICINE_SESSIONS = _l(
    "Case-review sessions held in the period (on the board's clock): the telemedicine "
    "sessions where boards examine cases. Trainings and keynote lectures are counted apart."
)


def headline_figures(
    scope: Scope, names: Names, session_counts: dict[str, Any], case_counts: dict[str, Any]
) -> list[Figure]:
    """Keys are the cards' own (one number, one name in the API), labels the report's."""
    held = session_counts["held"]
    return [
        Figure("case_review_sessions", _l("Telemedicine sessions"),
               held[SessionKind.CASE_REVIEW], TELEMEDICINE_SESSIONS),
        Figure("examined_high_complexity", _l("High-complexity cases examined"),
               case_counts["examined_high_complexity"],
               cases.DEFINITIONS["examined_high_complexity"]),
        Figure("training_sessions", _l("Trainings"), held[SessionKind.TRAINING],
               sessions.DEFINITIONS["held"]),
        Figure("keynote_lectures", _l("Keynote lectures"), held[SessionKind.KEYNOTE],
               sessions.DEFINITIONS["held"]),
        *partner_figures(scope, names),
    ]  # fmt: skip


def partner_figures(scope: Scope, names: Names) -> list[Figure]:
    """Patients referred to each external partner (HITO): the total of its table."""
    patients = referrals.referred_patients(scope)
    return [
        Figure(f"patients_referred_to_{partner.code.lower()}",
               _l("Patients referred to %(centre)s", centre=partner.code),
               sum(n for to_id, _, n in patients if to_id == partner.id),
               referrals.DEFINITIONS["partner"])
        for partner in names.partners()
    ]  # fmt: skip
