"""Finnish, Swedish and English for the staff UI and the portal, through gettext catalogs
(Babel).

English is the source language; `app/locale/<lang>/LC_MESSAGES/*.po` hold Finnish and
Swedish, one catalog per business area (`messages.po` for the shell, `leads.po`, …), so
adding a language is adding a folder of catalogs. Catalogs are compiled in memory at
first use, so no generated `.mo` file is committed.
"""

from __future__ import annotations

import gettext as stdlib_gettext
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from io import BytesIO
from pathlib import Path
from typing import Any, Literal, TypeGuard, get_args
from zoneinfo import ZoneInfo

from babel.core import Locale, UnknownLocaleError
from babel.dates import format_date, format_datetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import (
    NumberPattern,
    format_compact_currency,
    format_decimal,
    parse_pattern,
)
from babel.support import Translations
from jinja2 import Environment, pass_context
from jinja2.runtime import Context
from markupsafe import Markup

from app.domain.errors import FieldError
from app.domain.region import SUPPORTED_LANGUAGES

# A language the UI is written in: the type of every `lang` a route or schema accepts.
UiLanguage = Literal["fi", "sv", "en"]
# The one list of UI languages, in the order switchers show them: the region's list,
# which the type above must spell alike (a region may offer a subset of them).
LANGUAGES: tuple[UiLanguage, ...] = get_args(UiLanguage)
if LANGUAGES != SUPPORTED_LANGUAGES:
    raise RuntimeError("UiLanguage must list exactly SUPPORTED_LANGUAGES of app.domain.region")
# Staff and investors read times in Finnish local time; storage stays UTC.
HELSINKI = ZoneInfo("Europe/Helsinki")
DEFAULT_LANGUAGE: UiLanguage = "fi"
# Each UI language in its own words: its name (for choosing one in a form) and the
# link text of a language switcher ("read this page in …").
LANGUAGE_NAMES: dict[UiLanguage, str] = {"fi": "Suomi", "sv": "Svenska", "en": "English"}
LANGUAGE_SWITCH_TEXTS: dict[UiLanguage, str] = {
    "fi": "Suomeksi",
    "sv": "På svenska",
    "en": "In English",
}


def is_ui_language(value: object) -> TypeGuard[UiLanguage]:
    return value in LANGUAGES


def shown_language(record: Any, field: str, lang: str) -> str:
    """Which of a record's `<field>_fi`, `<field>_sv`, `<field>_en` a reader of `lang`
    is shown: their own language when the record has it written, else Finnish (most
    content is written in Finnish and English only)."""
    return lang if _attribute(record, f"{field}_{lang}") else "fi"


def localized(record: Any, field: str, lang: str) -> str | None:
    """A record's `<field>_<lang>` when written, else `<field>_fi`."""
    value = _attribute(record, f"{field}_{shown_language(record, field, lang)}")
    return None if value is None else str(value)


def _attribute(record: Any, name: str) -> Any:
    """An attribute of a row or dataclass, or a key of a mapping (as Jinja reads both)."""
    return record.get(name) if isinstance(record, Mapping) else getattr(record, name, None)


LOCALE_DIR = Path(__file__).parent / "locale"


@lru_cache
def translations(lang: str) -> stdlib_gettext.NullTranslations:
    """All catalogs of a language merged: one `.po` file per business area, so areas
    can be translated independently."""
    catalog_dir = LOCALE_DIR / lang / "LC_MESSAGES"
    merged: Translations | None = None
    for po_path in sorted(catalog_dir.glob("*.po")) if lang != "en" else []:
        with po_path.open("rb") as po_file:
            catalog = read_po(po_file, locale=lang)
        compiled = BytesIO()
        write_mo(compiled, catalog)
        compiled.seek(0)
        part = Translations(compiled, domain=po_path.stem)
        merged = part if merged is None else merged.merge(part)
    return merged if merged is not None else stdlib_gettext.NullTranslations()


def translate(lang: str, message: str, **variables: Any) -> str:
    """Translate a message written in code (extracted with the keyword `translate`)."""
    text = translations(lang).gettext(message)
    return text % variables if variables else text


def N_(message: str) -> str:
    """Mark a string for extraction where it is translated later, at render time."""
    return message


# Labels of stored codes, translated when shown: {kind: {code: English label}}.
LABELS: dict[str, dict[str, str]] = {
    "role": {
        "admin": N_("Administrator"),
        "coordinator": N_("Coordinator"),
        "municipal_contact": N_("Municipal contact"),
        "forum_viewer": N_("Investment forum"),
        "partner": N_("Partner"),
    },
    "site_status": {
        "draft": N_("Draft"),
        "submitted": N_("Submitted"),
        "published": N_("Published"),
        "returned": N_("Returned"),
        "withdrawn": N_("Withdrawn"),
        "archived": N_("Archived"),
    },
}


def register_labels(kind: str, labels: dict[str, str]) -> None:
    """Each business area registers the labels of its own codes (marked with N_)."""
    LABELS.setdefault(kind, {}).update(labels)


def label(lang: str, kind: str, code: str | None) -> str:
    if code is None:
        return "–"
    return translations(lang).gettext(LABELS.get(kind, {}).get(code, code))


# Form error messages by the stable code of a FieldError, translated when shown. A key
# is a code, or (code, field) where one field's message says more than the code's.
# Field paths match on their last part ("rows.3.email" -> "email"). Messages may use
# %(name)s placeholders filled from `FieldError.params`; a param named like a label
# kind holds a code and is shown as that code's label ("site_status": "draft").
FieldErrorKey = str | tuple[str, str]
FIELD_ERROR_MESSAGES: dict[FieldErrorKey, str] = {
    "required": N_("This field is required."),
    "too_long": N_("At most %(limit)s characters."),
    "too_short": N_("At least %(limit)s characters."),
    "invalid_date": N_("Give a date as YYYY-MM-DD."),
    "not_a_number": N_("Give a number."),
    "must_not_be_negative": N_("The number cannot be negative."),
    "must_be_positive": N_("The amount must be above zero."),
    "not_a_boolean": N_("Give yes or no."),
    "not_a_list": N_("Give a list of codes."),
    "invalid_choice": N_("Choose one of the options."),
    "invalid_email": N_("Give a valid e-mail address."),
    "unknown_country": N_("Give a two-letter ISO country code, e.g. FI."),
    "out_of_range": N_("Give a whole number from 0 to 100."),
    "invalid": N_("This value is not valid."),
    "unknown": N_("No such item: choose one from the list."),
    "duplicate": N_("This already exists."),
    "not_allowed": N_("This is not allowed."),
    "too_large": N_("The value or file is too large."),
    "empty": N_("The file is empty."),
}


def register_field_errors(messages: dict[FieldErrorKey, str]) -> None:
    """Each business area registers the messages of its own codes (marked with N_)."""
    FIELD_ERROR_MESSAGES.update(messages)


def _param_text(lang: str, name: str, value: object) -> object:
    """A message parameter as the reader expects it: codes as their labels, numbers in
    the reader's notation (2 500,5 in Finnish)."""
    if name in LABELS and isinstance(value, str):
        return label(lang, name, value)
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return format_decimal(value, locale=lang)
    return value


def field_error_message(lang: str, error: FieldError) -> str:
    """The error in the reader's language: the message registered for its code (and
    field), else its reason, which is translated when the reason itself was marked with
    N_ (the public portal's form texts are)."""
    name = error.field.rsplit(".", 1)[-1]
    message = FIELD_ERROR_MESSAGES.get((error.code, name)) or FIELD_ERROR_MESSAGES.get(error.code)
    if message is None:
        return translations(lang).gettext(error.reason)
    text = translations(lang).gettext(message)
    if "%(" not in message:
        return text
    params = {name: _param_text(lang, name, value) for name, value in error.params.items()}
    try:
        return text % params
    except (KeyError, TypeError, ValueError):
        return error.reason


def negotiate_language(
    accept_language: str | None,
    offered: Sequence[str] = LANGUAGES,
    default: UiLanguage = DEFAULT_LANGUAGE,
) -> UiLanguage:
    """Pick a UI language from an Accept-Language header by quality, among `offered`
    (the region's languages), else `default`."""
    best, best_q = default, -1.0
    for part in (accept_language or "").split(","):
        tag, _, params = part.strip().partition(";")
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 0.0
        try:
            lang = Locale.parse(tag.strip().replace("-", "_")).language if tag.strip() else ""
        except (ValueError, UnknownLocaleError):
            continue
        if is_ui_language(lang) and lang in offered and q > best_q:
            best, best_q = lang, q
    return best


# The Babel locale each language is written in: English readers here expect British
# forms ("30 Nov 2026", "€1,234,567"); Finnish ones "30.11.2026", "1 234 567 €"; Swedish
# ones Finland-Swedish forms ("30 nov. 2026", "1 234 567 €", decimal comma).
BABEL_LOCALES: dict[str, str] = {"fi": "fi_FI", "sv": "sv_FI", "en": "en_GB"}


def babel_locale(lang: str) -> str:
    return BABEL_LOCALES.get(lang, lang)


@lru_cache
def _eur_pattern(lang: str) -> str:
    """The locale's own currency pattern without decimals: euros are whole."""
    pattern = Locale.parse(babel_locale(lang)).currency_formats["standard"].pattern
    return pattern.split(";")[0].replace(".00", "")


def format_eur(value: int | Decimal | None, lang: str) -> str:
    """Whole euros as the reader writes them: "1 234 567 €" (fi), "€1,234,567" (en)."""
    if value is None:
        return "–"
    return _formatted_eur(value, lang)


@lru_cache(maxsize=16)
def _eur_format(lang: str) -> tuple[NumberPattern, Locale]:
    return parse_pattern(_eur_pattern(lang)), Locale.parse(babel_locale(lang))


# What babel's format_currency does, with the pattern and the locale parsed once: a
# list page formats a hundred amounts, and parsing them each time was most of its render.
@lru_cache(maxsize=8192)
def _formatted_eur(value: int | Decimal, lang: str) -> str:
    pattern, locale = _eur_format(lang)
    return pattern.apply(value, locale, currency="EUR", currency_digits=False)


def format_eur_compact(value: int | Decimal | None, lang: str) -> str:
    """Large euro amounts shortened for chart axes: "1,2 mrd. €" (fi), "€1.2B" (en)."""
    if value is None:
        return "–"
    if -10_000 < value < 10_000:
        return format_eur(value, lang)
    return format_compact_currency(value, "EUR", locale=babel_locale(lang), fraction_digits=1)


def format_day(value: date | None, lang: str) -> str:
    """A date as the reader writes it: "30.11.2026" (fi), "30 Nov 2026" (en)."""
    if value is None:
        return "–"
    return format_date(value, format="medium", locale=babel_locale(lang))


def format_number(value: float | int | Decimal | None, lang: str, digits: int = 1) -> str:
    if value is None:
        return "–"
    return _formatted_number(value, lang, digits)


@lru_cache(maxsize=16)
def _number_format(lang: str, digits: int) -> tuple[NumberPattern, Locale]:
    pattern = "#,##0" + ("." + "#" * digits if digits else "")
    return parse_pattern(pattern), Locale.parse(babel_locale(lang))


# Pages show the same areas and powers again and again: parsing the pattern and the
# locale for each is most of the cost (what babel's format_decimal does every call).
@lru_cache(maxsize=8192)
def _formatted_number(value: float | int | Decimal, lang: str, digits: int) -> str:
    pattern, locale = _number_format(lang, digits)
    return pattern.apply(value, locale)


def country_name(code: str | None, lang: str) -> str:
    """An ISO 3166 code as the country's name in the reader's language (Babel's locale
    territories): "SE" reads "Sweden" / "Ruotsi"."""
    if not code:
        return "–"
    territories = Locale.parse(babel_locale(lang)).territories
    return territories.get(code.upper(), code)


def install_i18n(env: Environment) -> None:
    """Template gettext follows the `lang` variable of each render's context."""
    env.add_extension("jinja2.ext.i18n")

    @pass_context
    def _gettext(context: Context, message: str) -> str:
        return translations(context.get("lang", DEFAULT_LANGUAGE)).gettext(message)

    @pass_context
    def _ngettext(context: Context, singular: str, plural: str, n: int) -> str:
        return translations(context.get("lang", DEFAULT_LANGUAGE)).ngettext(singular, plural, n)

    env.install_gettext_callables(_gettext, _ngettext, newstyle=True)  # type: ignore[attr-defined]

    @pass_context
    def _eur(context: Context, value: int | Decimal | None) -> str:
        return format_eur(value, context.get("lang", DEFAULT_LANGUAGE))

    @pass_context
    def _number(context: Context, value: float | None, digits: int = 1) -> str:
        return format_number(value, context.get("lang", DEFAULT_LANGUAGE), digits)

    @pass_context
    def _date(context: Context, value: date | datetime | None) -> str:
        if value is None:
            return "–"
        lang = context.get("lang", DEFAULT_LANGUAGE)
        if isinstance(value, datetime):
            return format_datetime(
                value, format="short", locale=babel_locale(lang), tzinfo=HELSINKI
            )
        return format_day(value, lang)

    @pass_context
    def _label(context: Context, kind: str, code: str | None) -> str:
        return label(context.get("lang", DEFAULT_LANGUAGE), kind, code)

    @pass_context
    def _country(context: Context, code: str | None) -> str:
        return country_name(code, context.get("lang", DEFAULT_LANGUAGE))

    @pass_context
    def _local_name(context: Context, record: Any) -> str:
        """A record's name in the reader's language (`name_en`), else its Finnish name."""
        return localized(record, "name", context.get("lang", DEFAULT_LANGUAGE)) or ""

    @pass_context
    def _lang_attr(context: Context, record: Any, field: str = "name") -> Markup:
        """` lang="fi"` on an element whose content is not in the page's language (a
        Swedish page showing a site's Finnish description), so screen readers switch."""
        page_lang = context.get("lang", DEFAULT_LANGUAGE)
        shown = shown_language(record, field, page_lang)
        # Safe: `shown` is one of the constants "fi" and "en".
        return Markup(f' lang="{shown}"') if shown != page_lang else Markup("")  # noqa: S704

    @pass_context
    def _localized(context: Context, record: Any, field: str) -> str | None:
        """A record's `<field>_<lang>` in the reader's language, else the Finnish one."""
        return localized(record, field, context.get("lang", DEFAULT_LANGUAGE))

    env.filters.update(
        eur=_eur,
        number=_number,
        date=_date,
        country=_country,
        local_name=_local_name,
        localized=_localized,
    )
    env.globals["label"] = _label
    env.globals["lang_attr"] = _lang_attr
    env.globals["babel_locale"] = babel_locale
    env.globals["language_names"] = LANGUAGE_NAMES
    env.globals["language_switch_texts"] = LANGUAGE_SWITCH_TEXTS
