"""Offset pagination with a total; every list orders by a unique key last so pages are stable."""

from __future__ import annotations

from typing import Annotated, Generic, TypeVar

from fastapi import Depends, Query
from pydantic import BaseModel

from app.api.types import Offset

T = TypeVar("T")


class PageParams(BaseModel):
    limit: int = 50
    offset: int = 0


# async although it awaits nothing: FastAPI runs a plain `def` dependency in the thread
# pool, a thread hop per request for two integers.
async def page_params(
    limit: Annotated[int, Query(ge=1, le=200, description="Items per page")] = 50,
    offset: Offset = 0,
) -> PageParams:
    return PageParams(limit=limit, offset=offset)


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int


PageParamsDep = Annotated[PageParams, Depends(page_params)]
