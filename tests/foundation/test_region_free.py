"""No region is written into the code: words naming Kainuu and its places, and the
corners of its old bounding box, appear only in the region files (app/regions/). The
product's own name (the `invest-kainuu` command, the package, settings names) is not
a region word and is left out of the check."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

REGION_WORDS = re.compile(
    r"kainuu|kajaani|kajana|sotkamo|kuhmo|suomussalmi|paltamo|puolanka|hyrynsalmi"
    r"|ristij[äa]rvi|vaala|vuokatti"
    # The corners of the box sites were once checked against.
    r"|63\.55|65\.75|25\.85|30\.65",
    re.IGNORECASE,
)
# The product's name in its spellings: the command, the package, cookie and header names.
PRODUCT_NAME = re.compile(r"invest[-_]?kainuu", re.IGNORECASE)

CHECKED = (
    ("app", "**/*.py"),
    ("app/web/templates", "**/*"),
    ("portal_templates", "**/*"),
    ("app/web/static", "**/*"),
)
REGION_DATA = ROOT / "app" / "regions"


def _checked_files() -> list[Path]:
    found: set[Path] = set()
    for folder, pattern in CHECKED:
        found.update(p for p in (ROOT / folder).glob(pattern) if p.is_file())
    return sorted(p for p in found if REGION_DATA not in p.parents)


def _region_words(path: Path) -> list[str]:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:  # images and fonts
        return []
    return REGION_WORDS.findall(PRODUCT_NAME.sub("", text))


def test_no_region_words_outside_the_region_files() -> None:
    offenders = {
        path.relative_to(ROOT).as_posix(): sorted(set(words))
        for path in _checked_files()
        if (words := _region_words(path))
    }
    assert offenders == {}, "region words belong in app/regions/<slug>/region.yaml"


def test_the_check_finds_a_region_word() -> None:
    assert REGION_WORDS.findall(PRODUCT_NAME.sub("", "invest-kainuu serves Kajaani")) == ["Kajaani"]
