"""The PDF's SVG text fast path: installed on the WeasyPrint in use, each chart label
drawn as one run at the place WeasyPrint's own letter-by-letter path puts it."""

from __future__ import annotations

import io
import re

from pypdf import PdfReader

from app.services import printing

SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="300" height="60" '
    'font-family="DejaVu Sans, sans-serif" font-size="12">'
    '<text x="290" y="20" text-anchor="end">Sustainable mining</text>'
    '<text x="150" y="40" text-anchor="middle">€195,311,822,574</text>'
    # Letters placed one by one take WeasyPrint's own path.
    '<text x="10 30 50" y="55">abc</text>'
    "</svg>"
)


def _text(pdf: bytes) -> str:
    return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def _text_runs(pdf: bytes) -> int:
    reader = PdfReader(io.BytesIO(pdf))
    streams = [reader.pages[0].get_contents().get_data()]
    resources = reader.pages[0]["/Resources"]
    # SVG drawings and anchored text live in form XObjects, possibly nested.
    pending = [resources]
    while pending:
        xobjects = pending.pop().get("/XObject") or {}
        for ref in xobjects.values():
            form = ref.get_object()
            streams.append(form.get_data())
            if "/Resources" in form:
                pending.append(form["/Resources"])
    # Text-showing operators: one per run drawn.
    return sum(len(re.findall(rb"\bT[Jj]\b", s)) for s in streams)


def test_fast_path_is_installed_on_this_weasyprint() -> None:
    assert printing.install_fast_svg_text()


def test_chart_text_is_complete_and_drawn_as_one_run_per_label() -> None:
    pdf = printing.html_to_pdf(f"<html><body>{SVG}</body></html>", ".")
    text = _text(pdf)
    assert "Sustainable mining" in text
    assert "€195,311,822,574" in text
    # Two labels as one run each, plus "abc" letter by letter: three runs (letter by
    # letter, the two labels alone take over 30).
    assert _text_runs(pdf) == 2 + 3
