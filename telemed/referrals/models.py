"""Referrals of patients to a centre that can resolve the case, and their steps."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import JSON, Date, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from telemed.auth.models import User
from telemed.cases.models import Case
from telemed.centres.models import Centre
from telemed.core.clock import now_utc
from telemed.core.types import UTCDateTime, enum_column
from telemed.extensions import Model
from telemed.room.models import Recommendation


class TransplantType(enum.StrEnum):
    HAPLOIDENTICAL = "haploidentical"
    RELATED_ALLOGENEIC = "related_allogeneic"
    UNRELATED_ALLOGENEIC = "unrelated_allogeneic"
    AUTOLOGOUS = "autologous"


class ReferralStatus(enum.StrEnum):
    PROPOSED = "proposed"
    SENT = "sent"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    UNDER_EVALUATION = "under_evaluation"
    SCHEDULED = "scheduled"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class Referral(Model):
    """A patient sent to a centre that can resolve the case (e.g. HITO for a transplant)."""

    __tablename__ = "referrals"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    recommendation_id: Mapped[int | None] = mapped_column(
        ForeignKey("recommendations.id"), index=True
    )
    board_id: Mapped[int | None] = mapped_column(ForeignKey("boards.id"), index=True)
    from_centre_id: Mapped[int] = mapped_column(ForeignKey("centres.id"), index=True)
    to_centre_id: Mapped[int] = mapped_column(ForeignKey("centres.id"), index=True)
    # Capability flags (centres.models.CAPABILITY_FLAGS) the receiving centre must have.
    needs: Mapped[list[str]] = mapped_column(JSON, default=list)
    transplant_type: Mapped[TransplantType | None] = mapped_column(enum_column(TransplantType))
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[ReferralStatus] = mapped_column(
        enum_column(ReferralStatus), default=ReferralStatus.PROPOSED, index=True
    )
    pending_studies: Mapped[str | None] = mapped_column(Text)
    scheduled_for: Mapped[date | None] = mapped_column(Date)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    # When it was marked completed (turnaround figures read it without the steps).
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    case: Mapped[Case] = relationship()
    recommendation: Mapped[Recommendation | None] = relationship(back_populates="referrals")
    from_centre: Mapped[Centre] = relationship(foreign_keys=[from_centre_id])
    to_centre: Mapped[Centre] = relationship(foreign_keys=[to_centre_id])
    created_by: Mapped[User] = relationship(foreign_keys=[created_by_id])
    steps: Mapped[list[ReferralStep]] = relationship(
        back_populates="referral", order_by="ReferralStep.id"
    )


class ReferralStep(Model):
    """A dated step or note on a referral, by either centre."""

    __tablename__ = "referral_steps"

    id: Mapped[int] = mapped_column(primary_key=True)
    referral_id: Mapped[int] = mapped_column(ForeignKey("referrals.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    from_status: Mapped[str | None] = mapped_column(String(32))
    to_status: Mapped[str | None] = mapped_column(String(32))
    note: Mapped[str | None] = mapped_column(Text)

    referral: Mapped[Referral] = relationship(back_populates="steps")
    actor: Mapped[User | None] = relationship()
