"""Which family definitions built the stored roll-ups. A deploy that changes what a family
counts (its source, anchor, keys or value) changes this fingerprint, and roll-ups stamped
with another one are dropped and rebuilt on the next read: figures never mix months
counted under two definitions, and nobody has to remember ``stats refresh --rebuild``."""

from __future__ import annotations

import hashlib
from datetime import date, datetime
from functools import cache

from sqlalchemy import literal
from sqlalchemy.engine import Dialect

from telemed.reports.families import FAMILIES, Family


def family_text(family: Family, dialect: Dialect) -> str:
    """The family's SQL as this database would run it, with its constant parameters.
    Moments (such as "72 hours ago") are left out: they move with the clock, the definition
    does not. The board a row is routed to is left out too: routing changes forget the
    roll-ups on their own (see rollups.py)."""
    centre = family.centre() if family.centre is not None else literal(0)
    query = family.source().add_columns(family.anchor(), centre, *family.keys(), family.value())
    compiled = query.compile(dialect=dialect)
    constants = sorted(
        (name, repr(value))
        for name, value in compiled.params.items()
        if not isinstance(value, datetime | date)
    )
    settings = (family.routing, family.centre_mode, family.reads, family.centre_totals)
    return f"{family.name}|{compiled}|{constants}|{settings}"


@cache
def definitions_fingerprint(dialect: Dialect) -> str:
    """A short digest of every family's definition on ``dialect`` (computed once)."""
    digest = hashlib.sha256()
    for name in sorted(FAMILIES):
        digest.update(family_text(FAMILIES[name], dialect).encode())
    return digest.hexdigest()[:16]
