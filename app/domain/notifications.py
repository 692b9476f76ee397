"""Which happenings notify whom, and how a notification reads. No database here.

A happening names its audience (people by id, the coordinators, a municipality's
contacts, a partner organisation's users); the use case resolves that to accounts,
drops the person who did it, and keeps only those who may read the record it is about.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from app.i18n import N_

# A note said with a happening (a handoff message, a return comment) is kept this short.
NOTE_LIMIT = 300


class NotificationKind(StrEnum):
    LEAD_SHARED = "lead_shared"
    SHARE_ACCEPTED = "share_accepted"
    SHARE_DECLINED = "share_declined"
    LEAD_ASSIGNED = "lead_assigned"
    INQUIRY_ARRIVED = "inquiry_arrived"
    INQUIRY_ASSIGNED = "inquiry_assigned"
    REFERRAL_ARRIVED = "referral_arrived"
    LEAD_STALE = "lead_stale"
    RESPONSE_DUE_SOON = "response_due_soon"
    RESPONSE_OVERDUE = "response_overdue"
    TASK_ASSIGNED = "task_assigned"
    TASK_DUE = "task_due"
    SITE_SUBMITTED = "site_submitted"
    SITE_PUBLISHED = "site_published"
    SITE_RETURNED = "site_returned"
    REVISION_SUBMITTED = "site_revision_submitted"
    REVISION_APPROVED = "site_revision_approved"
    REVISION_RETURNED = "site_revision_returned"


class EmailPreference(StrEnum):
    IMMEDIATE = "immediate"
    DIGEST = "digest"
    OFF = "off"


EMAIL_PREFERENCE_LABELS = {
    EmailPreference.IMMEDIATE.value: N_("Immediately, one e-mail per notification"),
    EmailPreference.DIGEST.value: N_("Once a day, as a digest"),
    EmailPreference.OFF.value: N_("No e-mail: in the service only"),
}

# What each kind says, in English source text with the names filled in when shown:
# %(subject)s is the lead's code name, the site's name or the task's subject.
MESSAGES: dict[str, str] = {
    NotificationKind.LEAD_SHARED: N_("Lead %(subject)s was handed to %(receiver)s"),
    NotificationKind.SHARE_ACCEPTED: N_("%(receiver)s accepted your handoff of lead %(subject)s"),
    NotificationKind.SHARE_DECLINED: N_("%(receiver)s declined your handoff of lead %(subject)s"),
    NotificationKind.LEAD_ASSIGNED: N_("Lead %(subject)s was assigned to you"),
    NotificationKind.INQUIRY_ARRIVED: N_("A new portal inquiry waits for triage: %(subject)s"),
    NotificationKind.INQUIRY_ASSIGNED: N_("The portal inquiry %(subject)s was assigned to you"),
    NotificationKind.REFERRAL_ARRIVED: N_("%(partner)s referred lead %(subject)s"),
    NotificationKind.LEAD_STALE: N_("Lead %(subject)s has had no activity for %(days)s days"),
    NotificationKind.RESPONSE_DUE_SOON: N_(
        "Less than one working day is left to answer lead %(subject)s"
    ),
    NotificationKind.RESPONSE_OVERDUE: N_("The answer to lead %(subject)s is overdue"),
    NotificationKind.TASK_ASSIGNED: N_("A task was assigned to you: %(subject)s"),
    NotificationKind.TASK_DUE: N_("Your task is due today: %(subject)s"),
    NotificationKind.SITE_SUBMITTED: N_("Site %(subject)s was submitted for review"),
    NotificationKind.SITE_PUBLISHED: N_("Site %(subject)s was published"),
    NotificationKind.SITE_RETURNED: N_("Site %(subject)s was returned for changes"),
    NotificationKind.REVISION_SUBMITTED: N_(
        "A change to the published site %(subject)s waits for review"
    ),
    NotificationKind.REVISION_APPROVED: N_(
        "The change to site %(subject)s was approved and is published"
    ),
    NotificationKind.REVISION_RETURNED: N_(
        "The change to site %(subject)s was returned for changes"
    ),
}
# A task's subject with its lead, when the reader may read the lead.
TASK_ON_LEAD = N_("%(task)s (lead %(lead)s)")

# The kinds about a lead (their link, and whose visibility decides whether they show).
LEAD_KINDS = frozenset(
    {
        NotificationKind.LEAD_SHARED,
        NotificationKind.SHARE_ACCEPTED,
        NotificationKind.SHARE_DECLINED,
        NotificationKind.LEAD_ASSIGNED,
        NotificationKind.INQUIRY_ARRIVED,
        NotificationKind.INQUIRY_ASSIGNED,
        NotificationKind.REFERRAL_ARRIVED,
        NotificationKind.LEAD_STALE,
        NotificationKind.RESPONSE_DUE_SOON,
        NotificationKind.RESPONSE_OVERDUE,
    }
)
TASK_KINDS = frozenset({NotificationKind.TASK_ASSIGNED, NotificationKind.TASK_DUE})
SITE_KINDS = frozenset(
    {
        NotificationKind.SITE_SUBMITTED,
        NotificationKind.SITE_PUBLISHED,
        NotificationKind.SITE_RETURNED,
        NotificationKind.REVISION_SUBMITTED,
        NotificationKind.REVISION_APPROVED,
        NotificationKind.REVISION_RETURNED,
    }
)


@dataclass(frozen=True)
class Audience:
    """Who hears of a happening, before the actor is dropped and scope is checked."""

    user_ids: frozenset[uuid.UUID] = frozenset()
    coordinators: bool = False
    municipality_code: str | None = None
    organization_id: uuid.UUID | None = None


@dataclass(frozen=True)
class Happening:
    """Something that happened that someone should hear of."""

    kind: NotificationKind
    audience: Audience
    actor_id: uuid.UUID | None = None
    lead_id: uuid.UUID | None = None
    activity_id: uuid.UUID | None = None
    site_id: uuid.UUID | None = None
    share_id: uuid.UUID | None = None
    params: dict[str, Any] = field(default_factory=dict)
    # Set for the scheduled reminders: one per person and key, ever.
    dedupe_key: str | None = None
    # Addresses the happening already reached by an e-mail of its own (the inquiry
    # notice): told in the service only, not mailed twice.
    already_emailed: frozenset[str] = frozenset()


def short_note(text: str | None) -> str | None:
    """A note kept with a notification: trimmed, at most NOTE_LIMIT characters."""
    cleaned = " ".join((text or "").split())
    if not cleaned:
        return None
    if len(cleaned) <= NOTE_LIMIT:
        return cleaned
    return cleaned[: NOTE_LIMIT - 1].rstrip() + "…"


def _note(text: str | None) -> dict[str, Any]:
    note = short_note(text)
    return {"note": note} if note else {}


def _users(*ids: uuid.UUID | None) -> frozenset[uuid.UUID]:
    return frozenset(i for i in ids if i is not None)


# --- the rules: which happening notifies whom --------------------------------------------


def lead_shared(
    *,
    actor_id: uuid.UUID | None,
    lead_id: uuid.UUID,
    share_id: uuid.UUID,
    municipality_code: str | None,
    organization_id: uuid.UUID | None,
    message: str | None,
) -> Happening:
    """A handoff: every contact of the receiving municipality, or every user of the
    receiving partner organisation, who must now accept or decline it."""
    return Happening(
        NotificationKind.LEAD_SHARED,
        Audience(municipality_code=municipality_code, organization_id=organization_id),
        actor_id=actor_id,
        lead_id=lead_id,
        share_id=share_id,
        params=_note(message),
    )


def share_answered(
    *,
    actor_id: uuid.UUID | None,
    lead_id: uuid.UUID,
    share_id: uuid.UUID,
    shared_by_id: uuid.UUID | None,
    accepted: bool,
    note: str | None,
) -> Happening:
    """The answer to a handoff: the person who handed the lead over."""
    kind = NotificationKind.SHARE_ACCEPTED if accepted else NotificationKind.SHARE_DECLINED
    return Happening(
        kind,
        Audience(user_ids=_users(shared_by_id)),
        actor_id=actor_id,
        lead_id=lead_id,
        share_id=share_id,
        params=_note(note),
    )


def lead_assigned(
    *, actor_id: uuid.UUID | None, lead_id: uuid.UUID, owner_id: uuid.UUID, from_inquiry: bool
) -> Happening:
    """A lead (or a portal inquiry's lead) given to a new owner: that owner."""
    kind = NotificationKind.INQUIRY_ASSIGNED if from_inquiry else NotificationKind.LEAD_ASSIGNED
    return Happening(kind, Audience(user_ids=_users(owner_id)), actor_id=actor_id, lead_id=lead_id)


def inquiry_arrived(*, lead_id: uuid.UUID, already_emailed: frozenset[str]) -> Happening:
    """A portal inquiry became a lead: the coordinators, who triage it."""
    return Happening(
        NotificationKind.INQUIRY_ARRIVED,
        Audience(coordinators=True),
        lead_id=lead_id,
        already_emailed=already_emailed,
    )


def referral_arrived(
    *, actor_id: uuid.UUID | None, lead_id: uuid.UUID, partner: str, referral_id: str
) -> Happening:
    """A partner's referral arrived (a new lead, or joined to an open one): the
    coordinators, who triage it; once per referral, never for a repeat of one."""
    return Happening(
        NotificationKind.REFERRAL_ARRIVED,
        Audience(coordinators=True),
        actor_id=actor_id,
        lead_id=lead_id,
        params={"partner": partner, "referral_id": referral_id},
    )


def lead_stale(
    *, lead_id: uuid.UUID, owner_id: uuid.UUID, last_activity_at: datetime, days: int
) -> Happening:
    """An open lead quiet for the pipeline's stale threshold: its owner, once per quiet
    spell (new activity starts a new spell)."""
    return Happening(
        NotificationKind.LEAD_STALE,
        Audience(user_ids=_users(owner_id)),
        lead_id=lead_id,
        params={"days": days},
        dedupe_key=f"lead-stale:{lead_id}:{last_activity_at.isoformat()}",
    )


def response_clock(*, lead_id: uuid.UUID, owner_id: uuid.UUID | None, overdue: bool) -> Happening:
    """A new lead's first answer is nearly due, or overdue: the coordinators and the
    lead's owner, once per lead for each."""
    kind = NotificationKind.RESPONSE_OVERDUE if overdue else NotificationKind.RESPONSE_DUE_SOON
    return Happening(
        kind,
        Audience(user_ids=_users(owner_id), coordinators=True),
        lead_id=lead_id,
        dedupe_key=f"{kind.value}:{lead_id}",
    )


def task_assigned(
    *,
    actor_id: uuid.UUID | None,
    activity_id: uuid.UUID,
    lead_id: uuid.UUID | None,
    assignee_id: uuid.UUID,
) -> Happening:
    """A task given to someone: the assignee (never whoever gave it to themselves)."""
    return Happening(
        NotificationKind.TASK_ASSIGNED,
        Audience(user_ids=_users(assignee_id)),
        actor_id=actor_id,
        activity_id=activity_id,
        lead_id=lead_id,
    )


def task_due(
    *, activity_id: uuid.UUID, lead_id: uuid.UUID | None, assignee_id: uuid.UUID, due_on: date
) -> Happening:
    """A task falling due today: its assignee, once per due date."""
    return Happening(
        NotificationKind.TASK_DUE,
        Audience(user_ids=_users(assignee_id)),
        activity_id=activity_id,
        lead_id=lead_id,
        params={"due_on": due_on.isoformat()},
        dedupe_key=f"task-due:{activity_id}:{due_on.isoformat()}",
    )


def site_transitioned(
    *,
    action: str,
    actor_id: uuid.UUID | None,
    site_id: uuid.UUID,
    municipality_code: str,
    comment: str | None,
) -> Happening | None:
    """A site sent for review (the coordinators), published or returned (the contacts
    of the site's municipality); other transitions notify nobody."""
    if action == "submit":
        return Happening(
            NotificationKind.SITE_SUBMITTED,
            Audience(coordinators=True),
            actor_id=actor_id,
            site_id=site_id,
        )
    kinds = {"publish": NotificationKind.SITE_PUBLISHED, "return": NotificationKind.SITE_RETURNED}
    if action not in kinds:
        return None
    return Happening(
        kinds[action],
        Audience(municipality_code=municipality_code),
        actor_id=actor_id,
        site_id=site_id,
        params=_note(comment) if action == "return" else {},
    )


def site_revision_changed(
    *,
    action: str,
    actor_id: uuid.UUID | None,
    site_id: uuid.UUID,
    municipality_code: str,
    comment: str | None = None,
) -> Happening:
    """A change to a published site proposed for review (the coordinators), approved or
    returned (the contacts of the site's municipality)."""
    if action == "submit":
        return Happening(
            NotificationKind.REVISION_SUBMITTED,
            Audience(coordinators=True),
            actor_id=actor_id,
            site_id=site_id,
        )
    kind = {
        "approve": NotificationKind.REVISION_APPROVED,
        "return": NotificationKind.REVISION_RETURNED,
    }[action]
    return Happening(
        kind,
        Audience(municipality_code=municipality_code),
        actor_id=actor_id,
        site_id=site_id,
        params=_note(comment) if action == "return" else {},
    )


# --- how it reads and where it leads -------------------------------------------------------


def email_state_for(preference: str) -> str:
    """What happens by e-mail to a new notification for a person with this preference."""
    if preference == EmailPreference.IMMEDIATE:
        return "queued"
    if preference == EmailPreference.DIGEST:
        return "digest"
    return "none"


def link_for(
    kind: str, *, lead_id: uuid.UUID | None, site_id: uuid.UUID | None, lead_readable: bool
) -> str:
    """The staff page where the happening is dealt with."""
    if kind in SITE_KINDS and site_id is not None:
        return f"/sites/{site_id}"
    if lead_id is not None and lead_readable:
        return f"/leads/{lead_id}"
    if kind in TASK_KINDS:
        return "/tasks"
    return "/notifications"
