"""Review of published sites: a municipality's edit (form, API, package, files) waits
for the coordinator as a revision with a field-by-field diff, while the portal, the
feeds and syndication keep the published version until it is approved."""

from __future__ import annotations

import html
import io
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.db.models import Site, SiteRevision, SiteVersion, SyndicationEvent
from app.domain.access import Role
from app.settings import Settings
from app.web.portal import render_cache
from tests.factories import Factory, csrf_from
from tests.sites.conftest import stored_files

TODAY = datetime.now(UTC).date().isoformat()
SITE: dict[str, Any] = {
    "kind": "industrial_plot",
    "name_fi": "Järvenrannan tontti",
    "name_en": "Plot by the lake",
    "municipality_code": "205",
    "external_ref": "KAJ-REV-1",
    "latitude": 64.2,
    "longitude": 28.1,
    "area_ha": "4.5",
    "ownership": "private",
    "industry_codes": ["metal_machinery"],
    "last_verified_on": TODAY,
}
# The staff form posts every field; these are the site's own values.
FORM: dict[str, Any] = {
    **{k: v for k, v in SITE.items() if k != "industry_codes"},
    "latitude": "64.2",
    "longitude": "28.1",
    "industry_codes": ["metal_machinery"],
}
CHANGED: dict[str, Any] = {
    "name_en": "Plot by the harbour",
    "area_ha": "6,25",
    "ownership": "municipal",
    "industry_codes": ["ict_data_centres"],
    "available_from": "2027-03-01",
}


@pytest.fixture(autouse=True)
def fresh_portal(settings: Settings) -> Iterator[None]:
    # Each test's rolled-back data must not meet portal pages cached by another test.
    original = settings.portal_version_ttl_seconds
    settings.portal_version_ttl_seconds = 0
    render_cache.clear()
    yield
    settings.portal_version_ttl_seconds = original
    render_cache.clear()


def _published(client: TestClient, coordinator: dict[str, str], **extra: Any) -> dict[str, Any]:
    created = client.post("/api/v1/sites", json={**SITE, **extra}, headers=coordinator)
    assert created.status_code == 201, created.text
    published = client.post(f"/api/v1/sites/{created.json()['id']}/publish", headers=coordinator)
    assert published.status_code == 200, published.text
    return published.json()


def _events(db: Session, site_id: str) -> list[str]:
    query = (
        select(SyndicationEvent.type)
        .where(SyndicationEvent.site_id == site_id)
        .order_by(SyndicationEvent.id)
    )
    return list(db.scalars(query))


def _feed(client: TestClient) -> tuple[str, str, str]:
    response = client.get("/feeds/205/sites.json?lang=en")
    assert response.status_code == 200
    return response.headers["etag"], response.headers["last-modified"], response.text


def _portal(client: TestClient, slug: str) -> str:
    response = client.get(f"/en/sites/{slug}")
    assert response.status_code == 200
    return response.text


def _text(page: str) -> str:
    """The page's text with tags reduced to spaces, for reading it as a person does."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def test_form_edit_waits_for_review_and_approval_publishes_it(
    client: TestClient, factory: Factory, db: Session
) -> None:
    _, coordinator_api = factory.api_user(Role.COORDINATOR)
    site = _published(client, coordinator_api)
    events, feed = _events(db, site["id"]), _feed(client)
    assert "Plot by the lake" in _portal(client, site["slug"])

    contact = factory.user(Role.MUNICIPAL_CONTACT, municipality="205")
    factory.login(client, contact)
    page = client.get(f"/sites/{site['id']}")
    assert "your changes are sent to the coordinator for review" in page.text
    saved = client.post(
        f"/sites/{site['id']}",
        data={**FORM, **CHANGED, "csrf_token": csrf_from(page.text)},
        follow_redirects=False,
    )
    assert saved.status_code == 303, saved.text
    assert saved.headers["location"].endswith("done=revision")
    mine = client.get(saved.headers["location"])
    assert "wait for the coordinator's review" in mine.text
    # The form shows the contact what they proposed; the diff what it changes.
    assert 'value="Plot by the harbour"' in mine.text

    # Nothing public moved: portal, feed validators, syndication outbox, the site row.
    assert "Plot by the lake" in _portal(client, site["slug"])
    assert "Plot by the harbour" not in _portal(client, site["slug"])
    assert _feed(client) == feed
    assert _events(db, site["id"]) == events
    db.expire_all()
    row = db.get(Site, site["id"])
    assert row is not None and (row.name_en, row.area_ha, row.version) == (
        "Plot by the lake",
        4.5,
        site["version"],
    )

    coordinator = factory.user(Role.COORDINATOR)
    factory.login(client, coordinator)
    queue = client.get("/review")
    assert queue.status_code == 200
    text = _text(queue.text)
    # Field labels and values in words, in the reader's language, old then new.
    assert "Name in English Plot by the lake Plot by the harbour" in text
    assert "Area (ha) 4.5 6.25" in text
    assert "Ownership Private Municipal" in text
    assert "Key industries Metal and machinery ICT and data centres" in text
    assert "Available from – 1 Mar 2027" in text
    assert "metal_machinery" not in text and "ict_data_centres" not in text
    assert 'class="data diff"' in queue.text

    approved = client.post(
        f"/sites/{site['id']}/revision/approve",
        data={"csrf_token": csrf_from(queue.text), "seen": "1"},
        follow_redirects=False,
    )
    assert approved.status_code == 303, approved.text
    assert "The change was approved" in client.get(approved.headers["location"]).text

    public = _portal(client, site["slug"])
    assert "Plot by the harbour" in public and "Plot by the lake" not in public
    assert _events(db, site["id"]) == [*events, "site.updated"]
    etag, modified, body = _feed(client)
    assert etag != feed[0] and "Plot by the harbour" in body
    # Last-Modified has whole seconds: later, or the same second as the publication.
    assert parsedate_to_datetime(modified) >= parsedate_to_datetime(feed[1])
    assert (
        client.get("/feeds/205/sites.json?lang=en", headers={"If-None-Match": feed[0]}).status_code
        == 200
    )
    db.expire_all()
    row = db.get(Site, site["id"])
    assert row is not None and (row.area_ha, row.ownership) == (6.25, "municipal")
    assert row.version == site["version"] + 1
    last = db.scalars(
        select(SiteVersion).where(SiteVersion.site_id == row.id).order_by(SiteVersion.id.desc())
    ).first()
    assert last is not None and last.action == "revision"
    assert db.scalar(select(func.count()).select_from(SiteRevision)) == 0


def test_diff_reads_in_finnish_for_a_finnish_reader(
    client: TestClient, factory: Factory, db: Session
) -> None:
    _, coordinator_api = factory.api_user(Role.COORDINATOR)
    site = _published(client, coordinator_api)
    _, contact = factory.api_user(Role.MUNICIPAL_CONTACT, municipality="205")
    proposed = client.patch(
        f"/api/v1/sites/{site['id']}",
        json={"area_ha": "6.25", "ownership": "municipal", "available_from": "2027-03-01"},
        headers=contact,
    )
    assert proposed.status_code == 202, proposed.text
    factory.login(client, factory.user(Role.COORDINATOR, language="fi"))
    text = _text(client.get("/review").text)
    assert "Pinta-ala (ha) 4,5 6,25" in text
    assert "Omistus Yksityinen Kunta" in text
    assert "1.3.2027" in text


def test_return_with_a_comment_then_the_contact_edits_and_resubmits(
    client: TestClient, factory: Factory, db: Session
) -> None:
    _, coordinator = factory.api_user(Role.COORDINATOR)
    site = _published(client, coordinator)
    contact_user, contact = factory.api_user(Role.MUNICIPAL_CONTACT, municipality="205")
    url = f"/api/v1/sites/{site['id']}"

    first = client.patch(url, json={"name_en": "Plot by the harbour"}, headers=contact)
    assert first.status_code == 202
    body = first.json()
    assert body["name_en"] == "Plot by the lake"  # the published version
    revision = body["pending_revision"]
    assert revision["status"] == "pending"
    assert revision["changes"] == [
        {"field": "name_en", "published": "Plot by the lake", "proposed": "Plot by the harbour"}
    ]

    # A second edit while pending updates the same revision.
    second = client.patch(url, json={"area_ha": "5"}, headers=contact)
    assert second.status_code == 202
    again = second.json()["pending_revision"]
    assert (again["id"], again["number"]) == (revision["id"], 2)
    assert [c["field"] for c in again["changes"]] == ["name_en", "area_ha"]
    assert db.scalar(select(func.count()).select_from(SiteRevision)) == 1

    listed = client.get("/api/v1/site-revisions", headers=coordinator).json()
    assert [r["id"] for r in listed] == [revision["id"]]
    no_comment = client.post(f"{url}/revision/return", json={"number": 2}, headers=coordinator)
    assert no_comment.status_code == 422
    assert no_comment.json()["errors"][0]["field"] == "comment"
    returned = client.post(
        f"{url}/revision/return",
        json={"number": 2, "comment": "Check the area against the plan."},
        headers=coordinator,
    )
    assert returned.status_code == 200, returned.text
    assert returned.json()["status"] == "returned"
    assert client.get("/api/v1/site-revisions", headers=coordinator).json() == []
    refused = client.post(f"{url}/revision/approve", headers=coordinator)
    assert refused.status_code == 409

    # The contact sees it returned, with the comment; the published site is untouched.
    mine = client.get(url, headers=contact).json()
    assert mine["name_en"] == "Plot by the lake"
    assert mine["pending_revision"]["review_comment"] == "Check the area against the plan."
    factory.login(client, contact_user)
    listed = client.get("/sites")
    assert "Changes returned for you to check" in listed.text
    assert "Check the area against the plan." in listed.text
    page = client.get(f"/sites/{site['id']}")
    assert "Check the area against the plan." in page.text
    assert "Returned" in page.text

    resubmitted = client.patch(url, json={"area_ha": "4.8"}, headers=contact)
    assert resubmitted.status_code == 202
    back = resubmitted.json()["pending_revision"]
    assert (back["id"], back["status"], back["number"]) == (revision["id"], "pending", 3)
    approved = client.post(f"{url}/revision/approve", json={"number": 3}, headers=coordinator)
    assert approved.status_code == 200, approved.text
    assert (approved.json()["name_en"], approved.json()["area_ha"]) == (
        "Plot by the harbour",
        4.8,
    )
    assert approved.json()["pending_revision"] is None


def test_stale_base_and_a_second_approval_are_refused(
    client: TestClient, factory: Factory, db: Session
) -> None:
    _, coordinator = factory.api_user(Role.COORDINATOR)
    _, other_coordinator = factory.api_user(Role.COORDINATOR)
    site = _published(client, coordinator)
    _, contact = factory.api_user(Role.MUNICIPAL_CONTACT, municipality="205")
    url = f"/api/v1/sites/{site['id']}"
    assert client.patch(url, json={"name_en": "Proposed"}, headers=contact).status_code == 202

    # The coordinator's own edit of the published site applies at once…
    direct = client.patch(url, json={"area_ha": "7"}, headers=coordinator)
    assert direct.status_code == 200 and direct.json()["area_ha"] == 7.0
    # …so the revision was built on an older published version: refused, clearly.
    stale = client.post(f"{url}/revision/approve", headers=coordinator)
    assert stale.status_code == 409
    assert "changed since this revision was proposed" in stale.json()["detail"]
    revision = client.get(f"{url}/revision", headers=coordinator).json()
    assert revision["stale"] is True

    # Resubmitted on the current version; one coordinator approves, the other is told.
    assert client.patch(url, json={"name_en": "Proposed"}, headers=contact).status_code == 202
    number = client.get(f"{url}/revision", headers=coordinator).json()["number"]
    assert (
        client.post(
            f"{url}/revision/approve", json={"number": number - 1}, headers=coordinator
        ).status_code
        == 409
    )  # not what the reviewer looked at
    first = client.post(f"{url}/revision/approve", json={"number": number}, headers=coordinator)
    assert first.status_code == 200
    second = client.post(
        f"{url}/revision/approve", json={"number": number}, headers=other_coordinator
    )
    assert second.status_code == 409
    versions = client.get(f"{url}/versions", headers=coordinator).json()
    assert [v["action"] for v in versions].count("revision") == 1


def test_stale_approval_on_the_review_page_says_why(
    client: TestClient, factory: Factory, db: Session
) -> None:
    _, coordinator_api = factory.api_user(Role.COORDINATOR)
    site = _published(client, coordinator_api)
    _, contact = factory.api_user(Role.MUNICIPAL_CONTACT, municipality="205")
    url = f"/api/v1/sites/{site['id']}"
    client.patch(url, json={"name_en": "Proposed"}, headers=contact)
    client.patch(url, json={"area_ha": "7"}, headers=coordinator_api)
    factory.login(client, factory.user(Role.COORDINATOR))
    queue = client.get("/review")
    assert "The published site changed after this proposal" in queue.text
    refused = client.post(
        f"/sites/{site['id']}/revision/approve", data={"csrf_token": csrf_from(queue.text)}
    )
    assert refused.status_code == 409
    assert "Return it so the municipality can check it" in refused.text


@pytest.mark.parametrize(
    "role",
    [Role.MUNICIPAL_CONTACT, Role.PARTNER, Role.FORUM_VIEWER, None],
    ids=["other municipality", "partner", "forum viewer", "anonymous"],
)
def test_others_neither_see_nor_touch_the_revision(
    client: TestClient, factory: Factory, db: Session, role: Role | None
) -> None:
    _, coordinator = factory.api_user(Role.COORDINATOR)
    site = _published(client, coordinator)
    _, contact = factory.api_user(Role.MUNICIPAL_CONTACT, municipality="205")
    url = f"/api/v1/sites/{site['id']}"
    assert (
        client.patch(url, json={"name_en": "Secret proposal"}, headers=contact).status_code == 202
    )

    headers: dict[str, str] = {}
    if role is not None:
        _, headers = factory.api_user(
            role, **({"municipality": "765"} if role is Role.MUNICIPAL_CONTACT else {})
        )
    seen = client.get(url, headers=headers)
    if role is None:
        assert seen.status_code == 401
    else:
        assert seen.status_code == 200 and seen.json()["pending_revision"] is None
        assert "Secret proposal" not in seen.text
    assert client.get(f"{url}/revision", headers=headers).status_code in (401, 404)
    assert client.get("/api/v1/site-revisions", headers=headers).status_code in (401, 403)
    for path in ("approve", "return"):
        answer = client.post(f"{url}/revision/{path}", json={"comment": "x"}, headers=headers)
        assert answer.status_code in (401, 403)
    assert client.delete(f"{url}/revision", headers=headers).status_code in (401, 403)
    assert "Secret proposal" not in _portal(client, site["slug"])
    assert db.scalar(select(func.count()).select_from(SiteRevision)) == 1


def test_other_municipality_staff_page_does_not_show_the_proposal(
    client: TestClient, factory: Factory
) -> None:
    _, coordinator = factory.api_user(Role.COORDINATOR)
    site = _published(client, coordinator)
    _, contact = factory.api_user(Role.MUNICIPAL_CONTACT, municipality="205")
    client.patch(f"/api/v1/sites/{site['id']}", json={"name_en": "Secret"}, headers=contact)
    factory.login(client, factory.user(Role.MUNICIPAL_CONTACT, municipality="765"))
    page = client.get(f"/sites/{site['id']}")
    assert page.status_code == 200 and "Secret" not in page.text
    assert client.get("/review").status_code == 403


def _jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (32, 24), (20, 120, 60)).save(out, format="JPEG")
    return out.getvalue()


def test_files_added_and_removed_wait_for_review(
    client: TestClient, factory: Factory, db: Session, storage_dir: Path
) -> None:
    _, coordinator = factory.api_user(Role.COORDINATOR)
    site = _published(client, coordinator)
    url = f"/api/v1/sites/{site['id']}"
    old = client.post(
        f"{url}/attachments",
        files={"file": ("old.pdf", b"%PDF-1.4\nold\n%%EOF\n", "application/pdf")},
        headers=coordinator,
    ).json()
    _, contact = factory.api_user(Role.MUNICIPAL_CONTACT, municipality="205")
    added = client.post(
        f"{url}/attachments",
        files={"file": ("yard.jpg", _jpeg(), "image/jpeg")},
        data={"title_fi": "Piha"},
        headers=contact,
    )
    assert added.status_code == 201, added.text
    assert client.delete(f"{url}/attachments/{old['id']}", headers=contact).status_code == 204
    # Published files are as they were; the new one is not public.
    listed = [a["id"] for a in client.get(f"{url}/attachments", headers=contact).json()]
    assert listed == [old["id"]]
    assert client.get(f"/site-files/{added.json()['id']}").status_code == 404
    assert client.get(f"/site-files/{old['id']}").status_code == 200
    revision = client.get(f"{url}/revision", headers=coordinator).json()
    assert [a["filename"] for a in revision["attachments_added"]] == ["yard.jpg"]
    assert [a["filename"] for a in revision["attachments_removed"]] == ["old.pdf"]

    factory.login(client, factory.user(Role.COORDINATOR))
    text = _text(client.get("/review").text)
    assert "Added Photo: Piha" in text and "Removed Document: old.pdf" in text

    approved = client.post(f"{url}/revision/approve", headers=coordinator)
    assert approved.status_code == 200, approved.text
    listed = [a["id"] for a in client.get(f"{url}/attachments", headers=contact).json()]
    assert listed == [added.json()["id"]]
    assert client.get(f"/site-files/{added.json()['id']}").status_code == 200
    assert "site.updated" in _events(db, site["id"])
    # The removed file's bytes went with it; the photo and its thumbnail stay.
    assert len(stored_files(storage_dir)) == 2
    assert not any(name.endswith(old["sha256"]) for name in stored_files(storage_dir))


def test_package_of_a_published_site_would_create_a_revision(
    client: TestClient, factory: Factory, db: Session
) -> None:
    _, coordinator = factory.api_user(Role.COORDINATOR)
    site = _published(client, coordinator)
    contact_user, contact = factory.api_user(Role.MUNICIPAL_CONTACT, municipality="205")
    events = _events(db, site["id"])
    csv_file = (
        "external_ref;kind;name_fi;name_en;municipality_code;area_ha;ownership\n"
        "KAJ-REV-1;industrial_plot;Järvenrannan tontti;Plot by the harbour;205;6,25;private\n"
    ).encode()
    checked = client.post(
        "/api/v1/site-packages",
        files={"file": ("kajaani.csv", csv_file, "text/csv")},
        data={"lang": "en"},
        headers=contact,
    )
    assert checked.status_code == 201, checked.text
    report = checked.json()
    assert report["report"]["summary"]["revision"] == 1
    [row] = report["report"]["rows"]
    assert row["action"] == "revision" and set(row["changed_fields"]) >= {"name_en", "area_ha"}

    factory.login(client, contact_user)
    page = client.get(f"/site-packages/{report['id']}")
    assert "would create a revision for review" in _text(page.text)
    applied = client.post(
        f"/site-packages/{report['id']}/apply",
        data={"csrf_token": csrf_from(page.text)},
        follow_redirects=False,
    )
    assert applied.status_code == 303, applied.text

    # Applied as a revision: the published site, the portal, the outbox are unchanged.
    assert "Plot by the lake" in _portal(client, site["slug"])
    assert _events(db, site["id"]) == events
    revision = client.get(f"/api/v1/sites/{site['id']}/revision", headers=contact).json()
    assert {c["field"] for c in revision["changes"]} >= {"name_en", "area_ha"}
    # The same package again: nothing more to propose.
    again = client.post(
        "/api/v1/site-packages",
        files={"file": ("kajaani.csv", csv_file, "text/csv")},
        data={"lang": "en"},
        headers=contact,
    ).json()
    assert again["report"]["summary"]["unchanged"] == 1


def test_drafts_and_returned_sites_keep_the_direct_flow(
    client: TestClient, factory: Factory, db: Session
) -> None:
    _, contact = factory.api_user(Role.MUNICIPAL_CONTACT, municipality="205")
    created = client.post("/api/v1/sites", json=SITE, headers=contact).json()
    changed = client.patch(
        f"/api/v1/sites/{created['id']}", json={"name_en": "Renamed"}, headers=contact
    )
    assert changed.status_code == 200
    assert (changed.json()["name_en"], changed.json()["pending_revision"]) == ("Renamed", None)
    assert db.scalar(select(func.count()).select_from(SiteRevision)) == 0


def test_withdrawing_a_site_drops_its_proposal(
    client: TestClient, factory: Factory, db: Session
) -> None:
    _, coordinator = factory.api_user(Role.COORDINATOR)
    site = _published(client, coordinator)
    _, contact = factory.api_user(Role.MUNICIPAL_CONTACT, municipality="205")
    url = f"/api/v1/sites/{site['id']}"
    client.patch(url, json={"name_en": "Proposed"}, headers=contact)
    assert client.post(f"{url}/withdraw", headers=contact).status_code == 200
    assert db.scalar(select(func.count()).select_from(SiteRevision)) == 0
    discard = client.delete(f"{url}/revision", headers=contact)
    assert discard.status_code == 404


def test_verifying_keeps_the_proposal_current_and_editing_it_back_drops_it(
    client: TestClient, factory: Factory, db: Session
) -> None:
    _, coordinator = factory.api_user(Role.COORDINATOR)
    site = _published(client, coordinator)
    _, contact = factory.api_user(Role.MUNICIPAL_CONTACT, municipality="205")
    url = f"/api/v1/sites/{site['id']}"
    client.patch(url, json={"name_en": "Proposed"}, headers=contact)
    assert client.post(f"{url}/verify", headers=contact).status_code == 200
    assert client.get(f"{url}/revision", headers=coordinator).json()["stale"] is False

    back = client.patch(url, json={"name_en": "Plot by the lake"}, headers=contact)
    assert back.status_code == 200 and back.json()["pending_revision"] is None
    assert db.scalar(select(func.count()).select_from(SiteRevision)) == 0


def test_the_contact_withdraws_the_proposal_and_its_files(
    client: TestClient, factory: Factory, db: Session, storage_dir: Path
) -> None:
    _, coordinator = factory.api_user(Role.COORDINATOR)
    site = _published(client, coordinator)
    contact_user, contact = factory.api_user(Role.MUNICIPAL_CONTACT, municipality="205")
    url = f"/api/v1/sites/{site['id']}"
    client.post(
        f"{url}/attachments", files={"file": ("a.jpg", _jpeg(), "image/jpeg")}, headers=contact
    )
    client.patch(url, json={"name_en": "Proposed"}, headers=contact)
    factory.login(client, contact_user)
    page = client.get(f"/sites/{site['id']}")
    withdrawn = client.post(
        f"/sites/{site['id']}/revision/discard",
        data={"csrf_token": csrf_from(page.text)},
        follow_redirects=False,
    )
    assert withdrawn.status_code == 303
    assert "The proposed change was withdrawn." in client.get(withdrawn.headers["location"]).text
    assert db.scalar(select(func.count()).select_from(SiteRevision)) == 0
    assert client.get(f"{url}/attachments", headers=contact).json() == []
    assert stored_files(storage_dir) == []
