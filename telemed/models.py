"""Import every model so SQLAlchemy's metadata (and Alembic) sees all tables."""

from telemed.agreements.models import Agreement
from telemed.audit.models import AuditEntry
from telemed.auth.models import ApiToken, LoginSession, RecoveryCode, User
from telemed.boards.models import Board, BoardMember, BoardSpecialty
from telemed.cases.models import Attachment, AttachmentBlob, Case, CaseEvent
from telemed.centres.models import Centre
from telemed.certificates.models import Certificate
from telemed.core.versions import DataVersion
from telemed.invites import feed_tags  # noqa: F401  (its counter: the feeds' version)
from telemed.invites.models import CalendarFeed
from telemed.jobs.models import SchedulerLease
from telemed.minutes.models import Minutes, MinutesAddendum
from telemed.outbox.models import OutboxMessage
from telemed.preparation.models import CaseReviewMark, PreparationNote
from telemed.referrals.models import Referral, ReferralStep
from telemed.reports import (
    rollups,  # noqa: F401  (its flush listener keeps roll-ups honest)
    version,  # noqa: F401  (its counter: the figures' version)
)
from telemed.reports.models import (
    StatsRollup,
    StatsRollupMonth,
    StatsRollupTotal,
    StatsRollupTotals,
)
from telemed.room.models import Attendance, Recommendation
from telemed.sessions.models import AgendaItem, BoardSession, SchedulingFlag, SessionAttendee
from telemed.simulation.models import CapacityPlan

__all__ = [
    "AgendaItem",
    "Agreement",
    "ApiToken",
    "Attachment",
    "AttachmentBlob",
    "Attendance",
    "AuditEntry",
    "Board",
    "BoardMember",
    "BoardSession",
    "BoardSpecialty",
    "CalendarFeed",
    "CapacityPlan",
    "Case",
    "CaseEvent",
    "CaseReviewMark",
    "Centre",
    "Certificate",
    "DataVersion",
    "LoginSession",
    "Minutes",
    "MinutesAddendum",
    "OutboxMessage",
    "PreparationNote",
    "Recommendation",
    "RecoveryCode",
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
