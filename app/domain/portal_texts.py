"""A region's own words on the portal: the home page's pitch and selling points, and a
pitch per municipality and key industry.

They are region data, written in the region's languages in
`app/regions/<slug>/portal_texts.yaml`, not catalog messages: another region says
other things, not the same things translated. A region without the file, or without a
text, shows none.
"""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import BaseModel, ConfigDict


def _in_language(texts: Mapping[str, str], lang: str) -> str:
    """The text in `lang`, else English, else Finnish (as the region's own names)."""
    for candidate in (lang, "en", "fi"):
        if texts.get(candidate):
            return texts[candidate]
    return ""


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SellingPoint(_Frozen):
    title: dict[str, str]
    text: dict[str, str]


class HomeTexts(_Frozen):
    lead: dict[str, str] = {}
    selling_points: tuple[SellingPoint, ...] = ()


class PortalTexts(_Frozen):
    # Who is responsible for inquirers' data, with the address: the privacy notice's first line.
    privacy_controller: dict[str, str] = {}
    home: HomeTexts = HomeTexts()
    # By Statistics Finland municipality code and by key-industry code.
    municipalities: dict[str, dict[str, str]] = {}
    industries: dict[str, dict[str, str]] = {}

    def privacy_controller_in(self, lang: str) -> str:
        return _in_language(self.privacy_controller, lang)

    def home_lead(self, lang: str) -> str:
        return _in_language(self.home.lead, lang)

    def selling_points(self, lang: str) -> list[tuple[str, str]]:
        """(title, text) pairs of the home page's "why us" list."""
        return [
            (_in_language(point.title, lang), _in_language(point.text, lang))
            for point in self.home.selling_points
        ]

    def municipality_pitch(self, code: str, lang: str) -> str:
        return _in_language(self.municipalities.get(code, {}), lang)

    def industry_pitch(self, code: str, lang: str) -> str:
        return _in_language(self.industries.get(code, {}), lang)
