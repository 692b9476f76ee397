"""The history of a record in words: its audit trail (and that of the rows that belong
to it), and for a lead its stage log, activities and handoffs, as sentences.

Access is the record's own: `audit_trail` runs the check each business area registered
(a lead needs need-to-know, a site the site rules, …; other types are the regional
team's). Names of the records a change points at go through the scope rules, so a
reader sees "a record you cannot see" rather than a name they may not read.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import ColumnElement, Select, select
from sqlalchemy.orm import Session

from app.db.base import Base
from app.db.models import (
    AuditEntry,
    Cluster,
    Contact,
    Event,
    Industry,
    InvestmentTarget,
    Lead,
    LostReason,
    Municipality,
    Organization,
    Site,
    Stage,
    User,
)
from app.domain import history as phrasing
from app.domain.access import Actor
from app.domain.errors import NotFound
from app.domain.history import ChildRule, Sentence
from app.i18n import N_, format_day, label, localized
from app.i18n import translate as _t
from app.services import events as event_service
from app.services import leads as lead_service
from app.services.audit import audit_trail, entries_for
from app.services.scope import (
    clusters_visible_to,
    contacts_visible_to,
    events_visible_to,
    leads_visible_to,
    organizations_visible_to,
    sites_visible_to,
)

# The records that have a history page, with the page of the record itself.
RECORD_TYPES: dict[str, str] = {
    "leads": "/leads/{id}",
    "organizations": "/organizations/{id}",
    "contacts": "/contacts/{id}",
    "clusters": "/clusters/{id}",
    "events": "/events/{id}",
    "investment_targets": "/targets/{id}",
    "sites": "/sites/{id}",
}
RECORD_TITLES: dict[str, str] = {
    "leads": N_("History of the lead %(name)s"),
    "organizations": N_("History of the organisation %(name)s"),
    "contacts": N_("History of the contact person %(name)s"),
    "clusters": N_("History of the cluster %(name)s"),
    "events": N_("History of the event %(name)s"),
    "investment_targets": N_("History of the target %(name)s"),
    "sites": N_("History of the site %(name)s"),
}
SYSTEM = N_("The system")

# Columns that point at another record without a foreign key in the schema.
_EXTRA_REFERENCES = {("leads", "merged_into_id"): "leads"}


@cache
def references(table: str) -> dict[str, str]:
    """The columns of `table` that point at another record: column -> referred table."""
    found = {
        column: referred for (name, column), referred in _EXTRA_REFERENCES.items() if name == table
    }
    metadata_table = Base.metadata.tables.get(table)
    if metadata_table is not None:
        for fk in metadata_table.foreign_keys:
            found[fk.parent.name] = fk.column.table.name
    return found


class Names:
    """Names of referenced records as the reader may see them (None: may not)."""

    def __init__(
        self, db: Session, actor: Actor, lang: str, hidden: frozenset[str] = frozenset()
    ) -> None:
        self.db, self.actor, self.lang = db, actor, lang
        # Tables whose rows this page never names (an event's external guests).
        self.hidden = hidden
        self._cache: dict[tuple[str, str], str | None] = {}

    def __call__(self, table: str, key: str) -> str | None:
        if table in self.hidden:
            return None
        if (table, key) not in self._cache:
            self._cache[(table, key)] = self._lookup(table, key)
        return self._cache[(table, key)]

    def _by_id(self, query: Select[Any] | Any, key: str, column: Any) -> Any:
        try:
            wanted = uuid.UUID(key)
        except ValueError:
            return None
        return self.db.execute(query.where(column == wanted)).first()

    def _scoped(self, model: Any, name: Any, visible: ColumnElement[bool], key: str) -> str | None:
        row = self._by_id(select(name).where(visible), key, model.id)
        return None if row is None else str(row[0])

    def _lookup(self, table: str, key: str) -> str | None:
        db, actor, lang = self.db, self.actor, self.lang
        if table == "municipalities":
            m = db.get(Municipality, key)
            return m.name(lang) if m else None
        if table == "industries":
            i = db.get(Industry, key)
            return i.name(lang) if i else None
        if table in ("stages", "lost_reasons"):
            coded: Stage | LostReason | None = (
                db.get(Stage, key) if table == "stages" else db.get(LostReason, key)
            )
            return localized(coded, "name", lang) if coded else None
        if table == "users":
            row = self._by_id(select(User.full_name), key, User.id)
            return None if row is None else str(row[0])
        if table == "organizations":
            return self._scoped(
                Organization, Organization.name, organizations_visible_to(actor), key
            )
        if table == "contacts":
            return self._scoped(Contact, Contact.full_name, contacts_visible_to(actor), key)
        if table == "leads":
            return self._scoped(Lead, Lead.code_name, leads_visible_to(actor), key)
        if table == "clusters":
            return self._scoped(Cluster, Cluster.name, clusters_visible_to(actor), key)
        if table == "events":
            return self._scoped(Event, Event.title, events_visible_to(actor), key)
        if table == "sites":
            column = Site.name_en if lang == "en" else Site.name_fi
            row = self._by_id(
                select(column, Site.name_fi).where(sites_visible_to(actor)), key, Site.id
            )
            return None if row is None else str(row[0] or row[1])
        return None


def _actor_name(lang: str, entry_actor: uuid.UUID | None, fallback: str, names: Names) -> str:
    if entry_actor is not None:
        found = names("users", str(entry_actor))
        if found:
            return found
    if not fallback or fallback == "system":
        return _t(lang, SYSTEM)
    return fallback


@dataclass(frozen=True)
class RecordHistory:
    entity_type: str
    entity_id: str
    title: str
    record_url: str
    sentences: list[Sentence]


def _children(db: Session, rule: ChildRule, entity_id: str) -> dict[str, list[AuditEntry]]:
    """The audit entries of the rows of `rule.table` that belong to the record, by row.
    A row's creation (and deletion) names its parent; its later updates are found by
    the row's own id."""
    rows: set[str] = set()
    for column in rule.parent_columns:
        rows |= set(
            db.scalars(
                select(AuditEntry.entity_id).where(
                    AuditEntry.entity_type == rule.table,
                    AuditEntry.action.in_(("create", "delete")),
                    AuditEntry.changes[column].as_string().contains(entity_id),
                )
            )
        )
    if not rows:
        return {}
    by_row: dict[str, list[AuditEntry]] = {}
    for entry in db.scalars(
        select(AuditEntry)
        .where(AuditEntry.entity_type == rule.table, AuditEntry.entity_id.in_(rows))
        .order_by(AuditEntry.id)
    ):
        by_row.setdefault(entry.entity_id, []).append(entry)
    return by_row


def _child_name(
    lang: str, rule: ChildRule, entries: Iterable[AuditEntry], parent_id: str, names: Names
) -> str:
    refs = references(rule.table)
    for entry in entries:
        for column in rule.name_columns:
            pair = entry.changes.get(column)
            if not pair:
                continue
            value = next((v for v in pair if v not in (None, "")), None)
            if value is None or str(value) == parent_id:
                continue
            if column in refs:
                return names(refs[column], str(value)) or _t(lang, phrasing.HIDDEN_RECORD)
            return " ".join(str(value).split())
    return _t(lang, phrasing.HIDDEN_RECORD)


def audit_sentences(
    db: Session,
    actor: Actor,
    lang: str,
    entity_type: str,
    entity_id: str,
    entries: list[AuditEntry],
    *,
    skip: frozenset[str] = frozenset(),
    names: Names | None = None,
) -> list[Sentence]:
    """The audit entries of a record and of the rows that belong to it, as sentences."""
    names = names or Names(db, actor, lang)
    sentences: list[Sentence] = []

    def add(entry: AuditEntry, texts: list[str]) -> None:
        sentences.extend(Sentence(entry.at, text, kind="change") for text in texts)

    for entry in entries:
        who = _actor_name(lang, entry.actor_user_id, entry.actor_label, names)
        add(
            entry,
            phrasing.change_sentences(
                lang,
                table=entity_type,
                action=entry.action,
                actor=who,
                changes=entry.changes,
                references=references(entity_type),
                names=names,
                record_type=entity_type,
                skip=skip,
            ),
        )
    for rule in phrasing.CHILDREN.get(entity_type, ()):
        for row_entries in _children(db, rule, entity_id).values():
            child_name = _child_name(lang, rule, row_entries, entity_id, names)
            for entry in row_entries:
                who = _actor_name(lang, entry.actor_user_id, entry.actor_label, names)
                add(
                    entry,
                    phrasing.change_sentences(
                        lang,
                        table=rule.table,
                        action=entry.action,
                        actor=who,
                        changes=entry.changes,
                        references=references(rule.table),
                        names=names,
                        record_type=entity_type,
                        child=rule,
                        child_name=child_name,
                        skip=frozenset(rule.parent_columns),
                    ),
                )
    return sentences


# Lead columns whose changes the stage log and the handoffs already tell.
_LEAD_TOLD_ELSEWHERE = frozenset({"stage_code"})


def lead_timeline(db: Session, actor: Actor, lead_id: uuid.UUID, lang: str) -> list[Sentence]:
    """Everything that happened to a lead, newest first, in words."""
    items = lead_service.timeline(db, actor, lead_id)  # checks need-to-know
    names = Names(db, actor, lang)
    sentences: list[Sentence] = []
    for item in items:
        who = item.actor or _t(lang, SYSTEM)
        d = item.details
        if item.kind == "stage_change":
            from_stage = names("stages", d["from_stage"]) if d["from_stage"] else None
            to_stage = names("stages", d["to_stage"]) or d["to_stage"]
            text = phrasing.stage_sentence(lang, who, from_stage, to_stage, d.get("note"))
            if d.get("merged_lead"):
                text += " " + _t(lang, phrasing.MERGED_STAGE, code_name=d["merged_lead"])
            sentences.append(Sentence(item.at, text, kind="stage_change"))
        elif item.kind == "activity":
            kind = d["activity_kind"]
            due = (
                format_day(datetime.fromisoformat(d["due_on"]).date(), lang)
                if d["due_on"]
                else None
            )
            text = phrasing.activity_sentence(
                lang, who, kind, item.summary, assignee=d.get("assignee"), due=due
            )
            sentences.append(
                Sentence(
                    item.at,
                    text,
                    kind="activity",
                    details=(d["body"],) if d.get("body") else (),
                    extra={
                        "activity_id": d["activity_id"],
                        "task": kind == "task" or d["due_on"] is not None,
                        "done": d["done"],
                        "kind_label": label(lang, "activity_kind", kind),
                    },
                )
            )
        elif item.kind == "share":
            text = phrasing.share_sentence(lang, who, item.summary, d.get("message"))
            sentences.append(Sentence(item.at, text, kind="share"))
        elif item.kind == "share_response":
            text = phrasing.share_answer_sentence(
                lang, who, item.summary, d["status"], d.get("note")
            )
            sentences.append(Sentence(item.at, text, kind="share"))
    lead_entries = entries_for(db, "leads", str(lead_id))
    sentences += audit_sentences(
        db,
        actor,
        lang,
        "leads",
        str(lead_id),
        lead_entries,
        skip=_LEAD_TOLD_ELSEWHERE,
        names=names,
    )
    return _newest_first(sentences)


def _newest_first(sentences: list[Sentence]) -> list[Sentence]:
    # On a tie (one save), the record's changes read after the act that caused them.
    order = {"change": 0}
    return sorted(sentences, key=lambda s: (s.at, order.get(s.kind, 1)), reverse=True)


def _record_name(db: Session, entity_type: str, entity_id: str, lang: str) -> str:
    key: Any = entity_id
    model: Any
    model, attribute = {
        "leads": (Lead, "code_name"),
        "organizations": (Organization, "name"),
        "contacts": (Contact, "full_name"),
        "clusters": (Cluster, "name"),
        "events": (Event, "title"),
        "sites": (Site, "name_fi"),
        "investment_targets": (InvestmentTarget, "name"),
    }[entity_type]
    try:
        key = uuid.UUID(entity_id)
    except ValueError:
        raise NotFound("No such record.") from None
    row = db.get(model, key)
    if row is None:
        raise NotFound("No such record.")
    if entity_type == "sites" and lang == "en" and row.name_en:
        return str(row.name_en)
    return str(getattr(row, attribute))


def record_history(
    db: Session, actor: Actor, entity_type: str, entity_id: str, lang: str
) -> RecordHistory:
    """The history page of one record, newest first; refused like the record itself."""
    if entity_type not in RECORD_TYPES:
        raise NotFound("No such record.")
    entries = audit_trail(db, actor, entity_type, entity_id)  # the record's access check
    title = _t(
        lang,
        RECORD_TITLES[entity_type],
        name=_record_name(db, entity_type, entity_id, lang),
    )
    if entity_type == "leads":
        sentences = lead_timeline(db, actor, uuid.UUID(entity_id), lang)
    else:
        hidden: frozenset[str] = frozenset()
        if entity_type == "events" and not event_service.sees_guests(
            actor, event_service.host_codes(db, uuid.UUID(entity_id))
        ):
            # Who the external guests are: the coordinator and the hosts only.
            hidden = frozenset({"contacts"})
        names = Names(db, actor, lang, hidden)
        sentences = _newest_first(
            audit_sentences(db, actor, lang, entity_type, entity_id, entries, names=names)
        )
    return RecordHistory(
        entity_type,
        entity_id,
        title,
        RECORD_TYPES[entity_type].format(id=entity_id),
        sentences,
    )
