"""Human labels for roles and disciplines."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from telemed.auth.models import Discipline, Role

ROLE_LABELS = {
    Role.REFERRING: _l("Referring doctor"),
    Role.SPECIALIST: _l("Specialist"),
    Role.COORDINATOR: _l("Coordinator"),
    Role.ADMIN: _l("Administrator"),
}
DISCIPLINE_LABELS = {
    Discipline.PAEDIATRIC_ONCOLOGY: _l("Paediatric oncology"),
    Discipline.HAEMATOLOGY: _l("Haematology"),
    Discipline.PATHOLOGY: _l("Pathology"),
    Discipline.RADIOLOGY: _l("Radiology"),
    Discipline.RADIOTHERAPY: _l("Radiotherapy"),
    Discipline.SURGERY: _l("Paediatric surgery"),
    Discipline.NEUROSURGERY: _l("Neurosurgery"),
    Discipline.TRANSPLANT: _l("Transplant"),
    Discipline.PALLIATIVE_CARE: _l("Palliative care"),
    Discipline.NURSING: _l("Nursing"),
    Discipline.OTHER: _l("Other"),
}
