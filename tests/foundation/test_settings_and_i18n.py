"""Settings refuse unsafe production config; every UI string has a Finnish translation."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from pydantic import ValidationError

from app.i18n import negotiate_language, translations
from app.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("secret", ["", "change-me", "development-only", "short"])
@pytest.mark.parametrize("environment", ["production", "test"])
def test_outside_development_refuses_placeholder_secret(secret: str, environment: str) -> None:
    with pytest.raises(ValidationError, match="SECRET_KEY"):
        Settings(environment=environment, secret_key=secret)


def test_development_accepts_default_secret() -> None:
    assert Settings(environment="development").environment == "development"


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("en-GB,en;q=0.9", "en"),
        ("fi-FI", "fi"),
        ("sv-SE,en;q=0.5", "sv"),
        ("sv-FI;q=0.4,en;q=0.5", "en"),
        ("de-DE,da;q=0.8", "fi"),
        ("de, fi;q=0.3, en;q=0.2", "fi"),
        ("", "fi"),
        ("garbage;;", "fi"),
    ],
)
def test_language_negotiation(header: str, expected: str) -> None:
    assert negotiate_language(header) == expected


def _messages(folder: Path) -> set[str]:
    method_map = [("**.html", "jinja2"), ("**.py", "python")]
    options = {"**.html": {"extensions": "jinja2.ext.i18n"}}
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        folder, method_map, options_map=options, keywords={**DEFAULT_KEYWORDS, "translate": (2,)}
    ):
        found.add(message if isinstance(message, str) else message[0])
    return found


def test_every_ui_string_is_translated_to_finnish() -> None:
    finnish = translations("fi")
    messages = _messages(ROOT / "app" / "web") | _messages(ROOT / "portal_templates")
    assert messages, "extraction found nothing"
    missing = sorted(m for m in messages if finnish.gettext(m) == m)
    assert missing == []


def test_every_code_label_is_translated_to_finnish() -> None:
    from app.i18n import LABELS

    finnish = translations("fi")
    missing = [
        text for kind in LABELS.values() for text in kind.values() if finnish.gettext(text) == text
    ]
    assert missing == []


def _raised_field_errors() -> list[tuple[str, str | None, bool, str]]:
    """(code, field, reason is N_-marked, where) of every FieldError written in app/."""
    import ast

    found = []
    for path in sorted((ROOT / "app").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            is_field_error = isinstance(func, ast.Name) and func.id == "FieldError"
            is_single = (
                isinstance(func, ast.Attribute)
                and func.attr == "single"
                and isinstance(func.value, ast.Name)
                and func.value.id == "ValidationFailed"
            )
            if not (is_field_error or is_single):
                continue
            keywords = {k.arg: k.value for k in node.keywords}
            args = [*node.args, None, None, None]
            field, reason = keywords.get("field", args[0]), keywords.get("reason", args[1])
            code = keywords.get("code", args[2])
            if code is None:
                code = ast.Constant("invalid")
            if not isinstance(code, ast.Constant):
                continue  # passes on a code decided elsewhere
            marked = (
                isinstance(reason, ast.Call)
                and isinstance(reason.func, ast.Name)
                and reason.func.id == "N_"
            )
            name = field.value if isinstance(field, ast.Constant) else None
            found.append((code.value, name, marked, f"{path.name}:{node.lineno}"))
    return found


def test_every_form_error_has_a_finnish_message() -> None:
    import app.main  # noqa: F401  (every area registers its messages on import)
    from app.i18n import FIELD_ERROR_MESSAGES

    finnish = translations("fi")
    found = _raised_field_errors()
    assert len(found) > 100
    unregistered = [
        (code, field, where)
        for code, field, marked, where in found
        if not marked
        and code not in FIELD_ERROR_MESSAGES
        and (code, (field or "").rsplit(".", 1)[-1]) not in FIELD_ERROR_MESSAGES
    ]
    assert unregistered == []
    untranslated = [m for m in FIELD_ERROR_MESSAGES.values() if finnish.gettext(m) == m]
    assert untranslated == []


def test_numbers_in_form_errors_follow_the_readers_notation() -> None:
    from app.domain.errors import FieldError
    from app.i18n import field_error_message

    error = FieldError("name", "At most 2500 characters.", "too_long", {"limit": 2500})
    assert field_error_message("en", error) == "At most 2,500 characters."
    assert "2\xa0500" in field_error_message("fi", error)


# --- Swedish: every catalog of Finnish has its Swedish twin ----------------------------
#
# The Finnish tests above prove every extracted string, code label and form error message
# is in a Finnish catalog; so Swedish is complete when every msgid of each Finnish catalog
# has a Swedish translation. Checked per catalog, so a failure names the area to translate.

LOCALE = ROOT / "app" / "locale"


def _msgids(path: Path) -> set[str]:
    from babel.messages.pofile import read_po

    if not path.exists():
        return set()
    with path.open("rb") as po_file:
        catalog = read_po(po_file)
    return {
        message.id if isinstance(message.id, str) else message.id[0]
        for message in catalog
        if message.id and message.string and all(message.string)
    }


def _finnish_domains() -> list[str]:
    return sorted(path.stem for path in (LOCALE / "fi" / "LC_MESSAGES").glob("*.po"))


@pytest.mark.parametrize("domain", _finnish_domains())
def test_every_finnish_msgid_has_a_swedish_translation(domain: str) -> None:
    finnish = _msgids(LOCALE / "fi" / "LC_MESSAGES" / f"{domain}.po")
    swedish = translations("sv")
    # Another catalog may translate a msgid the areas share ("Municipality").
    catalog = swedish._catalog  # type: ignore[attr-defined]
    # A plural msgid is kept under (msgid, form).
    missing = sorted(m for m in finnish if m not in catalog and (m, 0) not in catalog)
    assert missing == [], f"{len(missing)} msgids of {domain}.po lack Swedish: {missing[:20]}"


def test_swedish_catalogs_keep_every_placeholder() -> None:
    """A translation that drops or renames %(name)s would fail when formatted."""
    import re

    from babel.messages.pofile import read_po

    placeholder = re.compile(r"%\([a-z_]+\)[sd]")
    broken = []
    for path in sorted((LOCALE / "sv" / "LC_MESSAGES").glob("*.po")):
        with path.open("rb") as po_file:
            catalog = read_po(po_file)
        assert catalog.plural_forms == "nplurals=2; plural=(n != 1);"
        for message in catalog:
            if not message.id or not message.string:
                continue
            source = message.id if isinstance(message.id, str) else message.id[-1]
            target = message.string if isinstance(message.string, str) else message.string[-1]
            if set(placeholder.findall(source)) != set(placeholder.findall(target)):
                broken.append(f"{path.name}: {source}")
    assert broken == []


def test_swedish_formats_follow_finland_swedish() -> None:
    from datetime import date
    from decimal import Decimal

    from app.i18n import format_day, format_eur, format_number

    assert format_eur(Decimal(1_234_567), "sv") == "1\xa0234\xa0567\xa0€"
    assert format_number(2500.5, "sv") == "2\xa0500,5"
    assert format_day(date(2026, 11, 30), "sv") == "30 nov. 2026"


def test_swedish_readers_read_finnish_content_marked_as_finnish() -> None:
    from types import SimpleNamespace

    from app.i18n import localized, shown_language

    site = SimpleNamespace(name_fi="Renforsin Ranta", name_en="Renforsin Ranta Park")
    assert localized(site, "name", "sv") == "Renforsin Ranta"
    assert shown_language(site, "name", "sv") == "fi"
    assert localized(site, "name", "en") == "Renforsin Ranta Park"
    municipality = SimpleNamespace(name_fi="Kajaani", name_sv="Kajana", name_en="Kajaani")
    assert (localized(municipality, "name", "sv"), shown_language(municipality, "name", "sv")) == (
        "Kajana",
        "sv",
    )
