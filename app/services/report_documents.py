"""The forum report as charts, a printable PDF (WeasyPrint) and an XLSX workbook (openpyxl).

Charts are computed here as plain geometry and drawn by one set of Jinja macros
(`reports/_charts.html`) as accessible SVG, so the staff page and the PDF show the same
charts with no script. The documents name leads by code name, and a lead's investor only
once it was announced by the report's date.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import lru_cache
from io import BytesIO
from pathlib import Path
from typing import TYPE_CHECKING, Any

from babel import Locale
from babel.dates import format_date
from jinja2 import Environment, FileSystemLoader, select_autoescape
from openpyxl import Workbook
from openpyxl.chart import BarChart, LineChart, Reference
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet
from sqlalchemy import select
from sqlalchemy.orm import Session

import app.services.leads  # noqa: F401  (registers the lead code labels used in reports)
from app.db.models import Industry, LostReason, Municipality, Stage
from app.domain.region import RegionDefinition
from app.domain.spreadsheets import append_row, spreadsheet_cell
from app.domain.targets import Dimension, Figure, Figures, GroupFigures
from app.i18n import (
    N_,
    babel_locale,
    format_day,
    format_eur,
    format_eur_compact,
    format_number,
    install_i18n,
    label,
    register_labels,
)
from app.i18n import translate as _translate
from app.services import printing
from app.services import region as region_service

if TYPE_CHECKING:
    from app.services.reports import ForumReport

TEMPLATES_DIR = Path(__file__).resolve().parents[1] / "web" / "templates"

register_labels(
    "target_figure",
    {
        "realised": N_("Realised"),
        "committed": N_("Committed"),
        "weighted": N_("Weighted pipeline"),
        "announced": N_("Announced"),
        "forecast": N_("Forecast"),
    },
)
register_labels(
    "report_dimension",
    {
        "industry": N_("Key industry"),
        "municipality": N_("Municipality"),
        "investment_type": N_("Investment type"),
        "origin_country": N_("Country of origin"),
    },
)
register_labels(
    "target_scope", {"industrial": N_("industrial investment"), "all": N_("all investment")}
)

# Colour-blind-safe palette (Okabe–Ito) with enough contrast on white.
SERIES_COLOURS = {
    "realised": "#005a8c",
    "committed": "#009e73",
    "weighted": "#d55e00",
    "target": "#1b2733",
    "count": "#005a8c",
}
PIPELINE_FIGURES = (Figure.REALISED, Figure.COMMITTED, Figure.WEIGHTED)


# --- names of stored codes -------------------------------------------------------------


@dataclass(frozen=True)
class Labels:
    """How codes read in one language; reference data names come from the database."""

    lang: str
    stages: dict[str, str]
    industries: dict[str, str]
    municipalities: dict[str, str]
    lost_reasons: dict[str, str]
    # The region the report is about, named on its cover and summary sheet.
    region: RegionDefinition

    def _(self, message: str, **variables: Any) -> str:
        return _translate(self.lang, message, **variables)

    def code(self, kind: str, code: str | None) -> str:
        return label(self.lang, kind, code)

    def dimension_value(self, dimension: Dimension, key: str | None) -> str:
        if key is None:
            return self._("Not assigned")
        names = {
            Dimension.INDUSTRY: self.industries,
            Dimension.MUNICIPALITY: self.municipalities,
        }.get(dimension)
        if names is not None:
            return names.get(key, key)
        if dimension is Dimension.INVESTMENT_TYPE:
            return self.code("investment_type", key)
        if dimension is Dimension.ORIGIN_COUNTRY:
            return self.country(key)
        return key

    def country(self, code: str | None) -> str:
        """A country by name in the reader's language (Babel), never its ISO code."""
        if not code:
            return self._("Not assigned")
        name = Locale.parse(babel_locale(self.lang)).territories.get(code.upper())
        return str(name) if name else code

    def month(self, year: int, month: int) -> str:
        return format_date(date(year, month, 1), format="LLL yyyy", locale=babel_locale(self.lang))

    def day(self, value: date | None) -> str:
        return format_day(value, self.lang)

    def eur_compact(self, value: int | Decimal | None) -> str:
        return format_eur_compact(value, self.lang)

    def industry(self, code: str | None) -> str:
        return self.dimension_value(Dimension.INDUSTRY, code)

    def municipality(self, code: str | None) -> str:
        return self.dimension_value(Dimension.MUNICIPALITY, code)

    def eur(self, value: int | Decimal | None) -> str:
        return format_eur(value, self.lang)

    def number(self, value: int | Decimal | None, digits: int = 1) -> str:
        return format_number(value, self.lang, digits)


def document_labels(db: Session, lang: str) -> Labels:
    def names(rows: Any) -> dict[str, str]:
        # Reference names are written in Finnish and English; Swedish reads Finnish.
        return {code: (en or fi) if lang == "en" else fi for code, fi, en in rows}

    return Labels(
        lang=lang,
        stages=names(
            db.execute(select(Stage.code, Stage.name_fi, Stage.name_en).order_by(Stage.sort_order))
        ),
        industries=names(db.execute(select(Industry.code, Industry.name_fi, Industry.name_en))),
        municipalities=names(
            db.execute(select(Municipality.code, Municipality.name_fi, Municipality.name_en))
        ),
        lost_reasons=names(
            db.execute(select(LostReason.code, LostReason.name_fi, LostReason.name_en))
        ),
        region=region_service.current_region(db),
    )


# --- charts ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Rect:
    x: int
    y: int
    width: int
    height: int
    colour: str
    tooltip: str


@dataclass(frozen=True)
class Text:
    x: int
    y: int
    text: str
    anchor: str = "start"


@dataclass(frozen=True)
class Line:
    x1: int
    y1: int
    x2: int
    y2: int
    colour: str


@dataclass
class Chart:
    """An SVG chart as shapes, with the same data as a table for screen readers and print."""

    id: str
    title: str
    description: str
    width: int
    height: int
    rects: list[Rect] = field(default_factory=list)
    texts: list[Text] = field(default_factory=list)
    lines: list[Line] = field(default_factory=list)
    legend: list[tuple[str, str]] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    font_size: int = 12


MAX_LABEL_WIDTH = 340
# The executive summary sets charts two to a row: narrower drawings, larger type, so
# they print at a legible size (about 8 pt on A4).
COMPACT_LABEL_WIDTH = 216
COMPACT_WIDTH = 480


def _fit(label: str, width: int, char_px: float = 6.6) -> str:
    """The label, shortened with an ellipsis when it cannot fit in `width` pixels."""
    room = int((width - 16) / char_px + 0.5)
    return label if len(label) <= room else label[: room - 1].rstrip() + "…"


def _nice_axis(value: int) -> tuple[int, int]:
    """A round axis (top, step) for values up to `value`, with some room to spare: the
    step is 1, 2, 2.5 or 5 × 10^k and there are at most five steps."""
    wanted = max(value * 21 // 20, 1)
    magnitude = 1
    while True:
        for step in (magnitude, 2 * magnitude, 5 * magnitude // 2, 5 * magnitude):
            if step and -(-wanted // step) <= 5:
                return step * -(-wanted // step), step
        magnitude *= 10


def _scale(value: int, largest: int, length: int) -> int:
    return 0 if largest <= 0 else round(length * value / largest)


def horizontal_bars(
    chart_id: str,
    title: str,
    description: str,
    rows: Sequence[tuple[str, Sequence[tuple[str, str, int]]]],
    fmt: Callable[[int], str],
    columns: list[str],
    *,
    compact: bool = False,
    total_fmt: Callable[[int], str] | None = None,
) -> Chart:
    """One bar per row, stacked from (series key, series name, value) segments; the
    total beside each bar is written with `total_fmt` (default `fmt`)."""
    bar_length, row_height, top = (170, 28, 6) if compact else (420, 26, 10)
    cap, room = (COMPACT_LABEL_WIDTH, 92) if compact else (MAX_LABEL_WIDTH, 130)
    # Room for the longest label (about 6.6 px a character at the chart's font size);
    # past the cap a label is shortened here, and the table below gives it in full.
    longest = max((len(label) for label, _segments in rows), default=0)
    font_size = 14 if compact else 12
    char_px = 6.6 * font_size / 12
    label_width = max(100 if compact else 120, min(cap, round(16 + char_px * longest)))
    if compact:
        # One drawing width for every summary chart, so they print at one type size.
        bar_length = COMPACT_WIDTH - label_width - room
    height = top + row_height * max(len(rows), 1) + 10
    chart = Chart(
        chart_id,
        title,
        description,
        label_width + bar_length + room,
        height,
        font_size=font_size,
    )
    total_fmt = total_fmt or fmt
    largest = max((sum(v for _k, _n, v in segments) for _l, segments in rows), default=0)
    for index, (row_label, segments) in enumerate(rows):
        y = top + index * row_height
        baseline = y + row_height - 10
        chart.texts.append(
            Text(label_width - 8, baseline, _fit(row_label, label_width, char_px), "end")
        )
        x = label_width
        for key, name, value in segments:
            width = _scale(value, largest, bar_length)
            if width:
                chart.rects.append(
                    Rect(
                        x,
                        y + 3,
                        width,
                        row_height - 8,
                        SERIES_COLOURS[key],
                        f"{name}: {fmt(value)}",
                    )
                )
            x += width
        total = sum(v for _k, _n, v in segments)
        chart.texts.append(Text(x + 6, baseline, total_fmt(total)))
        chart.rows.append([row_label, *(fmt(v) for _k, _n, v in segments)])
    # The legend in the order of the segments, as the bars are stacked.
    series = dict.fromkeys((key, name) for _l, segments in rows for key, name, _v in segments)
    chart.legend = [(SERIES_COLOURS[key], name) for key, name in series]
    chart.columns = columns
    return chart


def progress_chart(report: ForumReport, labels: Labels, *, compact: bool = False) -> Chart:
    """Cumulative realised, committed and weighted pipeline per year, against the target."""
    _ = labels._
    years = report.progress.years
    target_eur = report.target.amount_eur or 0
    left, plot_height, column, top = (78, 220, 64, 14) if compact else (100, 260, 90, 20)
    width = left + column * max(len(years), 1) + 20
    chart = Chart(
        "chart-progress-summary" if compact else "chart-progress",
        _("Progress toward the target over time"),
        _(
            "Cumulative realised, committed and weighted pipeline investment per year of "
            "the period, with the target of %(target)s as a line.",
            target=labels.eur(target_eur),
        )
        if target_eur
        else _(
            "Cumulative realised, committed and weighted pipeline investment per year of "
            "the period."
        ),
        width,
        top + plot_height + 30,
        font_size=13 if compact else 12,
    )
    # A round top above the taller of the target and the forecast, with room for the
    # target's label.
    largest, tick = _nice_axis(max([target_eur, *(y.cumulative.forecast.total for y in years)]))
    base = top + plot_height
    for value in range(0, largest + 1, tick):
        y = base - _scale(value, largest, plot_height)
        chart.lines.append(Line(left - 4, y, width - 10, y, "#d5dbe1"))
        chart.texts.append(Text(left - 8, y + 4, labels.eur_compact(value), "end"))
    for index, year in enumerate(years):
        x = left + index * column + 15
        stacked = 0
        for figure in PIPELINE_FIGURES:
            value = getattr(year.cumulative, figure.value).total
            height = _scale(value, largest, plot_height)
            top_y = base - _scale(stacked + value, largest, plot_height)
            if height:
                chart.rects.append(
                    Rect(
                        x,
                        top_y,
                        column - 30,
                        height,
                        SERIES_COLOURS[figure.value],
                        f"{year.year} {labels.code('target_figure', figure.value)}: "
                        f"{labels.eur(value)}",
                    )
                )
            stacked += value
        chart.texts.append(Text(x + (column - 30) // 2, base + 18, str(year.year), "middle"))
        chart.rows.append(
            [
                str(year.year),
                *(labels.eur(getattr(year.cumulative, f.value).total) for f in PIPELINE_FIGURES),
                labels.eur(year.cumulative.forecast.total),
            ]
        )
    if target_eur:
        target_y = base - _scale(target_eur, largest, plot_height)
        chart.lines.append(Line(left, target_y, width - 10, target_y, SERIES_COLOURS["target"]))
        chart.texts.append(
            Text(width - 12, target_y - 6, f"{_('Target')} {labels.eur_compact(target_eur)}", "end")
        )
    chart.legend = [
        (SERIES_COLOURS[f.value], labels.code("target_figure", f.value)) for f in PIPELINE_FIGURES
    ]
    chart.columns = [
        _("Year"),
        *(labels.code("target_figure", f.value) for f in PIPELINE_FIGURES),
        labels.code("target_figure", "forecast"),
    ]
    return chart


def _split_segments(figures: Figures, labels: Labels) -> list[tuple[str, str, int]]:
    return [
        (f.value, labels.code("target_figure", f.value), getattr(figures, f.value).total)
        for f in PIPELINE_FIGURES
    ]


def split_chart(
    dimension: Dimension, groups: list[GroupFigures], labels: Labels, *, compact: bool = False
) -> Chart:
    _ = labels._
    name = labels.code("report_dimension", dimension.value)
    return horizontal_bars(
        f"chart-{dimension.value}{'-summary' if compact else ''}",
        _("Forecast by %(dimension)s", dimension=name.lower()),
        _(
            "Realised, committed and weighted pipeline investment for each %(dimension)s.",
            dimension=name.lower(),
        ),
        [
            (labels.dimension_value(dimension, g.key), _split_segments(g.figures, labels))
            for g in groups
        ],
        labels.eur,
        [name, *(labels.code("target_figure", f.value) for f in PIPELINE_FIGURES)],
        compact=compact,
        total_fmt=labels.eur_compact if compact else labels.eur,
    )


def funnel_chart(report: ForumReport, labels: Labels, *, compact: bool = False) -> Chart:
    _ = labels._
    rows = [
        (
            labels.stages.get(row.stage_code, row.stage_code),
            [("count", _("Leads"), row.reached or 0)],
        )
        for row in report.pipeline.funnel
        if row.reached is not None
    ]
    return horizontal_bars(
        "chart-funnel-summary" if compact else "chart-funnel",
        _("Pipeline funnel"),
        _(
            "Leads that had reached each stage or a later one by %(date)s.",
            date=labels.day(report.progress.as_of),
        ),
        rows,
        lambda n: labels.number(n, 0),
        [_("Stage"), _("Leads reached")],
        compact=compact,
    )


def summary_charts(report: ForumReport, labels: Labels) -> list[Chart]:
    """The few charts that tell the story, drawn for the one-page executive summary:
    progress with the target line, the funnel, by industry, by municipality."""
    splits = report.progress.splits
    return [
        progress_chart(report, labels, compact=True),
        funnel_chart(report, labels, compact=True),
        *(
            split_chart(dimension, splits[dimension], labels, compact=True)
            for dimension in (Dimension.INDUSTRY, Dimension.MUNICIPALITY)
            if dimension in splits
        ),
    ]


def report_charts(report: ForumReport, labels: Labels) -> list[Chart]:
    return [
        progress_chart(report, labels),
        funnel_chart(report, labels),
        *(
            split_chart(dimension, groups, labels)
            for dimension, groups in report.progress.splits.items()
            if dimension in (Dimension.INDUSTRY, Dimension.MUNICIPALITY)
        ),
    ]


# --- the executive summary -------------------------------------------------------------


@dataclass(frozen=True)
class Comparison:
    """One headline figure now and in the previous closed period, as reported then."""

    key: str
    name: str
    euros: bool
    now: int | None
    then: int | None

    @property
    def change(self) -> int | None:
        return None if self.now is None or self.then is None else self.now - self.then


HEADLINE_ROWS = (
    ("realised_eur", N_("Realised investment"), True),
    ("forecast_eur", N_("Forecast investment"), True),
    ("gap_to_forecast_eur", N_("Gap to the target"), True),
    ("jobs_secured", N_("Jobs secured"), False),
    ("jobs_forecast", N_("Jobs in the forecast"), False),
    ("projects_landed", N_("Projects landed"), False),
    ("projects_active", N_("Active projects"), False),
    ("visits_hosted", N_("Visits hosted this year"), False),
)


def comparisons(report: ForumReport, labels: Labels) -> list[Comparison]:
    """The headline figures beside the previous closed period's, as reported then."""
    now, previous = report.headline, report.previous
    if now is None:
        return []
    rows = []
    for key, name, euros in HEADLINE_ROWS:
        then: int | None = None
        if previous is not None and key not in previous.unknown:
            then = getattr(previous.headline, key)
        rows.append(Comparison(key, labels._(name), euros, getattr(now, key), then))
    return rows


def signed(value: int | None, fmt: Callable[[int], str]) -> str:
    if value is None:
        return "–"
    return f"+{fmt(value)}" if value > 0 else fmt(value)


# --- PDF -------------------------------------------------------------------------------


def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES_DIR)), autoescape=select_autoescape(["html"])
    )
    install_i18n(env)
    return env


_ENV = _environment()


def render_html(report: ForumReport, labels: Labels) -> str:
    return _ENV.get_template("reports/print.html").render(
        lang=labels.lang,
        region=labels.region,
        report=report,
        labels=labels,
        charts=report_charts(report, labels),
        summary_charts=summary_charts(report, labels),
        comparisons=comparisons(report, labels),
        signed=signed,
        figures=[*PIPELINE_FIGURES, Figure.ANNOUNCED],
        dimensions=list(Dimension),
    )


def render_pdf(report: ForumReport, labels: Labels) -> bytes:
    return printing.html_to_pdf(render_html(report, labels), str(TEMPLATES_DIR))


# --- XLSX ------------------------------------------------------------------------------

# Cell formats: Excel shows the separators of the reader's own settings; the euro sign
# and the order of date parts follow the report's language (Finland-Swedish writes them as
# Finnish does).
EUR_FORMATS = {
    "fi": '#,##0 "€";-#,##0 "€"',
    "sv": '#,##0 "€";-#,##0 "€"',
    "en": '"€"#,##0;-"€"#,##0',
}
DATE_FORMATS = {"fi": "d.m.yyyy", "sv": "d.m.yyyy", "en": "d mmm yyyy"}
COUNT_FORMAT = "#,##0"
PERCENT_FORMAT = '0.0 "%"'
DAYS_FORMAT = "#,##0.0"


def _sheet_title(title: str) -> str:
    """A worksheet name Excel accepts: no []:*?/\\ and at most 31 characters."""
    cleaned = str(spreadsheet_cell(title)).lstrip("'")
    return "".join(" " if c in "[]:*?/\\" else c for c in cleaned)[:31].strip() or "Sheet"


@dataclass(frozen=True)
class Col:
    """A column of a sheet: its heading and the kind of its values."""

    title: str
    kind: str = "text"  # text, eur, count, percent, days, date


def _cell_format(kind: str, lang: str) -> str | None:
    return {
        "eur": EUR_FORMATS.get(lang, EUR_FORMATS["en"]),
        "count": COUNT_FORMAT,
        "percent": PERCENT_FORMAT,
        "days": DAYS_FORMAT,
        "date": DATE_FORMATS.get(lang, DATE_FORMATS["en"]),
    }.get(kind)


def _shown_width(value: Any, kind: str, labels: Labels) -> int:
    """About how many characters a value takes once Excel formats it."""
    if value is None or value == "":
        return 0
    if kind == "eur" and isinstance(value, int):
        # Whole euros print as long as any amount of as many digits and the same sign:
        # format one such amount per width, not every cell (babel took a fifth of the
        # workbook's time).
        return _eur_width(labels.lang, value < 0, len(str(abs(value))))
    if kind in ("count", "days", "percent") and isinstance(value, int | float | Decimal):
        return len(labels.number(Decimal(str(value)))) + (2 if kind == "percent" else 0)
    if kind == "date" and isinstance(value, date):
        return len(labels.day(value))
    return len(str(value))


@lru_cache(maxsize=256)
def _eur_width(lang: str, negative: bool, digits: int) -> int:
    sample = 10 ** (digits - 1)
    return len(format_eur(-sample if negative else sample, lang))


def _fit_widths(sheet: Worksheet, widths: dict[int, int]) -> None:
    for index, width in widths.items():
        sheet.column_dimensions[get_column_letter(index)].width = min(60, max(10, width + 3))


def _sheet(
    book: Workbook, labels: Labels, title: str, columns: list[Col], rows: list[list[Any]]
) -> Worksheet:
    """A table on a sheet of its own: bold frozen headings, formats by kind, widths that
    fit the longest value as shown."""
    sheet = book.create_sheet(_sheet_title(title))
    append_row(sheet, [c.title for c in columns])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=False, vertical="bottom")
    widths = {i: len(c.title) for i, c in enumerate(columns, start=1)}
    for row in rows:
        append_row(sheet, row)
        for i, (col, value) in enumerate(zip(columns, row, strict=False), start=1):
            widths[i] = max(widths[i], _shown_width(value, col.kind, labels))
    for i, col in enumerate(columns, start=1):
        fmt = _cell_format(col.kind, labels.lang)
        if fmt:
            for (cell,) in sheet.iter_rows(min_row=2, min_col=i, max_col=i):
                cell.number_format = fmt
    _fit_widths(sheet, widths)
    sheet.freeze_panes = "B2"
    return sheet


def _bar_chart(
    sheet: Worksheet,
    title: str,
    series_columns: int,
    rows: int,
    anchor: str,
    *,
    first_col: int = 2,
    header_row: int = 1,
    number_format: str | None = None,
) -> BarChart | None:
    if rows == 0:
        return None
    chart = BarChart()
    chart.type = "bar"
    chart.grouping = "stacked" if series_columns > 1 else "clustered"
    if series_columns > 1:
        chart.overlap = 100
    chart.title = title
    data = Reference(
        sheet,
        min_col=first_col,
        max_col=first_col + series_columns - 1,
        min_row=header_row,
        max_row=header_row + rows,
    )
    chart.add_data(data, titles_from_data=True)
    chart.set_categories(
        Reference(sheet, min_col=1, min_row=header_row + 1, max_row=header_row + rows)
    )
    if number_format:
        chart.y_axis.number_format = number_format
        chart.y_axis.majorGridlines = None
    # Largest first from the top, as in the PDF.
    chart.x_axis.scaling.orientation = "maxMin"
    chart.height, chart.width = 9, 18
    sheet.add_chart(chart, anchor)
    return chart


def _progress_chart(sheet: Worksheet, title: str, years: int, labels: Labels) -> None:
    """Cumulative figures per year as stacked columns, with the target as a line."""
    if years == 0:
        return
    columns = BarChart()
    columns.type = "col"
    columns.grouping = "stacked"
    columns.overlap = 100
    columns.title = title
    columns.add_data(
        Reference(sheet, min_col=2, max_col=4, min_row=1, max_row=years + 1),
        titles_from_data=True,
    )
    columns.set_categories(Reference(sheet, min_col=1, min_row=2, max_row=years + 1))
    columns.y_axis.number_format = EUR_FORMATS.get(labels.lang, EUR_FORMATS["en"])
    target = LineChart()
    target.add_data(
        Reference(sheet, min_col=6, max_col=6, min_row=1, max_row=years + 1),
        titles_from_data=True,
    )
    columns += target
    columns.height, columns.width = 10, 20
    sheet.add_chart(columns, "H2")


def _summary_sheet(report: ForumReport, labels: Labels) -> Workbook:
    """The first sheet: what the report is, the headline figures with the previous
    closed period beside them, and the figures behind the forecast."""
    _ = labels._
    p = report.progress
    t = report.target
    book = Workbook()
    sheet = book.active
    sheet.title = _("Summary")[:31]
    widths: dict[int, int] = {}

    def put(row: list[Any], kinds: list[str] | None = None, bold: bool = False) -> None:
        append_row(sheet, row)
        number = sheet.max_row
        for i, value in enumerate(row, start=1):
            cell = sheet.cell(number, i)
            kind = (kinds or [])[i - 1] if kinds and i <= len(kinds) else "text"
            fmt = _cell_format(kind, labels.lang)
            if fmt:
                cell.number_format = fmt
            if bold:
                cell.font = Font(bold=True)
            widths[i] = max(widths.get(i, 0), _shown_width(value, kind, labels))

    append_row(sheet, [_("Investment forum report")])
    sheet.cell(1, 1).font = Font(bold=True, size=14)
    region = labels.region
    put([_("Region"), f"{region.display_name(labels.lang)} · {region.council_name(labels.lang)}"])
    put([_("Target"), t.name])
    put([_("Target period"), t.period_start, t.period_end], ["text", "date", "date"])
    put([_("Target (investment)"), t.amount_eur], ["text", "eur"])
    put([_("Target (new jobs)"), t.amount_jobs], ["text", "count"])
    put([_("Situation on"), p.as_of], ["text", "date"])
    put([_("Report date"), report.generated_at.date()], ["text", "date"])
    append_row(sheet, [])

    previous = report.previous
    heading = [
        _("Headline figure"),
        _("Now (%(date)s)", date=labels.day(p.as_of)),
    ]
    if previous is not None:
        heading += [
            _(
                "%(label)s (as of %(date)s), as reported",
                label=previous.label,
                date=labels.day(previous.as_of),
            ),
            _("Change"),
        ]
    put(heading, bold=True)
    for row in comparisons(report, labels):
        kind = "eur" if row.euros else "count"
        values: list[Any] = [row.name, row.now]
        if previous is not None:
            values += [row.then if row.then is not None else _("not recorded"), row.change]
        put(values, ["text", kind, kind, kind])
    append_row(sheet, [])

    put(
        [
            _("Figure"),
            _("Total (EUR)"),
            _("Estimated (EUR)"),
            _("Investor-confirmed (EUR)"),
            _("Leads"),
        ],
        bold=True,
    )
    for name, amount in (
        *((f.value, getattr(p.totals, f.value)) for f in (*PIPELINE_FIGURES, Figure.ANNOUNCED)),
        ("forecast", p.totals.forecast),
    ):
        put(
            [
                labels.code("target_figure", name),
                amount.total,
                amount.estimated,
                amount.confirmed,
                amount.leads,
            ],
            ["text", "eur", "eur", "eur", "count"],
        )
    put([_("Gap to forecast (EUR)"), p.gap_to_forecast if t.amount_eur else None], ["text", "eur"])
    put([_("Gap to realised (EUR)"), p.gap_to_realised if t.amount_eur else None], ["text", "eur"])
    if report.jobs is not None:
        append_row(sheet, [])
        put(
            [_("Jobs"), _("Total"), _("Estimated"), _("Investor-confirmed"), _("Leads")],
            bold=True,
        )
        jobs = report.jobs
        for key, a in (
            *((f.value, getattr(jobs, f.value)) for f in PIPELINE_FIGURES),
            ("forecast", jobs.forecast),
        ):
            put(
                [
                    _("Jobs: %(figure)s", figure=labels.code("target_figure", key)),
                    a.total,
                    a.estimated,
                    a.confirmed,
                    a.leads,
                ],
                ["text", "count", "count", "count", "count"],
            )
    _fit_widths(sheet, widths)
    # The report's title and what it covers stay in sight while scrolling.
    sheet.freeze_panes = "B2"
    return book


def render_xlsx(report: ForumReport, labels: Labels) -> bytes:
    """A summary sheet first, then one sheet per table, euros as whole numbers in the
    reader's format, native charts beside the tables."""
    _ = labels._
    p = report.progress
    book = _summary_sheet(report, labels)
    figure_cols = [
        Col(labels.code("target_figure", f.value), "eur")
        for f in (*PIPELINE_FIGURES, Figure.ANNOUNCED)
    ]
    forecast_col = Col(labels.code("target_figure", "forecast"), "eur")
    eur = EUR_FORMATS.get(labels.lang, EUR_FORMATS["en"])

    years = _sheet(
        book,
        labels,
        _("Progress by year"),
        [
            Col(_("Year")),
            *[
                Col(
                    _("%(figure)s (cumulative)", figure=labels.code("target_figure", f.value)),
                    "eur",
                )
                for f in PIPELINE_FIGURES
            ],
            forecast_col,
            Col(_("Target (EUR)"), "eur"),
        ],
        [
            [
                str(y.year),
                *(getattr(y.cumulative, f.value).total for f in PIPELINE_FIGURES),
                y.cumulative.forecast.total,
                report.target.amount_eur,
            ]
            for y in p.years
        ],
    )
    _progress_chart(years, _("Progress toward the target over time"), len(p.years), labels)

    for dimension, groups in p.splits.items():
        name = labels.code("report_dimension", dimension.value)
        sheet = _sheet(
            book,
            labels,
            name,
            [Col(name), *figure_cols, forecast_col],
            [
                [
                    labels.dimension_value(dimension, g.key),
                    *(
                        getattr(g.figures, f.value).total
                        for f in (*PIPELINE_FIGURES, Figure.ANNOUNCED)
                    ),
                    g.figures.forecast.total,
                ]
                for g in groups
            ],
        )
        _bar_chart(
            sheet,
            _("Forecast by %(dimension)s", dimension=name.lower()),
            3,
            len(groups),
            "H2",
            number_format=eur,
        )

    funnel_rows = [
        [
            labels.stages.get(r.stage_code, r.stage_code),
            r.reached if r.reached is not None else None,
            r.leads,
            r.capex_eur,
            float(r.conversion_percent) if r.conversion_percent is not None else None,
            float(r.median_days) if r.median_days is not None else None,
        ]
        for r in report.pipeline.funnel
    ]
    funnel = _sheet(
        book,
        labels,
        _("Funnel"),
        [
            Col(_("Stage")),
            Col(_("Leads reached"), "count"),
            Col(_("Leads in stage"), "count"),
            Col(_("Amount in stage (EUR)"), "eur"),
            Col(_("Conversion to next stage (%)"), "percent"),
            Col(_("Median days in stage"), "days"),
        ],
        funnel_rows,
    )
    reached_rows = sum(1 for r in report.pipeline.funnel if r.reached is not None)
    _bar_chart(funnel, _("Pipeline funnel"), 1, reached_rows, "H2")

    sources = report.pipeline.sources
    _sheet(
        book,
        labels,
        _("New leads by month"),
        [
            Col(_("Month")),
            *(Col(labels.code("lead_source", s), "count") for s in sources),
            Col(_("Total"), "count"),
        ],
        [
            [labels.month(m.year, m.month), *(m.by_source.get(s, 0) for s in sources), m.total]
            for m in report.pipeline.new_by_month
        ],
    )
    _sheet(
        book,
        labels,
        _("Lost leads by reason"),
        [Col(_("Reason")), Col(_("Leads"), "count"), Col(_("Amount (EUR)"), "eur")],
        [
            [labels.lost_reasons.get(r.key or "", _("Not given")), r.leads, r.capex_eur]
            for r in report.pipeline.lost_by_reason
        ],
    )
    _sheet(
        book,
        labels,
        _("Activity by owner"),
        [Col(_("Owner")), Col(_("Stage changes"), "count")],
        [[r.key or _("No owner"), r.leads] for r in report.pipeline.activity_by_owner],
    )
    _sheet(
        book,
        labels,
        _("Activity by municipality"),
        [Col(_("Municipality")), Col(_("Stage changes"), "count")],
        [[labels.municipality(r.key), r.leads] for r in report.pipeline.activity_by_municipality],
    )
    _sheet(
        book,
        labels,
        _("Visits by municipality"),
        [Col(_("Municipality")), Col(_("Visits hosted"), "count")],
        [[labels.municipality(r.key), r.leads] for r in report.pipeline.visits_by_municipality],
    )
    _sheet(
        book,
        labels,
        _("Year over year"),
        [
            Col(_("Year")),
            Col(_("Until"), "date"),
            Col(_("New leads"), "count"),
            Col(_("Landed leads"), "count"),
            Col(_("Realised (EUR)"), "eur"),
            Col(_("Lost leads"), "count"),
            Col(_("Stage changes"), "count"),
        ],
        [
            [
                str(y.year),
                y.window_end,
                y.new_leads,
                y.landed_leads,
                y.realised_eur,
                y.lost_leads,
                y.activity,
            ]
            for y in report.pipeline.year_over_year
        ],
    )
    _sheet(
        book,
        labels,
        _("Leads behind the figures"),
        [
            Col(_("Code name")),
            Col(_("Investor (once announced)")),
            Col(_("Figure")),
            Col(_("Amount counted (EUR)"), "eur"),
            Col(_("Capex (EUR)"), "eur"),
            Col(_("Basis")),
            Col(_("Stage")),
            Col(_("Key industry")),
            Col(_("Municipality")),
            Col(_("Investment type")),
            Col(_("Country of origin")),
        ],
        [
            [
                r.code_name,
                r.organization_name or "",
                labels.code("target_figure", r.figure.value),
                r.amount_eur,
                r.capex_eur,
                labels.code("amount_basis", r.basis),
                labels.stages.get(r.stage_code, r.stage_code),
                labels.industry(r.industry_code),
                labels.municipality(r.municipality_code),
                labels.code("investment_type", r.investment_type),
                labels.country(r.origin_country) if r.origin_country else "",
            ]
            for r in report.leads
        ],
    )
    output = BytesIO()
    book.save(output)
    return output.getvalue()
