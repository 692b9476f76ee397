"""All mapped tables. Importing this package registers them on `Base.metadata`."""

from app.db.models.activities import Activity
from app.db.models.aftercare import (
    AftercareAccount,
    AftercareIssue,
    AftercareLead,
    AftercareVisit,
    CapitalInvestor,
)
from app.db.models.audit import AuditEntry
from app.db.models.clusters import (
    Cluster,
    ClusterAgreement,
    ClusterIndustry,
    ClusterLead,
    ClusterLink,
    ClusterMeeting,
    ClusterMeetingAttendee,
    ClusterMember,
)
from app.db.models.events import (
    CalendarFeedToken,
    Event,
    EventHost,
    EventItineraryItem,
    EventLead,
    EventParticipant,
    EventSite,
)
from app.db.models.geography import MunicipalityFacts, ReferencePoint, SiteDistance
from app.db.models.imports import ImportUpload
from app.db.models.intake import LeadIntake, ResponseCommitment, ScreeningRule
from app.db.models.leads import (
    Lead,
    LeadAmount,
    LeadContact,
    LeadMunicipality,
    LeadShare,
    LeadSite,
    LeadStageChange,
    LostReason,
    Stage,
)
from app.db.models.mail import OutboxEmail
from app.db.models.notifications import Notification, NotificationDigest
from app.db.models.operations import Heartbeat, JobRun
from app.db.models.organizations import Contact, Organization
from app.db.models.portal import PortalRateCounter
from app.db.models.reference import Industry, InvestmentTarget, Municipality
from app.db.models.referrals import PartnerToken, Referral
from app.db.models.region import Region
from app.db.models.reports import ReportSnapshot
from app.db.models.sites import (
    Site,
    SiteAttachment,
    SiteIndustry,
    SitePackageRow,
    SitePackageUpload,
    SiteRevision,
    SiteVersion,
)
from app.db.models.storage import StoredFile
from app.db.models.syndication import (
    SyndicationAttempt,
    SyndicationDelivery,
    SyndicationEvent,
    SyndicationTarget,
    SyndicationWordpressPost,
)
from app.db.models.users import ApiToken, LoginThrottle, User, UserSession

__all__ = [
    "Activity",
    "AftercareAccount",
    "AftercareIssue",
    "AftercareLead",
    "AftercareVisit",
    "ApiToken",
    "AuditEntry",
    "CalendarFeedToken",
    "CapitalInvestor",
    "Cluster",
    "ClusterAgreement",
    "ClusterIndustry",
    "ClusterLead",
    "ClusterLink",
    "ClusterMeeting",
    "ClusterMeetingAttendee",
    "ClusterMember",
    "Contact",
    "Event",
    "EventHost",
    "EventItineraryItem",
    "EventLead",
    "EventParticipant",
    "EventSite",
    "Heartbeat",
    "ImportUpload",
    "Industry",
    "InvestmentTarget",
    "JobRun",
    "Lead",
    "LeadAmount",
    "LeadContact",
    "LeadIntake",
    "LeadMunicipality",
    "LeadShare",
    "LeadSite",
    "LeadStageChange",
    "LoginThrottle",
    "LostReason",
    "Municipality",
    "MunicipalityFacts",
    "Notification",
    "NotificationDigest",
    "Organization",
    "OutboxEmail",
    "PartnerToken",
    "PortalRateCounter",
    "ReferencePoint",
    "Referral",
    "Region",
    "ReportSnapshot",
    "ResponseCommitment",
    "ScreeningRule",
    "Site",
    "SiteAttachment",
    "SiteDistance",
    "SiteIndustry",
    "SitePackageRow",
    "SitePackageUpload",
    "SiteRevision",
    "SiteVersion",
    "Stage",
    "StoredFile",
    "SyndicationAttempt",
    "SyndicationDelivery",
    "SyndicationEvent",
    "SyndicationTarget",
    "SyndicationWordpressPost",
    "User",
    "UserSession",
]
