"""Human labels for centre kinds and resources."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from telemed.centres.models import CentreKind

KIND_LABELS = {
    CentreKind.ONCOCREAN: _l("OncoCREAN (state reference centre)"),
    CentreKind.UMAE: _l("UMAE (high-specialty hospital)"),
    CentreKind.SECOND_LEVEL: _l("Second-level hospital"),
    CentreKind.EXTERNAL_PARTNER: _l("External partner"),
}
CAPABILITY_LABELS = {
    "has_ct": _l("CT scanner"),
    "has_mri": _l("MRI"),
    "has_linear_accelerator": _l("Linear accelerator (radiotherapy)"),
    "has_blood_bank": _l("Blood bank"),
    "has_transplant_unit": _l("Transplant unit"),
    "has_neurosurgery": _l("Neurosurgery"),
    "has_orthopaedics": _l("Orthopaedics"),
    "has_paediatric_icu": _l("Paediatric intensive care"),
    "paediatric_oncologists": _l("Paediatric oncologists"),
    "paediatricians": _l("Paediatricians"),
    "beds": _l("Beds"),
    "paediatric_beds": _l("Paediatric beds"),
}
