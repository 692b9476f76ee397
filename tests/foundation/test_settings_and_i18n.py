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
        ("sv-SE,en;q=0.5", "en"),
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
