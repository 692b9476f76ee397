"""HTML to PDF with WeasyPrint, with one speed-up for charts.

WeasyPrint draws an SVG `<text>` one letter at a time: a Pango layout and a text
object for each character, so that per-letter `x`, `dx` or `rotate` lists can apply.
The forum report's charts carry some 1,500 letters of labels and figures, which made
their text a third of the PDF's rendering time. Our charts never position letters
one by one, so a `<text>` with a single position is laid out and drawn as one run,
as a browser does (with the font's kerning, which the per-letter path loses). Any
other `<text>` goes through WeasyPrint's own code. The fast path is installed only
where WeasyPrint's SVG module has the shape it was written against; otherwise the
library draws every text itself (slower, same content).
"""

from __future__ import annotations

import importlib
import logging
from math import inf
from typing import Any

logger = logging.getLogger(__name__)

# Attributes that position or stretch single letters: their text takes the library's path.
_PER_LETTER = ("dx", "dy", "rotate", "letter-spacing", "textLength")

_installed: bool | None = None

# The WeasyPrint releases whose SVG text drawing the replacement was compared with (PNG
# pages of the forum report, before and after). Any other release draws its own text
# until someone compares again: the test of the fast path fails then, as a reminder.
_CHECKED_MAJOR_VERSIONS = ("70",)


def _single(value: str | None) -> bool:
    return value is None or len(value.replace(",", " ").split()) <= 1


def _install() -> bool:
    """Put the one-run text drawer in WeasyPrint's SVG tag table; False if its SVG
    module is not the one this was written for."""
    try:
        import weasyprint
        from weasyprint import svg as svg_module
        from weasyprint.css.properties import INITIAL_VALUES
        from weasyprint.draw.text import draw_emojis, draw_first_line
        from weasyprint.matrix import Matrix
        from weasyprint.svg.bounding_box import extend_bounding_box
        from weasyprint.svg.utils import size
        from weasyprint.text.line_break import split_first_line

        # The package's name `text` is the function; the module is reached by its path.
        text_module = importlib.import_module("weasyprint.svg.text")
    except ImportError:
        return False
    if weasyprint.__version__.split(".")[0] not in _CHECKED_MAJOR_VERSIONS:
        return False
    original = text_module.text
    if getattr(svg_module, "text", None) is not original or svg_module.TAGS.get("text") is not (
        original
    ):
        return False

    def text(svg: Any, node: Any, font_size: float) -> None:
        attributes = node.attrib
        if (
            not node.text
            or any(name in attributes for name in _PER_LETTER)
            or not _single(attributes.get("x"))
            or not _single(attributes.get("y"))
        ):
            original(svg, node, font_size)
            return
        # The style and vertical alignment exactly as WeasyPrint's own text() sets them.
        style = text_module.Style()
        style.update(INITIAL_VALUES)
        style.font_config = svg.font_config
        style["font_family"] = [
            font.strip("\"'") for font in node.get("font-family", "sans-serif").split(",")
        ]
        style["font_style"] = node.get("font-style", "normal")
        weight = node.get("font-weight", 400)
        weight = {"normal": 400, "bold": 700}.get(weight, weight)
        try:
            style["font_weight"] = int(weight)
        except ValueError:
            style["font_weight"] = 400
        style["font_size"] = font_size
        if node.get("direction") in ("ltr", "rtl"):
            style["direction"] = node.get("direction")
        layout, _, _, width, height, baseline = split_first_line(
            node.text, style, svg.context, inf, 0
        )
        ascent, descent = font_size * 0.8, font_size * 0.2
        y_align = 0.0
        display_anchor = node.get("display-anchor")
        alignment = node.get("dominant-baseline", node.get("alignment-baseline"))
        if display_anchor == "middle":
            y_align = -height / 2
        elif display_anchor == "top":
            pass
        elif display_anchor == "bottom":
            y_align = -height
        elif alignment in ("central", "middle"):
            y_align = (ascent + descent) / 2 - descent
        elif alignment in ("text-before-edge", "before_edge", "top", "hanging", "text-top"):
            y_align = ascent
        elif alignment in ("text-after-edge", "after_edge", "bottom", "text-bottom"):
            y_align = -descent
        x = (
            size(attributes["x"], font_size, svg.inner_width)
            if attributes.get("x", "").strip()
            else svg.cursor_position[0]
        )
        y = (
            size(attributes["y"], font_size, svg.inner_height)
            if attributes.get("y", "").strip()
            else svg.cursor_position[1]
        )
        if "x" in attributes:
            svg.cursor_d_position[0] = 0
        if "y" in attributes:
            svg.cursor_d_position[1] = 0
        x_position = x + svg.cursor_d_position[0]
        y_position = y + svg.cursor_d_position[1] + y_align
        svg.cursor_position = x + width, y
        node.text_bounding_box = extend_bounding_box(
            node.text_bounding_box,
            (
                (x_position, y_position - baseline),
                (x_position + width, y_position - baseline + height),
            ),
        )
        svg.stream.push_state()
        fill, stroke = svg.set_graphical_state(node, font_size)
        svg.stream.begin_text()
        layout.reactivate(style)
        svg.fill_stroke(fill, stroke, text=True)
        text_box = text_module.TextBox(layout, style)
        text_box.baseline = baseline
        matrix = Matrix(a=1, d=-1, e=x_position, f=y_position)
        emojis = draw_first_line(svg.stream, text_box, "none", "none", matrix)
        svg.stream.end_text()
        svg.stream.pop_state()
        draw_emojis(svg.stream, style, x, y, emojis)

    # draw_node compares TAGS entries with the module's `text` to find text nodes.
    svg_module.text = text
    for tag, drawer in list(svg_module.TAGS.items()):
        if drawer is original:
            svg_module.TAGS[tag] = text
    return True


def install_fast_svg_text() -> bool:
    """Install the fast path once per process; whether it is in use."""
    global _installed
    if _installed is None:
        try:
            _installed = _install()
        except Exception:  # never let a speed-up stop a PDF
            logger.exception("SVG text fast path not installed")
            _installed = False
        if not _installed:
            logger.warning("WeasyPrint's SVG text is drawn letter by letter (slower)")
    return _installed


def html_to_pdf(html: str, base_url: str) -> bytes:
    from weasyprint import HTML  # heavy import (pango), needed only when printing

    install_fast_svg_text()
    pdf: bytes = HTML(string=html, base_url=base_url).write_pdf()
    return pdf
