"""The region this installation serves (see `app/domain/region.py`): loading a region
file into the database, reading the stored definition, and the administrator's edits."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache, partial
from pathlib import Path
from typing import TypeVar

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.db.audit import bind_actor
from app.db.base import Base
from app.db.models import (
    Industry,
    InvestmentTarget,
    Municipality,
    MunicipalityFacts,
    ReferencePoint,
    Region,
)
from app.db.models.region import SINGLE_REGION_ID
from app.domain.access import SYSTEM_ACTOR, Actor, Role, require_role
from app.domain.errors import ValidationFailed
from app.domain.region import (
    RegionDefinition,
    RegionFile,
    apply_region_edit,
    clean_region_edit,
    read_region_file,
)
from app.regions import DEFAULT_REGION_FILE
from app.services import geography
from app.settings import get_settings

# Tables that are part of a municipality's region data and go with it; any other
# table naming a municipality keeps it (a lead, a site, a user, a target).
_MUNICIPALITY_DATA_TABLES = frozenset({"municipality_facts", "reference_points"})


def default_region_file() -> Path:
    """The file loaded while no region is stored: REGION_FILE, else the release's
    default."""
    return get_settings().region_file or DEFAULT_REGION_FILE


@lru_cache
def load_region_file(path: Path) -> RegionFile:
    return read_region_file(path)


# --- reading --------------------------------------------------------------------------


@dataclass
class _Cached:
    updated_at: datetime
    region: RegionDefinition


# The last definition this process read, keyed by its row's `updated_at`: another
# instance's edit changes the key, so every instance rereads after it.
_last_read: list[_Cached] = []


def current_region(db: Session) -> RegionDefinition:
    """The region of this installation: the stored row, else the default file (a
    database that `migrate` has not seeded yet). One small statement of one column;
    the row (its boundary alone can be hundreds of kilobytes of JSON) is read and
    parsed again only when it has changed."""
    updated_at = db.scalar(select(Region.updated_at).where(Region.id == SINGLE_REGION_ID))
    if updated_at is None:
        return load_region_file(default_region_file()).definition()
    if _last_read and _last_read[0].updated_at == updated_at:
        return _last_read[0].region
    row = db.get_one(Region, SINGLE_REGION_ID)
    region = _definition_of(row)
    _last_read[:] = [_Cached(row.updated_at, region)]
    return region


def _definition_of(row: Region) -> RegionDefinition:
    return RegionDefinition.model_validate(
        {
            "code": row.code,
            "slug": row.slug,
            "name": row.name,
            "languages": row.languages,
            "default_language": row.default_language,
            "public_domain": row.public_domain,
            "branding": row.branding,
            "area": row.area,
            "facts": row.facts,
        }
    )


# --- storing a region file ------------------------------------------------------------


@dataclass
class RegionChanges:
    """What storing a region file did, for the operator."""

    region: str
    added: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)
    # Municipalities no longer in the file that records still name: kept.
    kept: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    # Industries and reference points no longer in the file: taken out of use.
    deactivated: list[str] = field(default_factory=list)

    def count(self, bucket: dict[str, int], kind: str) -> None:
        bucket[kind] = bucket.get(kind, 0) + 1

    @property
    def rows_added(self) -> int:
        return sum(self.added.values())

    def summary(self) -> str:
        def listed(counts: dict[str, int]) -> str:
            return ", ".join(f"{n} {kind}" for kind, n in counts.items()) or "nothing"

        lines = [
            f"Region {self.region} stored.",
            f"Added: {listed(self.added)}.",
            f"Updated: {listed(self.updated)}.",
        ]
        if self.removed:
            lines.append(f"Removed (no longer in the file): {', '.join(self.removed)}.")
        if self.kept:
            lines.append(
                f"Kept, as records name them (no longer in the file): {', '.join(self.kept)}."
            )
        if self.deactivated:
            lines.append(f"Taken out of use: {', '.join(self.deactivated)}.")
        return "\n".join(lines)


def init_region(db: Session, path: Path) -> RegionChanges:
    """`invest-kainuu init-region FILE`: validate the file (`ValidationFailed` lists
    every problem with its YAML path) and store it, overwriting what it gives; commits."""
    try:
        region = read_region_file(path)
    except OSError as exc:
        raise ValidationFailed.single("file", f"Cannot read {path}: {exc.strerror}") from exc
    bind_actor(db, SYSTEM_ACTOR)
    changes = store_region(db, region, overwrite=True)
    db.commit()
    return changes


def ensure_region(db: Session) -> int:
    """While no region is stored, store the default file, adding only what is missing
    (a database seeded before regions were data keeps its edits). Returns the rows
    added; the caller commits."""
    if db.get(Region, SINGLE_REGION_ID) is not None:
        return 0
    changes = store_region(db, load_region_file(default_region_file()), overwrite=False)
    return changes.rows_added


def store_region(db: Session, region: RegionFile, *, overwrite: bool) -> RegionChanges:
    """The region row and its reference data, upserted by code. With `overwrite`, what
    the file gives replaces what is stored; without, only missing rows are added.
    Municipalities the file no longer has are removed unless a record names them;
    industries and reference points it no longer has are taken out of use."""
    changes = RegionChanges(region=f"{region.code} {region.display_name('en')}")
    _store_region_row(db, region.definition(), changes)
    _store_municipalities(db, region, changes, overwrite=overwrite)
    _store_industries(db, region, changes, overwrite=overwrite)
    db.flush()  # parents and municipalities before what names them
    _store_targets(db, region, changes, overwrite=overwrite)
    _store_points_and_facts(db, region, changes, overwrite=overwrite)
    if overwrite:
        _retire_what_left_the_file(db, region, changes)
    db.flush()
    geography.refresh_all(db)
    return changes


def _store_region_row(db: Session, definition: RegionDefinition, changes: RegionChanges) -> None:
    row = db.get(Region, SINGLE_REGION_ID)
    if row is None:
        row = Region(id=SINGLE_REGION_ID)
        db.add(row)
        changes.count(changes.added, "region")
    else:
        changes.count(changes.updated, "region")
    data = definition.model_dump(mode="json")
    row.code, row.slug, row.name = data["code"], data["slug"], data["name"]
    row.languages, row.default_language = data["languages"], data["default_language"]
    row.public_domain, row.branding = data["public_domain"], data["branding"]
    row.area, row.facts = data["area"], data["facts"]


_Row = TypeVar("_Row", bound=Base)


def _row_to_write(
    db: Session,
    existing: _Row | None,
    make: Callable[[], _Row],
    changes: RegionChanges,
    kind: str,
    *,
    overwrite: bool,
) -> _Row | None:
    """The row the file's values go into: a new one, the stored one when the file
    overwrites, else None (the stored row is kept as edited)."""
    if existing is None:
        row = make()
        db.add(row)
        changes.count(changes.added, kind)
        return row
    if overwrite:
        changes.count(changes.updated, kind)
        return existing
    return None


def _store_municipalities(
    db: Session, region: RegionFile, changes: RegionChanges, *, overwrite: bool
) -> None:
    stored = {m.code: m for m in db.scalars(select(Municipality))}
    for entry in region.municipalities:
        municipality = _row_to_write(
            db,
            stored.get(entry.code),
            partial(Municipality, code=entry.code),
            changes,
            "municipalities",
            overwrite=overwrite,
        )
        if municipality is None:
            continue
        municipality.slug = entry.slug
        municipality.name_fi, municipality.name_sv = entry.name["fi"], entry.name["sv"]
        municipality.name_en = entry.name["en"]
        municipality.region_code = region.code
        if entry.website is not None:
            municipality.website_url = entry.website
        if entry.contact is not None:
            contact = entry.contact
            municipality.contact_name = contact.name
            municipality.contact_title_fi = contact.title.get("fi")
            municipality.contact_title_en = contact.title.get("en")
            municipality.contact_email = contact.email.lower() if contact.email else None
            municipality.contact_phone = contact.phone


def _store_industries(
    db: Session, region: RegionFile, changes: RegionChanges, *, overwrite: bool
) -> None:
    stored = {i.code: i for i in db.scalars(select(Industry))}
    # Parents first, so that a child's foreign key finds its parent on insert.
    ordered = sorted(enumerate(region.industries), key=lambda pair: pair[1].parent is not None)
    for order, entry in ordered:
        industry = _row_to_write(
            db,
            stored.get(entry.code),
            partial(Industry, code=entry.code),
            changes,
            "industries",
            overwrite=overwrite,
        )
        if industry is None:
            continue
        industry.parent_code = entry.parent
        industry.name_fi, industry.name_en = entry.name["fi"], entry.name["en"]
        industry.name_sv = entry.name.get("sv")
        industry.nace_codes = list(entry.nace)
        industry.counts_as_industrial = entry.counts_as_industrial
        industry.sort_order = order
        industry.active = True
        if entry.parent is None:
            db.flush()


def _store_targets(
    db: Session, region: RegionFile, changes: RegionChanges, *, overwrite: bool
) -> None:
    # A target is known by its period and scope: the name is the coordinator's to edit.
    for entry in region.targets:
        stored = db.scalar(
            select(InvestmentTarget).where(
                InvestmentTarget.period_start == entry.period_start,
                InvestmentTarget.period_end == entry.period_end,
                InvestmentTarget.scope == entry.scope,
            )
        )
        target = _row_to_write(
            db,
            stored,
            partial(
                InvestmentTarget,
                period_start=entry.period_start,
                period_end=entry.period_end,
                scope=entry.scope,
            ),
            changes,
            "targets",
            overwrite=overwrite,
        )
        if target is None:
            continue
        target.name = entry.name
        target.amount_eur, target.amount_jobs = entry.amount_eur, entry.amount_jobs


def _store_points_and_facts(
    db: Session, region: RegionFile, changes: RegionChanges, *, overwrite: bool
) -> None:
    points = {p.code: p for p in db.scalars(select(ReferencePoint))}
    for entry in region.reference_points:
        point = _row_to_write(
            db,
            points.get(entry.code),
            partial(ReferencePoint, code=entry.code),
            changes,
            "reference points",
            overwrite=overwrite,
        )
        if point is None:
            continue
        point.kind = entry.kind
        point.name_fi, point.name_en = entry.name["fi"], entry.name["en"]
        point.name_sv = entry.name.get("sv")
        point.latitude, point.longitude = entry.latitude, entry.longitude
        point.municipality_code = entry.municipality
        point.source = entry.source
        point.active = True
    stored = {f.municipality_code: f for f in db.scalars(select(MunicipalityFacts))}
    for municipality in region.municipalities:
        facts = municipality.facts
        if facts is None:
            continue
        row = _row_to_write(
            db,
            stored.get(municipality.code),
            partial(MunicipalityFacts, municipality_code=municipality.code),
            changes,
            "key facts",
            overwrite=overwrite,
        )
        if row is None:
            continue
        row.population, row.workforce = facts.population, facts.workforce
        row.year, row.source = facts.year, facts.source
        row.main_employers_fi = "\n".join(facts.employers.get("fi", [])) or None
        row.main_employers_en = "\n".join(facts.employers.get("en", [])) or None


def _retire_what_left_the_file(db: Session, region: RegionFile, changes: RegionChanges) -> None:
    point_codes = {p.code for p in region.reference_points}
    for point in db.scalars(select(ReferencePoint).where(ReferencePoint.active)):
        if point.code not in point_codes:
            point.active = False
            changes.deactivated.append(f"reference point {point.code}")
    industry_codes = {i.code for i in region.industries}
    for industry in db.scalars(select(Industry).where(Industry.active)):
        if industry.code not in industry_codes:
            industry.active = False
            changes.deactivated.append(f"industry {industry.code}")
    db.flush()
    municipality_codes = {m.code for m in region.municipalities}
    for municipality in db.scalars(
        select(Municipality).where(Municipality.code.not_in(municipality_codes))
    ):
        label = f"{municipality.code} {municipality.name_en}"
        if _is_named_by_records(db, municipality.code):
            changes.kept.append(label)
            continue
        for facts in db.scalars(
            select(MunicipalityFacts).where(
                MunicipalityFacts.municipality_code == municipality.code
            )
        ):
            db.delete(facts)
        for point in db.scalars(
            select(ReferencePoint).where(ReferencePoint.municipality_code == municipality.code)
        ):
            point.municipality_code = None
        db.flush()
        db.delete(municipality)
        changes.removed.append(label)


def _is_named_by_records(db: Session, code: str) -> bool:
    """Whether any record outside the region data names the municipality (found from
    the foreign keys, so a new table naming municipalities is covered)."""
    for table in Base.metadata.sorted_tables:
        if table.name in _MUNICIPALITY_DATA_TABLES:
            continue
        for key in table.foreign_keys:
            if key.column.table.name != "municipalities" or key.parent.table is not table:
                continue
            if db.scalar(select(func.count()).select_from(table).where(key.parent == code)):
                return True
    return False


# --- the administrator's edits --------------------------------------------------------


def get_region(db: Session, actor: Actor) -> RegionDefinition:
    require_role(actor, Role.ADMIN)
    return current_region(db)


def update_region(db: Session, actor: Actor, values: Mapping[str, object]) -> RegionDefinition:
    """An administrator edits the region's names, portal and council names, colours,
    languages and public domain; `ValidationFailed` names every field that is wrong.
    Audited; every instance rereads the region at its next request."""
    require_role(actor, Role.ADMIN)
    edited = apply_region_edit(current_region(db), clean_region_edit(values))
    bind_actor(db, actor)
    _store_region_row(db, edited, RegionChanges(region=edited.code))
    db.commit()
    return current_region(db)
