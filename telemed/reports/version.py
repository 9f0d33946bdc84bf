"""The version of the data the figures read (a ``core.versions.Counter``): a stored answer
(``answers.py``) tagged with an older version is never served again.

Besides the ORM's writes and bulk statements on ``FIGURE_TABLES``, forgetting roll-ups
(``rollups.forget_*``: the generator's COPY, a new family definition) marks it changed.
"""

from __future__ import annotations

from telemed.core import versions

# What the figures read (tests/reports/test_answers.py checks every view's SQL against it).
FIGURE_TABLES = frozenset(
    {
        "cases",
        "board_sessions",
        "agenda_items",
        "attendances",
        "recommendations",
        "agreements",
        "referrals",
        "boards",
        "board_specialties",
        "centres",
    }
)
# Columns of those tables no figure reads, written by background bookkeeping (the
# invitations job marks each session it synced): they would void every answer each time.
BOOKKEEPING = frozenset({"invites_sequence", "invites_roster", "audience_scope",
                         "order_of_business"})  # fmt: skip

FIGURES = versions.register(
    versions.Counter(
        row_id=1,
        name="figures",
        tables=dict.fromkeys(FIGURE_TABLES, versions.ALL_COLUMNS),
        bookkeeping=BOOKKEEPING,
    )
)
