"""Referrals by receiving centre, type, status and referring centre, and the report's
"patients referred to HITO, by where they came from" (one table per external partner)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, func, select

from telemed.extensions import db
from telemed.referrals.labels import REFERRAL_STATUS_LABELS, TRANSPLANT_TYPE_LABELS
from telemed.referrals.models import Referral, ReferralStatus, TransplantType
from telemed.reports.names import Names
from telemed.reports.scope import Scope
from telemed.reports.tables import Figure, Table

# A referral that was only proposed, or cancelled, never sent a patient anywhere.
NOT_REFERRED = (ReferralStatus.PROPOSED, ReferralStatus.CANCELLED)

DEFINITIONS = {
    "referrals": _l(
        "Referrals created in the period (on the deciding board's clock), by their status "
        "today. Centre and state filters select the referring centre."
    ),
    "referred": _l(
        "Distinct patients (cases) with a referral created in the period that was sent "
        "(any status except proposed or cancelled)."
    ),
    "partner": _l(
        "Patients referred to this external partner, by referring centre: distinct cases "
        "with a referral created in the period and sent (not proposed or cancelled)."
    ),
}


def in_scope(scope: Scope) -> Any:
    return and_(
        scope.by_board(Referral.board_id, Referral.created_at),
        scope.by_centre(Referral.from_centre_id),
    )


def grouped_referrals(scope: Scope) -> list[tuple[Any, ...]]:
    dims = (Referral.from_centre_id, Referral.to_centre_id, Referral.transplant_type,
            Referral.status)  # fmt: skip
    query = select(*dims, func.count()).where(in_scope(scope)).group_by(*dims)
    return [tuple(row) for row in db.session.execute(query)]


def referred_patients(scope: Scope) -> list[tuple[int, int, int]]:
    """(to centre, from centre, distinct cases) for referrals that were sent."""
    query = (
        select(Referral.to_centre_id, Referral.from_centre_id,
               func.count(func.distinct(Referral.case_id)))
        .where(in_scope(scope), Referral.status.not_in(NOT_REFERRED))
        .group_by(Referral.to_centre_id, Referral.from_centre_id)
    )  # fmt: skip
    return [(int(a), int(b), int(n)) for a, b, n in db.session.execute(query)]


def referral_counts(scope: Scope) -> dict[str, int]:
    total, referred = db.session.execute(
        select(
            func.count(),
            func.count(func.distinct(Referral.case_id)).filter(
                Referral.status.not_in(NOT_REFERRED)
            ),
        ).where(in_scope(scope))
    ).one()
    return {"referrals": int(total), "patients_referred": int(referred or 0)}


def referral_figures(counts: dict[str, int]) -> list[Figure]:
    return [
        Figure("referrals", _l("Referrals"), counts["referrals"], DEFINITIONS["referrals"]),
        Figure("patients_referred", _l("Patients referred"), counts["patients_referred"],
               DEFINITIONS["referred"]),
    ]  # fmt: skip


def referral_tables(scope: Scope, names: Names) -> list[Table]:
    groups = grouped_referrals(scope)
    statuses = list(ReferralStatus)
    status_columns = [(s.value, REFERRAL_STATUS_LABELS[s]) for s in statuses]

    def by_centre(index: int, name: str, title: Any, heading: Any) -> Table:
        counts: dict[int, Counter[ReferralStatus]] = {}
        for row in groups:
            counts.setdefault(row[index], Counter())[row[3]] += row[-1]
        rows: list[dict[str, Any]] = [
            {"centre": names.centre(centre_id),
             **{s.value: tally[s] for s in statuses}, "total": sum(tally.values())}
            for centre_id, tally in counts.items()
        ]  # fmt: skip
        rows.sort(key=lambda row: (-row["total"], row["centre"]))
        return Table(name, title, [("centre", heading), *status_columns, ("total", _l("Total"))],
                     rows, DEFINITIONS["referrals"])  # fmt: skip

    by_type: Counter[TransplantType | None] = Counter()
    by_status: Counter[ReferralStatus] = Counter()
    for row in groups:
        by_type[row[2]] += row[-1]
        by_status[row[3]] += row[-1]
    type_rows = [{"type": str(label), "count": by_type.get(kind, 0)}
                 for kind, label in TRANSPLANT_TYPE_LABELS.items()]  # fmt: skip
    type_rows.append({"type": str(_l("Not a transplant")), "count": by_type.get(None, 0)})
    status_rows = [{"status": str(REFERRAL_STATUS_LABELS[s]), "count": by_status.get(s, 0)}
                   for s in statuses]  # fmt: skip
    return [
        by_centre(1, "by_receiving_centre", _l("Referrals by receiving centre"),
                  _l("Receiving centre")),
        by_centre(0, "by_referring_centre", _l("Referrals by referring centre"),
                  _l("Referring centre")),
        Table("by_type", _l("Referrals by type"),
              [("type", _l("Type")), ("count", _l("Referrals"))], type_rows,
              DEFINITIONS["referrals"]),
        Table("by_status", _l("Referrals by status"),
              [("status", _l("Status")), ("count", _l("Referrals"))], status_rows,
              DEFINITIONS["referrals"]),
        *partner_tables(scope, names),
    ]  # fmt: skip


def partner_tables(scope: Scope, names: Names) -> list[Table]:
    """The report's table: "9 patients referred to HITO: 5 from CMN La Raza, 4 from CMN
    Siglo XXI" — one per external partner, straight from the referrals."""
    patients = referred_patients(scope)
    tables = []
    for partner in names.partners():
        rows: list[dict[str, Any]] = [
            {"centre": names.centre(from_id), "patients": n}
            for to_id, from_id, n in patients
            if to_id == partner.id
        ]
        rows.sort(key=lambda row: (-row["patients"], row["centre"]))
        rows.append({"centre": str(_l("Total")), "patients": sum(r["patients"] for r in rows)})
        table = Table(
            f"referred_to_{partner.code.lower()}",
            _l("Patients referred to %(centre)s by origin", centre=partner.name),
            [("centre", _l("Referring centre")), ("patients", _l("Patients"))],
            rows, DEFINITIONS["partner"],
        )  # fmt: skip
        tables.append(table)
    return tables
