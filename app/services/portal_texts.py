"""The portal texts of a region (see `app/domain/portal_texts.py`), from the file beside
its region definition."""

from __future__ import annotations

from functools import lru_cache

import yaml

from app.domain.portal_texts import PortalTexts
from app.domain.region import RegionDefinition
from app.regions import REGIONS_DIR

PORTAL_TEXTS_FILE = "portal_texts.yaml"


@lru_cache
def _load(slug: str) -> PortalTexts:
    path = REGIONS_DIR / slug / PORTAL_TEXTS_FILE
    if not path.is_file():
        return PortalTexts()
    return PortalTexts.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")) or {})


def portal_texts(region: RegionDefinition) -> PortalTexts:
    return _load(region.slug)
