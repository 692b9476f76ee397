"""The module uvicorn imports: `uvicorn app.asgi:app`."""

from app.main import create_app
from app.process import settle_heap
from app.services.printing import install_fast_svg_text

app = create_app()
# WeasyPrint (Pango, its CSS and fonts) is loaded before the heap settles, not by the
# first forum PDF: its long-lived objects are then frozen with the rest, out of the full
# collections a PDF's layout triggers (100k-lead forum PDF, first: 1.56 -> 1.13 s).
install_fast_svg_text()
settle_heap()
