"""Monthly roll-ups of the large tables, so "all time" over years of national data reads a
few thousand summed rows instead of millions. Only closed months are rolled up; a change
to a closed month's data deletes its roll-up in the same transaction (see rollups.py)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Date, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from telemed.core.clock import now_utc
from telemed.core.types import UTCDateTime
from telemed.extensions import Model


class RollupGroup:
    """One group of one family on one clock: ``n`` rows (or a sum). Keys: board (0: no
    board), centre (0: not broken down by centre), and the family's k1, k2, k3."""

    id: Mapped[int] = mapped_column(primary_key=True)
    family: Mapped[str] = mapped_column(String(32))
    zone: Mapped[str] = mapped_column(String(64))
    board_id: Mapped[int] = mapped_column(Integer)
    centre_id: Mapped[int] = mapped_column(Integer)
    k1: Mapped[str] = mapped_column(String(200))
    k2: Mapped[str] = mapped_column(String(40))
    k3: Mapped[int] = mapped_column(Integer)
    n: Mapped[int] = mapped_column(BigInteger)


class StatsRollup(RollupGroup, Model):
    """A group for one month."""

    __tablename__ = "stats_rollups"
    __table_args__ = (
        Index("ix_stats_rollups_family_month", "family", "month"),
        Index("ix_stats_rollups_month", "month"),  # forgetting a month
    )

    month: Mapped[date] = mapped_column(Date)


class StatsRollupTotal(RollupGroup, Model):
    """A group summed over every rolled-up month (``StatsRollupTotals`` says which): "all
    time" reads these few thousand rows instead of each month's (a tenth to a fiftieth)."""

    __tablename__ = "stats_rollup_totals"
    __table_args__ = (Index("ix_stats_rollup_totals_family", "family"),)


class StatsRollupMonth(Model):
    """A month whose roll-ups are built (on ``zone``'s clock); absent means "compute live"."""

    __tablename__ = "stats_rollup_months"

    zone: Mapped[str] = mapped_column(String(64), primary_key=True)
    month: Mapped[date] = mapped_column(Date, primary_key=True)
    built_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    # The family definitions it was built with (fingerprint.py); another one means stale.
    definitions: Mapped[str] = mapped_column(String(16), server_default="")


class StatsRollupTotals(Model):
    """The months ``zone``'s totals sum: ``first_month`` up to (not including) ``through``.
    Absent (forgotten whenever a rolled-up month is) means "sum the months"."""

    __tablename__ = "stats_rollup_totals_marks"

    zone: Mapped[str] = mapped_column(String(64), primary_key=True)
    first_month: Mapped[date] = mapped_column(Date)
    through: Mapped[date] = mapped_column(Date)
    built_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)


class StatsAnswer(Model):
    """A computed dashboard view, stored for the next reader with the same key (the view,
    the viewer's scope after the access rules, the filters, the language) while the data's
    version is ``version`` and the clock is before ``valid_until``."""

    __tablename__ = "stats_answers"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)  # a digest of the key
    version: Mapped[int] = mapped_column(BigInteger)
    valid_until: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    etag: Mapped[str] = mapped_column(String(64))  # a digest of the payload
    payload: Mapped[str] = mapped_column(Text)
