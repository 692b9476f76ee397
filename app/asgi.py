"""The module uvicorn imports: `uvicorn app.asgi:app`."""

from app.main import create_app
from app.process import settle_heap

app = create_app()
settle_heap()
