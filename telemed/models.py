"""Import every model so SQLAlchemy's metadata (and Alembic) sees all tables."""

from telemed.audit.models import AuditEntry
from telemed.auth.models import ApiToken, User
from telemed.cases.models import Attachment, Case, CaseEvent
from telemed.centres.models import Centre

__all__ = ["ApiToken", "Attachment", "AuditEntry", "Case", "CaseEvent", "Centre", "User"]
