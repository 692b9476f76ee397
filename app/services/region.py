"""The region this installation serves (see `app/domain/region.py`)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from sqlalchemy.orm import Session

from app.domain.region import RegionDefinition, parse_region

REGIONS_DIR = Path(__file__).resolve().parent.parent / "regions"
DEFAULT_REGION_FILE = REGIONS_DIR / "kainuu" / "region.yaml"


@lru_cache
def load_region_file(path: Path) -> RegionDefinition:
    return parse_region(path.read_text(encoding="utf-8"))


def current_region(db: Session) -> RegionDefinition:
    """The region of this installation."""
    return load_region_file(DEFAULT_REGION_FILE)
