"""Business rules of site offerings (no framework, no database)."""

from __future__ import annotations

from enum import StrEnum


class SiteKind(StrEnum):
    INDUSTRIAL_PLOT = "industrial_plot"
    PREMISES = "premises"
    DATA_CENTRE = "data_centre"
    ENERGY = "energy"
    TOURISM = "tourism"
    OTHER = "other"


class ZoningStatus(StrEnum):
    DETAILED_PLAN = "detailed_plan"
    DETAILED_PLAN_IN_PREPARATION = "detailed_plan_in_preparation"
    MASTER_PLAN = "master_plan"
    NONE = "none"


class Ownership(StrEnum):
    MUNICIPAL = "municipal"
    PRIVATE = "private"
    STATE = "state"


class Tenure(StrEnum):
    SALE = "sale"
    LEASE = "lease"
    SALE_OR_LEASE = "sale_or_lease"


class PermitStatus(StrEnum):
    NOT_NEEDED = "not_needed"
    NOT_STARTED = "not_started"
    PENDING = "pending"
    GRANTED = "granted"


class SiteStatus(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    PUBLISHED = "published"
    RETURNED = "returned"
    WITHDRAWN = "withdrawn"
    ARCHIVED = "archived"
