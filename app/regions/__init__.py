"""The region files that ship with the release, one folder per region; the only place
that names a region. `invest-kainuu init-region FILE` loads one into the database."""

from pathlib import Path

REGIONS_DIR = Path(__file__).resolve().parent
# The region an installation serves until it loads another (REGION_FILE overrides it).
DEFAULT_REGION_FILE = REGIONS_DIR / "kainuu" / "region.yaml"
