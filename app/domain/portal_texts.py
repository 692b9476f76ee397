"""A region's own words on the portal: the home page's pitch and selling points, and a
pitch per municipality and key industry.

They are region data, written in the region's languages in
`app/regions/<slug>/portal_texts.yaml`, not catalog messages: another region says
other things, not the same things translated. A region without the file, or without a
text, shows none.
"""

from __future__ import annotations

from app.domain.region import FrozenModel, text_in


class SellingPoint(FrozenModel):
    title: dict[str, str]
    text: dict[str, str]


class HomeTexts(FrozenModel):
    lead: dict[str, str] = {}
    selling_points: tuple[SellingPoint, ...] = ()


class PortalTexts(FrozenModel):
    # Who is responsible for inquirers' data, with the address: the privacy notice's first line.
    privacy_controller: dict[str, str] = {}
    home: HomeTexts = HomeTexts()
    # By Statistics Finland municipality code and by key-industry code.
    municipalities: dict[str, dict[str, str]] = {}
    industries: dict[str, dict[str, str]] = {}

    def privacy_controller_in(self, lang: str) -> str:
        return text_in(self.privacy_controller, lang)

    def home_lead(self, lang: str) -> str:
        return text_in(self.home.lead, lang)

    def selling_points(self, lang: str) -> list[tuple[str, str]]:
        """(title, text) pairs of the home page's "why us" list."""
        return [
            (text_in(point.title, lang), text_in(point.text, lang))
            for point in self.home.selling_points
        ]

    def municipality_pitch(self, code: str, lang: str) -> str:
        return text_in(self.municipalities.get(code, {}), lang)

    def industry_pitch(self, code: str, lang: str) -> str:
        return text_in(self.industries.get(code, {}), lang)
