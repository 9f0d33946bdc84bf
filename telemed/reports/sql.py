"""Portable SQL pieces the figures need (SQLite and PostgreSQL), and the arithmetic on
the small aggregated results they return."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from sqlalchemy import BigInteger, ColumnElement, Integer, cast, func, literal_column

from telemed.extensions import db


def seconds_between(later: Any, earlier: Any) -> ColumnElement[int]:
    """Whole seconds from ``earlier`` to ``later``, computed in the database (rounded, so
    float error in SQLite's julianday never turns 72 h into 71 h 59 min 59.9 s)."""
    if db.engine.dialect.name == "postgresql":
        # date_part is double precision (exact to the microsecond over centuries); EXTRACT
        # returns numeric, whose arithmetic made a state's waiting times 60 % slower.
        epoch = func.date_part(literal_column("'epoch'"), later - earlier)
        return cast(func.round(epoch), BigInteger)
    return cast(func.round((func.julianday(later) - func.julianday(earlier)) * 86400), Integer)


def whole_hours_between(later: Any, earlier: Any) -> ColumnElement[int]:
    """Whole hours (rounded down) — keeps a turnaround histogram small enough to read back.
    Callers keep spans non-negative, where integer division rounds down on both databases."""
    return seconds_between(later, earlier) // 3600


def percentile(histogram: Iterable[tuple[int, int]], fraction: float) -> float | None:
    """Linear-interpolated percentile (as PostgreSQL's percentile_cont) from
    ``(value, count)`` pairs, without expanding them."""
    pairs = sorted((value, count) for value, count in histogram if count)
    total = sum(count for _, count in pairs)
    if total == 0:
        return None
    position = fraction * (total - 1)
    below, above = math.floor(position), math.ceil(position)
    low_value = value_at_rank(pairs, below)
    high_value = value_at_rank(pairs, above)
    return low_value + (high_value - low_value) * (position - below)


def value_at_rank(pairs: list[tuple[int, int]], rank: int) -> int:
    seen = 0
    for value, count in pairs:
        seen += count
        if rank < seen:
            return value
    return pairs[-1][0]


def share(part: int, whole: int) -> float | None:
    """Percentage with one decimal, None when there is nothing to divide by."""
    return round(100.0 * part / whole, 1) if whole else None
