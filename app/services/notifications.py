"""Notifications: told in the service and by e-mail, in each reader's own language.

Hooks in the services where things happen call `notify` inside their transaction, so
the notification and its immediate e-mail (through the outbox) commit with the change
or not at all. What a notification says is rendered when it is shown, from its kind
and parameters, and only about records the reader may read now (services/scope.py):
a lead no longer shared with someone disappears from their list and count.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import (
    ColumnElement,
    and_,
    case,
    delete,
    exists,
    func,
    literal,
    or_,
    select,
    true,
    update,
)
from sqlalchemy.engine import Result
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.db.audit import bind_actor
from app.db.base import utcnow
from app.db.models import (
    Activity,
    Lead,
    LeadShare,
    Municipality,
    Notification,
    NotificationDigest,
    Organization,
    Site,
    Stage,
    User,
)
from app.domain import notifications as rules
from app.domain.access import Actor, Role
from app.domain.errors import NotFound, ValidationFailed
from app.domain.leads import StageKind
from app.domain.notifications import EmailPreference, Happening, NotificationKind
from app.i18n import HELSINKI, N_, format_day, format_number, translate
from app.services import region as region_service
from app.services.auth import actor_for
from app.services.mail import queue_email
from app.services.scope import activities_visible_to, leads_visible_to, sites_visible_to
from app.settings import Settings, get_settings

log = logging.getLogger("invest_kainuu.notifications")

# Read notifications older than this are deleted by the daily job.
RETENTION_DAYS = 180
# The digest goes out at the first run of the job after this hour (Helsinki time).
DIGEST_HOUR = 7


# --------------------------------------------------------------------------- creating


def _audience(db: Session, audience: rules.Audience) -> list[User]:
    wanted: list[ColumnElement[bool]] = []
    if audience.user_ids:
        wanted.append(User.id.in_(audience.user_ids))
    if audience.coordinators:
        wanted.append(User.role == Role.COORDINATOR.value)
    if audience.municipality_code:
        wanted.append(
            and_(
                User.role == Role.MUNICIPAL_CONTACT.value,
                User.municipality_code == audience.municipality_code,
            )
        )
    if audience.organization_id:
        wanted.append(
            and_(User.role == Role.PARTNER.value, User.organization_id == audience.organization_id)
        )
    if not wanted:
        return []
    return list(
        db.scalars(
            select(User)
            .where(or_(*wanted), User.is_active.is_(True), User.erased_at.is_(None))
            .order_by(User.email)
        )
    )


def _may_read(db: Session, reader: Actor, happening: Happening) -> bool:
    """Whether the reader may read the record the happening is about."""
    if happening.activity_id is not None:
        found = db.scalar(
            select(Activity.id).where(
                Activity.id == happening.activity_id, activities_visible_to(reader)
            )
        )
        if found is None:
            return False
    elif happening.lead_id is not None:
        found = db.scalar(
            select(Lead.id).where(Lead.id == happening.lead_id, leads_visible_to(reader))
        )
        if found is None:
            return False
    if happening.site_id is not None:
        found = db.scalar(
            select(Site.id).where(Site.id == happening.site_id, sites_visible_to(reader))
        )
        if found is None:
            return False
    return True


def notify(db: Session, happening: Happening | None) -> list[Notification]:
    """Tell the happening's audience, but not the person who did it, and only those who
    may read its record; queue the immediate e-mails. Joins the caller's transaction."""
    if happening is None:
        return []
    db.flush()
    made: list[Notification] = []
    for user in _audience(db, happening.audience):
        if user.id == happening.actor_id:
            continue
        if not _may_read(db, actor_for(user), happening):
            continue
        if happening.dedupe_key is not None and db.scalar(
            select(Notification.id).where(
                Notification.recipient_id == user.id,
                Notification.dedupe_key == happening.dedupe_key,
            )
        ):
            continue
        notification = Notification(
            recipient_id=user.id,
            kind=happening.kind.value,
            actor_id=happening.actor_id,
            lead_id=happening.lead_id,
            activity_id=happening.activity_id,
            site_id=happening.site_id,
            share_id=happening.share_id,
            params=dict(happening.params),
            dedupe_key=happening.dedupe_key,
            email_state=(
                "none"
                if user.email in happening.already_emailed
                else rules.email_state_for(user.notification_email)
            ),
            created_at=utcnow(),
        )
        db.add(notification)
        db.flush()
        if notification.email_state == "queued":
            _queue_immediate(db, get_settings(), user, notification)
        made.append(notification)
    return made


# --------------------------------------------------------------------------- reading


def visible_to(reader: Actor) -> ColumnElement[bool]:
    """Notifications whose record the reader may read now: a task by the task, anything
    else by its lead and its site."""
    if reader.sees_everything:
        return true()
    # Correlated: a reader has a handful of notifications, each checked by its key. An
    # IN over every visible activity, lead and site cost the bell (on every page) as
    # much as the lead list itself.
    activity_ok = exists(
        select(Activity.id).where(
            Activity.id == Notification.activity_id, activities_visible_to(reader)
        )
    )
    lead_ok = exists(
        select(Lead.id).where(Lead.id == Notification.lead_id, leads_visible_to(reader))
    )
    site_ok = exists(
        select(Site.id).where(Site.id == Notification.site_id, sites_visible_to(reader))
    )
    return and_(
        or_(Notification.activity_id.is_(None), activity_ok),
        or_(Notification.activity_id.is_not(None), Notification.lead_id.is_(None), lead_ok),
        or_(Notification.site_id.is_(None), site_ok),
    )


def _mine(reader: Actor) -> ColumnElement[bool]:
    if reader.user_id is None:
        raise NotFound("No such notification.")
    return and_(Notification.recipient_id == reader.user_id, visible_to(reader))


def unread_count(db: Session, reader: Actor) -> int:
    """The bell's number: one COUNT."""
    return (
        db.scalar(
            select(func.count())
            .select_from(Notification)
            .where(_mine(reader), Notification.read_at.is_(None))
        )
        or 0
    )


@dataclass(frozen=True)
class NotificationView:
    id: uuid.UUID
    kind: str
    text: str
    note: str | None
    link: str
    actor_name: str | None
    created_at: datetime
    read_at: datetime | None

    @property
    def unread(self) -> bool:
        return self.read_at is None


def _names(db: Session, reader: Actor, rows: Sequence[Notification], lang: str) -> _Names:
    lead_ids = {n.lead_id for n in rows if n.lead_id}
    activity_ids = {n.activity_id for n in rows if n.activity_id}
    site_ids = {n.site_id for n in rows if n.site_id}
    share_ids = {n.share_id for n in rows if n.share_id}
    actor_ids = {n.actor_id for n in rows if n.actor_id}
    names = _Names()
    if lead_ids:
        names.leads = _pairs(
            db.execute(
                select(Lead.id, Lead.code_name).where(
                    Lead.id.in_(lead_ids), leads_visible_to(reader)
                )
            )
        )
    if activity_ids:
        names.tasks = _pairs(
            db.execute(
                select(Activity.id, Activity.subject).where(
                    Activity.id.in_(activity_ids), activities_visible_to(reader)
                )
            )
        )
    if site_ids:
        for site_id, name_fi, name_en in db.execute(
            select(Site.id, Site.name_fi, Site.name_en).where(
                Site.id.in_(site_ids), sites_visible_to(reader)
            )
        ):
            names.sites[site_id] = (name_en or name_fi) if lang == "en" else name_fi
    if share_ids:
        shares = list(
            db.execute(
                select(LeadShare.id, LeadShare.municipality_code, LeadShare.organization_id).where(
                    LeadShare.id.in_(share_ids)
                )
            )
        )
        codes = {code for _, code, _ in shares if code}
        orgs = {org for _, _, org in shares if org}
        municipalities = {
            m.code: (m.name_en if lang == "en" else m.name_fi)
            for m in db.scalars(select(Municipality).where(Municipality.code.in_(codes)))
        }
        org_names = _pairs(
            db.execute(select(Organization.id, Organization.name).where(Organization.id.in_(orgs)))
        )
        for share_id, code, org in shares:
            names.receivers[share_id] = (
                municipalities.get(code, code) if code else org_names.get(org, "–") if org else "–"
            )
    if actor_ids:
        names.people = _pairs(
            db.execute(
                select(User.id, User.full_name).where(
                    User.id.in_(actor_ids), User.erased_at.is_(None)
                )
            )
        )
    return names


def _pairs(result: Result[uuid.UUID, str]) -> dict[uuid.UUID, str]:
    return {key: value for key, value in result}


@dataclass
class _Names:
    """What the texts of a page of notifications name, loaded in one query per kind and
    only from records the reader may read."""

    leads: dict[uuid.UUID, str] = field(default_factory=dict)
    tasks: dict[uuid.UUID, str] = field(default_factory=dict)
    sites: dict[uuid.UUID, str] = field(default_factory=dict)
    receivers: dict[uuid.UUID, str] = field(default_factory=dict)
    people: dict[uuid.UUID, str] = field(default_factory=dict)


def _subject(n: Notification, names: _Names, lang: str) -> str:
    if n.activity_id is not None:
        task = names.tasks.get(n.activity_id, "–")
        lead = names.leads.get(n.lead_id) if n.lead_id else None
        if lead:
            return translate(lang, rules.TASK_ON_LEAD, task=task, lead=lead)
        return task
    if n.site_id is not None:
        return names.sites.get(n.site_id, "–")
    if n.lead_id is not None:
        return names.leads.get(n.lead_id, "–")
    return "–"


def render(
    db: Session, reader: Actor, rows: Sequence[Notification], lang: str
) -> list[NotificationView]:
    """The notifications as the reader reads them, in their language."""
    names = _names(db, reader, rows, lang)
    views = []
    for n in rows:
        days = n.params.get("days")
        text = translate(
            lang,
            rules.MESSAGES.get(n.kind, N_("Something happened")),
            subject=_subject(n, names, lang),
            receiver=names.receivers.get(n.share_id, "–") if n.share_id else "–",
            days=format_number(days, lang, 0) if isinstance(days, int) else "–",
            partner=n.params.get("partner", "–"),
        )
        lead_readable = n.lead_id is not None and n.lead_id in names.leads
        views.append(
            NotificationView(
                id=n.id,
                kind=n.kind,
                text=text,
                note=n.params.get("note"),
                link=rules.link_for(
                    n.kind, lead_id=n.lead_id, site_id=n.site_id, lead_readable=lead_readable
                ),
                actor_name=names.people.get(n.actor_id) if n.actor_id else None,
                created_at=n.created_at,
                read_at=n.read_at,
            )
        )
    return views


def list_notifications(
    db: Session, reader: Actor, lang: str, *, limit: int = 50, offset: int = 0
) -> tuple[list[NotificationView], int]:
    """The reader's notifications, newest first."""
    query = select(Notification).where(_mine(reader))
    total = db.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = list(
        db.scalars(
            query.order_by(Notification.created_at.desc(), Notification.id)
            .limit(limit)
            .offset(offset)
        )
    )
    return render(db, reader, rows, lang), total


def _own(db: Session, reader: Actor, notification_id: uuid.UUID) -> Notification:
    found = db.scalar(select(Notification).where(Notification.id == notification_id, _mine(reader)))
    if found is None:
        # Another person's notification answers like a missing one.
        raise NotFound("No such notification.")
    return found


def mark_read(db: Session, reader: Actor, notification_id: uuid.UUID) -> NotificationView:
    notification = _own(db, reader, notification_id)
    if notification.read_at is None:
        notification.read_at = utcnow()
    db.commit()
    lang = language_of(db, reader)
    return render(db, reader, [notification], lang)[0]


def open_notification(db: Session, reader: Actor, notification_id: uuid.UUID) -> str:
    """Mark it read and say where it leads."""
    return mark_read(db, reader, notification_id).link


def mark_all_read(db: Session, reader: Actor) -> int:
    """Every unread notification of the reader (those they may still read) read now."""
    if reader.user_id is None:
        return 0
    result = db.execute(
        update(Notification)
        .where(_mine(reader), Notification.read_at.is_(None))
        .values(read_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    db.commit()
    return int(getattr(result, "rowcount", 0) or 0)


def language_of(db: Session, reader: Actor) -> str:
    """The language the reader chose on their account page."""
    user = db.get(User, reader.user_id) if reader.user_id else None
    return user.language if user else "fi"


def set_email_preference(db: Session, user: User, value: str) -> None:
    if value not in {p.value for p in EmailPreference}:
        raise ValidationFailed.single(
            "notification_email", "Choose one of the options.", "invalid_choice"
        )
    if user.notification_email != value:
        bind_actor(db, actor_for(user))
        user.notification_email = value
    db.commit()


# --------------------------------------------------------------------------- e-mail


def _footer(db: Session, lang: str, settings: Settings) -> str:
    account = settings.base_url + "/account"
    return translate(
        lang,
        "You receive these e-mails from the %(portal)s CRM. Choose how, or whether, "
        "on your account page: %(url)s",
        portal=region_service.current_region(db).portal_name(lang),
        url=account,
    )


def _item_text(view: NotificationView, lang: str, settings: Settings) -> str:
    lines = [view.text]
    if view.note:
        lines.append(f"“{view.note}”")
    if view.actor_name:
        lines.append(translate(lang, "By %(name)s", name=view.actor_name))
    lines.append(f"{settings.base_url}{view.link}")
    return "\n".join(lines)


def _queue_immediate(db: Session, settings: Settings, user: User, n: Notification) -> None:
    lang = user.language
    view = render(db, actor_for(user), [n], lang)[0]
    queue_email(
        db,
        to=[user.email],
        subject=view.text,
        body_text=f"{_item_text(view, lang, settings)}\n\n-- \n{_footer(db, lang, settings)}\n",
        reference=f"notification:{n.id}",
    )


def helsinki_now(now: datetime | None = None) -> datetime:
    return (now or utcnow()).astimezone(HELSINKI)


def send_digests(db: Session, settings: Settings, *, now: datetime | None = None) -> int:
    """One digest per person and day with what waits for it; returns how many went.
    A second run, here or in another process, finds the day's row and sends nothing."""
    local = helsinki_now(now)
    day = local.date()
    waiting = list(
        db.scalars(
            select(User)
            .where(
                exists(
                    select(Notification.id).where(
                        Notification.recipient_id == User.id,
                        Notification.email_state == "digest",
                    )
                ),
                ~exists(
                    select(NotificationDigest.user_id).where(
                        NotificationDigest.user_id == User.id, NotificationDigest.day == day
                    )
                ),
            )
            .order_by(User.id)
        )
    )
    sent = 0
    for user in waiting:
        try:
            with db.begin_nested():
                digest = NotificationDigest(user_id=user.id, day=day, sent_at=utcnow())
                db.add(digest)
                db.flush()
                sent += _send_digest(db, settings, user, digest, day)
        except IntegrityError:
            # Another instance took this person's day first.
            log.info("digest of %s for %s already sent", user.id, day)
    db.commit()
    return sent


def _send_digest(
    db: Session, settings: Settings, user: User, digest: NotificationDigest, day: date
) -> int:
    reader = actor_for(user)
    pending = select(Notification).where(
        Notification.recipient_id == user.id, Notification.email_state == "digest"
    )
    rows = list(
        db.scalars(
            pending.where(visible_to(reader)).order_by(Notification.created_at, Notification.id)
        )
    )
    send = bool(rows) and user.is_active and user.notification_email != EmailPreference.OFF
    ids = [n.id for n in rows] if send else []
    db.execute(
        update(Notification)
        .where(Notification.recipient_id == user.id, Notification.email_state == "digest")
        .values(email_state=case_state(ids))
        .execution_options(synchronize_session=False)
    )
    if not send:
        return 0
    lang = user.language
    views = render(db, reader, rows, lang)
    digest.notification_count = len(views)
    day_text = format_day(day, lang)
    portal = region_service.current_region(db).portal_name(lang)
    heading = translate(
        lang, "Your notifications from the %(portal)s CRM, %(day)s:", portal=portal, day=day_text
    )
    items = "\n\n".join(_item_text(v, lang, settings) for v in views)
    queue_email(
        db,
        to=[user.email],
        subject=translate(
            lang, "%(portal)s: your notifications of %(day)s", portal=portal, day=day_text
        ),
        body_text=f"{heading}\n\n{items}\n\n-- \n{_footer(db, lang, settings)}\n",
        reference=f"digest:{user.id}:{day.isoformat()}",
    )
    return 1


def case_state(ids: list[uuid.UUID]) -> ColumnElement[str]:
    """The e-mail state after a digest: digested when it went out in it, else skipped."""
    if not ids:
        return literal("skipped")
    return case((Notification.id.in_(ids), literal("digested")), else_=literal("skipped"))


# --------------------------------------------------------------------------- scheduled


def remind_due_tasks(db: Session, *, today: date) -> int:
    """A reminder to the assignee of each open task due today, once per due date."""
    rows = db.execute(
        select(Activity.id, Activity.lead_id, Activity.assignee_id).where(
            Activity.kind == "task",
            Activity.done_at.is_(None),
            Activity.due_on == today,
            Activity.assignee_id.is_not(None),
        )
    )
    made = 0
    for activity_id, lead_id, assignee_id in list(rows):
        assert assignee_id is not None  # selected above
        made += _once(
            db,
            rules.task_due(
                activity_id=activity_id, lead_id=lead_id, assignee_id=assignee_id, due_on=today
            ),
        )
    return made


def flag_stale_leads(db: Session, settings: Settings, *, now: datetime) -> int:
    """Tell the owner of each open lead quiet for `stale_lead_days` (the pipeline's
    threshold), once per quiet spell."""
    cutoff = now - timedelta(days=settings.stale_lead_days)
    rows = db.execute(
        select(Lead.id, Lead.owner_id, Lead.last_activity_at)
        .join(Stage, Stage.code == Lead.stage_code)
        .where(
            Stage.kind == StageKind.OPEN.value,
            Lead.owner_id.is_not(None),
            Lead.last_activity_at < cutoff,
            Lead.merged_into_id.is_(None),
        )
    )
    made = 0
    for lead_id, owner_id, last_activity_at in list(rows):
        assert owner_id is not None  # selected above
        made += _once(
            db,
            rules.lead_stale(
                lead_id=lead_id,
                owner_id=owner_id,
                last_activity_at=last_activity_at,
                days=settings.stale_lead_days,
            ),
        )
    return made


def _once(db: Session, happening: Happening) -> int:
    """A deduplicated happening in a savepoint: a concurrent run that wrote the same
    reminder first trips the unique constraint, and this one is dropped."""
    try:
        with db.begin_nested():
            return len(notify(db, happening))
    except IntegrityError:
        return 0


def purge_old_notifications(db: Session, *, now: datetime) -> int:
    cutoff = now - timedelta(days=RETENTION_DAYS)
    result = db.execute(
        delete(Notification).where(
            Notification.read_at.is_not(None), Notification.created_at < cutoff
        )
    )
    db.execute(delete(NotificationDigest).where(NotificationDigest.sent_at < cutoff))
    return int(getattr(result, "rowcount", 0) or 0)


def run_notification_jobs(
    db: Session, settings: Settings, *, now: datetime | None = None
) -> dict[str, int]:
    """Scheduled: today's task reminders, stale leads, the daily digests once the
    morning has come, and the purge. Idempotent: safe to run any number of times."""
    now = now or utcnow()
    local = helsinki_now(now)
    done = {
        "task_reminders": remind_due_tasks(db, today=local.date()),
        "stale_leads": flag_stale_leads(db, settings, now=now),
    }
    db.commit()
    done["digests"] = send_digests(db, settings, now=now) if local.hour >= DIGEST_HOUR else 0
    done["purged"] = purge_old_notifications(db, now=now)
    db.commit()
    return done


__all__ = [
    "NotificationKind",
    "NotificationView",
    "list_notifications",
    "mark_all_read",
    "mark_read",
    "notify",
    "open_notification",
    "run_notification_jobs",
    "send_digests",
    "set_email_preference",
    "unread_count",
]
