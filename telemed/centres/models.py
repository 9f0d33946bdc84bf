"""The centre and what it can resolve (capacidad resolutiva)."""

from __future__ import annotations

import enum

from sqlalchemy import Boolean, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from telemed.core.types import enum_column
from telemed.extensions import Model


class CentreKind(enum.StrEnum):
    ONCOCREAN = "oncocrean"
    UMAE = "umae"
    SECOND_LEVEL = "second_level"
    EXTERNAL_PARTNER = "external_partner"


# Yes/no resources a referral may need; the names are the model's column names.
CAPABILITY_FLAGS = (
    "has_ct",
    "has_mri",
    "has_linear_accelerator",
    "has_blood_bank",
    "has_transplant_unit",
    "has_neurosurgery",
    "has_orthopaedics",
    "has_paediatric_icu",
)
# Counted resources: staff and beds.
CAPABILITY_COUNTS = (
    "paediatric_oncologists",
    "paediatricians",
    "beds",
    "paediatric_beds",
)


class Centre(Model):
    __tablename__ = "centres"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[CentreKind] = mapped_column(enum_column(CentreKind))
    state: Mapped[str] = mapped_column(String(60), index=True)
    city: Mapped[str] = mapped_column(String(80), default="")
    timezone: Mapped[str] = mapped_column(String(64))
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    has_ct: Mapped[bool] = mapped_column(Boolean, default=False)
    has_mri: Mapped[bool] = mapped_column(Boolean, default=False)
    has_linear_accelerator: Mapped[bool] = mapped_column(Boolean, default=False)
    has_blood_bank: Mapped[bool] = mapped_column(Boolean, default=False)
    has_transplant_unit: Mapped[bool] = mapped_column(Boolean, default=False)
    has_neurosurgery: Mapped[bool] = mapped_column(Boolean, default=False)
    has_orthopaedics: Mapped[bool] = mapped_column(Boolean, default=False)
    has_paediatric_icu: Mapped[bool] = mapped_column(Boolean, default=False)
    paediatric_oncologists: Mapped[int] = mapped_column(Integer, default=0)
    paediatricians: Mapped[int] = mapped_column(Integer, default=0)
    beds: Mapped[int] = mapped_column(Integer, default=0)
    paediatric_beds: Mapped[int] = mapped_column(Integer, default=0)

    def __repr__(self) -> str:
        return f"<Centre {self.code}>"
