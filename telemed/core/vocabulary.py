"""The network's clinical vocabulary, spoken by cases, boards, preparation and reports:
specialties (a case goes to the board that takes its specialty), kinds of request and kinds
of material. Stored by value; labels are translated where shown."""

from __future__ import annotations

import enum

from flask_babel import lazy_gettext as _l


class RequestKind(enum.StrEnum):
    DIAGNOSIS_OPINION = "diagnosis_opinion"
    TREATMENT_PLAN = "treatment_plan"
    TRANSPLANT_EVALUATION = "transplant_evaluation"
    PALLIATIVE_CARE = "palliative_care"
    REFERRAL = "referral"
    OTHER = "other"


class MaterialKind(enum.StrEnum):
    """What an attachment is, so a board can require the material a request needs."""

    PATHOLOGY_REPORT = "pathology_report"
    IMMUNOPHENOTYPE = "immunophenotype"
    MINIMAL_RESIDUAL_DISEASE = "minimal_residual_disease"
    CYTOGENETICS = "cytogenetics"
    IMAGING = "imaging"
    LABORATORY = "laboratory"
    CLINICAL_SUMMARY = "clinical_summary"
    OTHER = "other"


class Specialty(enum.StrEnum):
    """The board or specialty a case is sent to; the scheduling issue maps these to boards."""

    SOLID_TUMOURS = "solid_tumours"
    LEUKAEMIA_LYMPHOMA = "leukaemia_lymphoma"
    CNS_TUMOURS = "cns_tumours"
    BONE_SOFT_TISSUE = "bone_soft_tissue"
    TRANSPLANT = "transplant"
    PALLIATIVE_CARE = "palliative_care"


REQUEST_KIND_LABELS = {
    RequestKind.DIAGNOSIS_OPINION: _l("Second opinion on diagnosis"),
    RequestKind.TREATMENT_PLAN: _l("Treatment plan"),
    RequestKind.TRANSPLANT_EVALUATION: _l("Transplant evaluation"),
    RequestKind.PALLIATIVE_CARE: _l("Palliative care"),
    RequestKind.REFERRAL: _l("Referral to another centre"),
    RequestKind.OTHER: _l("Other"),
}


SPECIALTY_LABELS = {
    Specialty.SOLID_TUMOURS: _l("Solid tumours"),
    Specialty.LEUKAEMIA_LYMPHOMA: _l("Leukaemia and lymphoma"),
    Specialty.CNS_TUMOURS: _l("Central nervous system tumours"),
    Specialty.BONE_SOFT_TISSUE: _l("Bone and soft-tissue sarcomas"),
    Specialty.TRANSPLANT: _l("Haematopoietic stem-cell transplant"),
    Specialty.PALLIATIVE_CARE: _l("Palliative care"),
}


MATERIAL_LABELS = {
    MaterialKind.PATHOLOGY_REPORT: _l("Pathology report"),
    MaterialKind.IMMUNOPHENOTYPE: _l("Immunophenotype"),
    MaterialKind.MINIMAL_RESIDUAL_DISEASE: _l("Minimal residual disease"),
    MaterialKind.CYTOGENETICS: _l("Cytogenetics / molecular studies"),
    MaterialKind.IMAGING: _l("Imaging report"),
    MaterialKind.LABORATORY: _l("Laboratory results"),
    MaterialKind.CLINICAL_SUMMARY: _l("Clinical summary"),
    MaterialKind.OTHER: _l("Other"),
}
