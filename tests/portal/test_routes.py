"""The portal's routes come first in the application (routes are matched in order, and
its uncached pages are the most requested): that is safe only while no path of the
portal is any other router's, and no other path is the portal's."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from fastapi import FastAPI
from starlette.routing import BaseRoute, Match

from app.web import compare, portal


def _leaves(routes: Iterable[BaseRoute]) -> Iterator[BaseRoute]:
    for route in routes:
        # An included router stays one entry that holds the router it includes.
        included = getattr(route, "original_router", None)
        if included is not None:
            yield from _leaves(included.routes)
        else:
            yield route


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "x", path)


def _matches(route: BaseRoute, path: str) -> bool:
    return any(
        route.matches({"type": "http", "path": path, "method": method, "root_path": ""})[0]
        is not Match.NONE
        for method in ("GET", "POST")
    )


def test_no_path_of_the_portal_is_another_routers(app: FastAPI) -> None:
    ours = [*portal.router.routes, *compare.router.routes]
    others = [r for r in _leaves(app.router.routes) if all(r is not o for o in ours)]
    assert len(others) > 100  # the walk reached into the included routers
    for routes, matched_by in ((ours, others), (others, ours)):
        for route in routes:
            path = _concrete(getattr(route, "path", ""))
            assert not [r for r in matched_by if _matches(r, path)], path
