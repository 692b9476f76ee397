"""No N+1: each portal page runs a fixed number of SQL statements, however many sites
it shows (counted with SQLAlchemy's before_cursor_execute event)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, text
from sqlalchemy.orm import Session

from app.db.models import SiteAttachment
from app.domain.portal import SORTS, SiteSearch


@contextmanager
def counted(db: Session) -> Iterator[list[str]]:
    statements: list[str] = []
    engine = db.get_bind().engine

    def count(conn, cursor, statement, parameters, context, executemany) -> None:  # type: ignore[no-untyped-def]
        if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK")):
            statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def _statements(client: TestClient, db: Session, url: str) -> int:
    with counted(db) as statements:
        assert client.get(url).status_code == 200
    return len(statements)


def _add_sites(publish, db: Session, n: int, start: int) -> None:
    for i in range(start, start + n):
        site = publish(slug=f"q-{i}", industries=("ict_data_centres", "game_industry"))
        db.add(
            SiteAttachment(
                site_id=site.id,
                kind="photo",
                filename=f"{i}.jpg",
                content_type="image/jpeg",
                size_bytes=1,
                sha256=f"{i:064d}",
                storage_key=f"k{i}",
                thumbnail_key=f"t{i}",
            )
        )
    db.commit()


PAGES = [
    "/en/",
    "/en/sites",
    "/fi/sites?industry=technology&sort=area_desc",
    "/en/municipalities/205",
    "/en/industries/technology",
    "/sitemap.xml",
]


def test_statements_per_page_do_not_grow_with_sites(
    client: TestClient, db: Session, publish
) -> None:
    _add_sites(publish, db, 14, 0)  # more than a page: the map query runs too
    few = {url: _statements(client, db, url) for url in PAGES}
    _add_sites(publish, db, 26, 14)
    many = {url: _statements(client, db, url) for url in PAGES}
    assert many == few
    site_few = _statements(client, db, "/en/sites/q-0")
    assert site_few == _statements(client, db, "/en/sites/q-39")
    # A fixed, small bound per page: the version check, reference data (read once per
    # content version: the region, municipalities, industries, the promised answer
    # time, reference points, key facts), the rows. The home page includes the target
    # progress, whose report tuning adds two SET LOCALs.
    assert max(many.values()) <= 16, many
    assert site_few <= 8


def test_a_revalidation_costs_one_statement(client: TestClient, db: Session, publish) -> None:
    _add_sites(publish, db, 3, 100)
    etag = client.get("/en/sites").headers["etag"]
    with counted(db) as statements:
        response = client.get("/en/sites", headers={"if-none-match": etag})
    assert response.status_code == 304
    assert len(statements) == 1


def test_fresh_cached_pages_are_answered_without_the_database(
    client: TestClient, db: Session, publish, settings
) -> None:
    _add_sites(publish, db, 3, 200)
    settings.portal_version_ttl_seconds = 3600
    first = client.get("/en/sites?sort=name")
    with counted(db) as statements:
        again = client.get("/en/sites?sort=name")
        revalidated = client.get(
            "/en/sites?sort=name", headers={"if-none-match": first.headers["etag"]}
        )
    assert statements == []
    assert again.status_code == 200
    assert again.content == first.content
    assert again.headers["etag"] == first.headers["etag"]
    assert again.headers["content-security-policy"] == first.headers["content-security-policy"]
    assert revalidated.status_code == 304
    # The inquiry form is never served from the cache.
    with counted(db) as statements:
        assert client.get("/en/inquiry?site=q-200").headers["cache-control"] == "no-store"
    assert statements != []


@contextmanager
def captured(db: Session) -> Iterator[list[tuple[str, Any]]]:
    """The statements run meanwhile, with their parameters."""
    statements: list[tuple[str, Any]] = []
    engine = db.get_bind().engine

    def keep(conn, cursor, statement, parameters, context, executemany) -> None:  # type: ignore[no-untyped-def]
        statements.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", keep)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", keep)


def test_a_page_that_misses_the_render_cache_reads_only_its_own_rows(
    client: TestClient, db: Session, publish, settings
) -> None:
    """Within one content version the version and the region (municipalities,
    industries) are known: a site page nobody asked for yet costs the site's row (its
    industries in it) and its attachments; a new search the ids of its page, their cards
    (industries and first photo in them), a count only when the page does not tell the
    total, and (up to 100 results) the map's points."""
    _add_sites(publish, db, 14, 400)
    settings.portal_version_ttl_seconds = 3600
    settings.portal_render_cache_entries = 0
    assert client.get("/en/sites/q-400").status_code == 200
    assert _statements(client, db, "/en/sites/q-401") == 2
    assert _statements(client, db, "/fi/sites/q-402") == 2
    # The last page (2 of 14 sites) tells the total: no count.
    assert _statements(client, db, "/en/sites?sort=name&page=2") == 3
    # A full page needs the count; 14 results are more than a page: the map's points.
    assert _statements(client, db, "/en/sites?sort=name") == 4
    # 14 sites on one page: neither.
    assert _statements(client, db, "/en/municipalities/205") == 2


def test_each_order_of_the_site_list_is_read_from_an_index(
    client: TestClient, db: Session, publish
) -> None:
    """A page of the list reads its rows in the order asked (from an index), not by
    sorting every match: with sorting switched off PostgreSQL still finds a plan
    without a Sort node for each order the portal offers."""
    if db.get_bind().dialect.name != "postgresql":
        pytest.skip("query plans are PostgreSQL's")
    _add_sites(publish, db, 3, 500)
    for sort in SORTS:
        url = "/en/sites" + SiteSearch(sort=sort, industry="technology", rail=True).query()
        with captured(db) as statements:
            assert client.get(url).status_code == 200
        statement, parameters = next(
            (s, p) for s, p in statements if "ORDER BY" in s and "LIMIT" in s and "count(" not in s
        )
        db.execute(text("SET LOCAL enable_sort = off"))
        plan = db.connection().exec_driver_sql("EXPLAIN " + statement, parameters).scalars()
        assert not [line for line in plan if "Sort" in line], sort
