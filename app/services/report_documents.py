"""The forum report as charts, a printable PDF (WeasyPrint) and an XLSX workbook (openpyxl).

Charts are computed here as plain geometry and drawn by one set of Jinja macros
(`reports/_charts.html`) as accessible SVG, so the staff page and the PDF show the same
charts with no script. The documents name leads by code name, and a lead's investor only
once it was announced by the report's date.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from io import BytesIO
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet
from sqlalchemy import select
from sqlalchemy.orm import Session

import app.services.leads  # noqa: F401  (registers the lead code labels used in reports)
from app.db.models import Industry, LostReason, Municipality, Stage
from app.domain.spreadsheets import append_row, spreadsheet_cell
from app.domain.targets import Dimension, Figure, Figures, GroupFigures
from app.i18n import N_, format_eur, format_number, install_i18n, label, register_labels
from app.i18n import translate as _translate

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
        return key

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
        return {code: fi if lang == "fi" else en for code, fi, en in rows}

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


MAX_LABEL_WIDTH = 340


def _fit(label: str, width: int) -> str:
    """The label, shortened with an ellipsis when it cannot fit in `width` pixels."""
    room = int((width - 16) / 6.6)
    return label if len(label) <= room else label[: room - 1].rstrip() + "…"


def _scale(value: int, largest: int, length: int) -> int:
    return 0 if largest <= 0 else round(length * value / largest)


def horizontal_bars(
    chart_id: str,
    title: str,
    description: str,
    rows: Sequence[tuple[str, Sequence[tuple[str, str, int]]]],
    fmt: Callable[[int], str],
    columns: list[str],
) -> Chart:
    """One bar per row, stacked from (series key, series name, value) segments."""
    bar_length, row_height, top = 420, 26, 10
    # Room for the longest label (about 6.6 px a character at the chart's font size);
    # past the cap a label is shortened here, and the table below gives it in full.
    longest = max((len(label) for label, _segments in rows), default=0)
    label_width = max(120, min(MAX_LABEL_WIDTH, round(16 + 6.6 * longest)))
    height = top + row_height * max(len(rows), 1) + 10
    chart = Chart(chart_id, title, description, label_width + bar_length + 130, height)
    largest = max((sum(v for _k, _n, v in segments) for _l, segments in rows), default=0)
    for index, (row_label, segments) in enumerate(rows):
        y = top + index * row_height
        chart.texts.append(Text(label_width - 8, y + 16, _fit(row_label, label_width), "end"))
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
        chart.texts.append(Text(x + 6, y + 16, fmt(total)))
        chart.rows.append([row_label, *(fmt(v) for _k, _n, v in segments)])
    series = {(key, name) for _l, segments in rows for key, name, _v in segments}
    chart.legend = [(SERIES_COLOURS[key], name) for key, name in sorted(series)]
    chart.columns = columns
    return chart


def progress_chart(report: ForumReport, labels: Labels) -> Chart:
    """Cumulative realised, committed and weighted pipeline per year, against the target."""
    _ = labels._
    years = report.progress.years
    target_eur = report.target.amount_eur
    left, plot_height, column, top = 130, 260, 90, 20
    width = left + column * max(len(years), 1) + 20
    chart = Chart(
        "chart-progress",
        _("Progress toward the target over time"),
        _(
            "Cumulative realised, committed and weighted pipeline investment per year of "
            "the period, with the target of %(target)s as a line.",
            target=labels.eur(target_eur),
        ),
        width,
        top + plot_height + 40,
    )
    largest = max([target_eur, *(y.cumulative.forecast.total for y in years)])
    base = top + plot_height
    for step in range(5):
        value = largest * step // 4
        y = base - _scale(value, largest, plot_height)
        chart.lines.append(Line(left - 4, y, width - 10, y, "#d5dbe1"))
        chart.texts.append(Text(left - 8, y + 4, labels.eur(value), "end"))
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
    target_y = base - _scale(target_eur, largest, plot_height)
    chart.lines.append(Line(left, target_y, width - 10, target_y, SERIES_COLOURS["target"]))
    chart.texts.append(Text(width - 12, target_y - 6, _("Target"), "end"))
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


def split_chart(dimension: Dimension, groups: list[GroupFigures], labels: Labels) -> Chart:
    _ = labels._
    name = labels.code("report_dimension", dimension.value)
    return horizontal_bars(
        f"chart-{dimension.value}",
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
    )


def funnel_chart(report: ForumReport, labels: Labels) -> Chart:
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
        "chart-funnel",
        _("Pipeline funnel"),
        _(
            "Leads that had reached each stage or a later one by %(date)s.",
            date=report.progress.as_of.isoformat(),
        ),
        rows,
        str,
        [_("Stage"), _("Leads reached")],
    )


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
        report=report,
        labels=labels,
        charts=report_charts(report, labels),
        figures=[*PIPELINE_FIGURES, Figure.ANNOUNCED],
        dimensions=list(Dimension),
    )


def render_pdf(report: ForumReport, labels: Labels) -> bytes:
    from weasyprint import HTML  # heavy import (pango), needed only when printing

    pdf: bytes = HTML(string=render_html(report, labels), base_url=str(TEMPLATES_DIR)).write_pdf()
    return pdf


# --- XLSX ------------------------------------------------------------------------------


def _sheet_title(title: str) -> str:
    """A worksheet name Excel accepts: no []:*?/\\ and at most 31 characters."""
    cleaned = str(spreadsheet_cell(title)).lstrip("'")
    return "".join(" " if c in "[]:*?/\\" else c for c in cleaned)[:31].strip() or "Sheet"


def _sheet(book: Workbook, title: str, header: list[str], rows: list[list[Any]]) -> Worksheet:
    sheet = book.create_sheet(_sheet_title(title))
    append_row(sheet, header)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        append_row(sheet, row)
    for index, name in enumerate(header, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = max(14, len(name) + 2)
    sheet.freeze_panes = "A2"
    return sheet


def _bar_chart(sheet: Worksheet, title: str, series_columns: int, rows: int, anchor: str) -> None:
    if rows == 0:
        return
    chart = BarChart()
    chart.type = "bar"
    chart.grouping = "stacked" if series_columns > 1 else "clustered"
    if series_columns > 1:
        chart.overlap = 100
    chart.title = title
    data = Reference(sheet, min_col=2, max_col=1 + series_columns, min_row=1, max_row=rows + 1)
    chart.add_data(data, titles_from_data=True)
    chart.set_categories(Reference(sheet, min_col=1, min_row=2, max_row=rows + 1))
    chart.height, chart.width = 9, 18
    sheet.add_chart(chart, anchor)


def render_xlsx(report: ForumReport, labels: Labels) -> bytes:
    """One sheet per table, euros as whole numbers, native charts beside the tables."""
    _ = labels._
    p = report.progress
    book = Workbook()
    book.remove(book.active)
    figure_names = [
        labels.code("target_figure", f.value) for f in (*PIPELINE_FIGURES, Figure.ANNOUNCED)
    ]

    summary = _sheet(
        book,
        _("Summary"),
        [
            _("Figure"),
            _("Total (EUR)"),
            _("Estimated (EUR)"),
            _("Investor-confirmed (EUR)"),
            _("Leads"),
        ],
        [
            [
                labels.code("target_figure", name),
                amount.total,
                amount.estimated,
                amount.confirmed,
                amount.leads,
            ]
            for name, amount in (
                *(
                    (f.value, getattr(p.totals, f.value))
                    for f in (*PIPELINE_FIGURES, Figure.ANNOUNCED)
                ),
                ("forecast", p.totals.forecast),
            )
        ],
    )
    append_row(summary, [])
    append_row(summary, [_("Target"), report.target.name])
    append_row(summary, [_("Target amount (EUR)"), report.target.amount_eur])
    append_row(summary, [_("Period"), f"{report.target.period_start} – {report.target.period_end}"])
    append_row(summary, [_("As of"), p.as_of])
    append_row(summary, [_("Gap to forecast (EUR)"), p.gap_to_forecast])
    append_row(summary, [_("Gap to realised (EUR)"), p.gap_to_realised])

    years = _sheet(
        book,
        _("Progress by year"),
        [
            _("Year"),
            *[f"{n} ({_('cumulative')})" for n in figure_names[:3]],
            labels.code("target_figure", "forecast"),
            _("Target (EUR)"),
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
    _bar_chart(years, _("Progress toward the target over time"), 3, len(p.years), "H2")

    for dimension, groups in p.splits.items():
        name = labels.code("report_dimension", dimension.value)
        sheet = _sheet(
            book,
            name,
            [name, *figure_names, labels.code("target_figure", "forecast")],
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
            sheet, _("Forecast by %(dimension)s", dimension=name.lower()), 3, len(groups), "H2"
        )

    funnel_rows = [
        [
            labels.stages.get(r.stage_code, r.stage_code),
            r.reached if r.reached is not None else "",
            r.leads,
            r.capex_eur,
            float(r.conversion_percent) if r.conversion_percent is not None else "",
            float(r.median_days) if r.median_days is not None else "",
        ]
        for r in report.pipeline.funnel
    ]
    funnel = _sheet(
        book,
        _("Funnel"),
        [
            _("Stage"),
            _("Leads reached"),
            _("Leads in stage"),
            _("Amount in stage (EUR)"),
            _("Conversion to next stage (%)"),
            _("Median days in stage"),
        ],
        funnel_rows,
    )
    reached_rows = sum(1 for r in report.pipeline.funnel if r.reached is not None)
    _bar_chart(funnel, _("Pipeline funnel"), 1, reached_rows, "H2")

    sources = report.pipeline.sources
    _sheet(
        book,
        _("New leads by month"),
        [_("Month"), *(labels.code("lead_source", s) for s in sources), _("Total")],
        [
            [f"{m.year}-{m.month:02d}", *(m.by_source.get(s, 0) for s in sources), m.total]
            for m in report.pipeline.new_by_month
        ],
    )
    _sheet(
        book,
        _("Lost leads by reason"),
        [_("Reason"), _("Leads"), _("Amount (EUR)")],
        [
            [labels.lost_reasons.get(r.key or "", _("Not given")), r.leads, r.capex_eur]
            for r in report.pipeline.lost_by_reason
        ],
    )
    _sheet(
        book,
        _("Activity by owner"),
        [_("Owner"), _("Stage changes")],
        [[r.key or _("No owner"), r.leads] for r in report.pipeline.activity_by_owner],
    )
    _sheet(
        book,
        _("Activity by municipality"),
        [_("Municipality"), _("Stage changes")],
        [[labels.municipality(r.key), r.leads] for r in report.pipeline.activity_by_municipality],
    )
    _sheet(
        book,
        _("Visits by municipality"),
        [_("Municipality"), _("Visits hosted")],
        [[labels.municipality(r.key), r.leads] for r in report.pipeline.visits_by_municipality],
    )
    _sheet(
        book,
        _("Year over year"),
        [
            _("Year"),
            _("Until"),
            _("New leads"),
            _("Landed leads"),
            _("Realised (EUR)"),
            _("Lost leads"),
            _("Stage changes"),
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
        _("Leads behind the figures"),
        [
            _("Code name"),
            _("Investor (once announced)"),
            _("Figure"),
            _("Amount counted (EUR)"),
            _("Capex (EUR)"),
            _("Basis"),
            _("Stage"),
            _("Key industry"),
            _("Municipality"),
            _("Investment type"),
            _("Country of origin"),
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
                r.origin_country or "",
            ]
            for r in report.leads
        ],
    )
    output = BytesIO()
    book.save(output)
    return output.getvalue()
