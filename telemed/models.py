"""Import every model so SQLAlchemy's metadata (and Alembic) sees all tables."""

from telemed.audit.models import AuditEntry
from telemed.auth.models import ApiToken, User
from telemed.boards.models import (
    AgendaItem,
    Board,
    BoardMember,
    BoardSession,
    BoardSpecialty,
    SchedulingFlag,
)
from telemed.cases.models import Attachment, Case, CaseEvent
from telemed.centres.models import Centre
from telemed.invites.models import CalendarFeed, SessionAttendee
from telemed.jobs.models import SchedulerLease
from telemed.outbox.models import OutboxMessage
from telemed.reports import rollups  # noqa: F401  (its flush listener keeps roll-ups honest)
from telemed.reports.models import (
    StatsRollup,
    StatsRollupMonth,
    StatsRollupTotal,
    StatsRollupTotals,
)
from telemed.reviews.models import (
    Agreement,
    Attendance,
    CaseReviewMark,
    Certificate,
    Minutes,
    MinutesAddendum,
    PreparationNote,
    Recommendation,
    Referral,
    ReferralStep,
)

__all__ = [
    "AgendaItem",
    "Agreement",
    "ApiToken",
    "Attachment",
    "Attendance",
    "AuditEntry",
    "Board",
    "BoardMember",
    "BoardSession",
    "BoardSpecialty",
    "CalendarFeed",
    "Case",
    "CaseEvent",
    "CaseReviewMark",
    "Centre",
    "Certificate",
    "Minutes",
    "MinutesAddendum",
    "OutboxMessage",
    "PreparationNote",
    "Recommendation",
    "Referral",
    "ReferralStep",
    "SchedulerLease",
    "SchedulingFlag",
    "SessionAttendee",
    "StatsRollup",
    "StatsRollupMonth",
    "StatsRollupTotal",
    "StatsRollupTotals",
    "User",
]  # fmt: skip
