"""Extract every translatable string and add the ones no Finnish catalog has yet.

    .venv/bin/python scripts/update_translations.py [CATALOG]

New strings are appended, with an empty translation, to
app/locale/fi/LC_MESSAGES/CATALOG.po (default: messages). The test suite fails while
any string is untranslated, so fill in the msgstr lines it adds.
"""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parents[1]
CATALOG_DIR = ROOT / "app" / "locale" / "fi" / "LC_MESSAGES"
SOURCES = [
    (ROOT / "app", [("**.py", "python"), ("**.html", "jinja2")]),
    (ROOT / "portal_templates", [("**.html", "jinja2")]),
]
KEYWORDS = {**DEFAULT_KEYWORDS, "translate": (2,)}


def extracted_messages() -> list[str]:
    found: dict[str, None] = {}
    for folder, method_map in SOURCES:
        options = {"**.html": {"extensions": "jinja2.ext.i18n"}}
        for _file, _line, message, _c, _ctx in extract_from_dir(
            folder, method_map, options_map=options, keywords=KEYWORDS
        ):
            found[message if isinstance(message, str) else message[0]] = None
    return list(found)


def known_messages() -> set[str]:
    known: set[str] = set()
    for po_path in CATALOG_DIR.glob("*.po"):
        with po_path.open("rb") as f:
            known |= {m.id for m in read_po(f, locale="fi") if isinstance(m.id, str) and m.id}
    return known


def main(name: str = "messages") -> int:
    target = CATALOG_DIR / f"{name}.po"
    if target.exists():
        with target.open("rb") as f:
            catalog = read_po(f, locale="fi")
    else:
        catalog = Catalog(locale="fi", project="invest-kainuu")
    known = known_messages()
    new = [m for m in extracted_messages() if m not in known]
    for message in new:
        catalog.add(message, "")
    with target.open("wb") as f:
        write_po(f, catalog, width=100, no_location=True, omit_header=False)
    print(f"{len(new)} new strings added to {target.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
