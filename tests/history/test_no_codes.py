"""Names, not codes: no staff page shows a stored code where a person reads.

Walks every GET page reachable from the navigation of a coordinator and of a municipal
contact, and the detail pages of the demo records those pages link to, and looks at the
visible text for the codes the system stores: municipality codes, industry and stage
codes, every coded value with a label (app.i18n.LABELS) and ISO country codes. The codes
are enumerated from the reference data and the labels, so new ones are covered.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from html.parser import HTMLParser

import pytest
from babel.core import Locale
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.models import Industry, LostReason, Municipality, Stage, User
from app.demo import COORDINATOR_LOGIN, DEMO_PASSWORD, demo_domain, load_demo_data
from app.i18n import LABELS
from app.services.region import current_region
from app.settings import Settings
from app.web.navigation import items_for
from tests.factories import Factory

# Detail pages followed from the lists, a few of each kind.
DETAIL = re.compile(
    r'href="(/(?:leads|organizations|contacts|sites|clusters|events|targets|aftercare|capital-investors|history/[a-z_]+)'
    r'/[0-9a-f-]{36})"'
)
PER_KIND = 2
# Separators between values in a cell: "Kajaani · 205", "(SE, Published)".
# A comma between digits is a decimal comma ("697,5 milj. €"), not a separator.
SEPARATORS = re.compile(r",(?!\d)|[·()/|:;–—\[\]]|\s-\s")


class _Text(HTMLParser):
    """The text nodes a person reads (no script, style or attributes; nothing marked
    aria-hidden, such as the initials of the user menu's avatar)."""

    VOID = frozenset({"br", "img", "input", "meta", "link", "hr", "source", "use", "path"})

    def __init__(self) -> None:
        super().__init__()
        self.nodes: list[str] = []
        self._open: list[bool] = []  # per open element: whether its text is skipped

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.VOID:
            return
        hidden = tag in ("script", "style", "template") or ("aria-hidden", "true") in attrs
        self._open.append(hidden or (bool(self._open) and self._open[-1]))

    def handle_endtag(self, tag: str) -> None:
        if tag not in self.VOID and self._open:
            self._open.pop()

    def handle_data(self, data: str) -> None:
        if not (self._open and self._open[-1]) and data.strip():
            self.nodes.append(data.strip())


# An address in an e-mail is followed, not read: its path may well name a code.
URL = re.compile(r"https?://\S+")

# Units that happen to be written like a country code: megawatts, not Malawi.
UNITS = frozenset({"MW"})


def tokens(html: str, *, wrapped: bool = False) -> Iterator[tuple[str, str]]:
    """Values as a cell or a list shows them. In running prose a lowercase word that is
    also a code ("none", "open") is a word, so prose is only searched for codes that
    cannot be words (digits, underscores, capitals)."""
    parser = _Text()
    parser.feed(html)
    for node in (URL.sub("", n) for n in parser.nodes):
        # A line of a PDF may be a word that wrapped off a longer cell ("renewable /
        # energy"): such lines count as prose.
        prose = wrapped or len(node.split()) > 4
        for part in SEPARATORS.split(node):
            token = part.strip().strip(".\"'“”")
            if not token or token in UNITS:
                continue
            if prose and re.fullmatch(r"[a-z]+", token):
                continue
            yield token, node


def stored_codes(db: Session) -> dict[str, str]:
    """Every code a page must not show, with what it is."""
    codes: dict[str, str] = {}
    for code in db.scalars(select(Municipality.code)):
        codes[code] = "municipality code"
    for model, what in ((Industry, "industry"), (Stage, "stage"), (LostReason, "lost reason")):
        for code in db.scalars(select(model.code)):
            codes[code] = f"{what} code"
    for kind, labels in LABELS.items():
        for code in labels:
            codes.setdefault(code, f"{kind} code")
    for code in Locale.parse("en").territories:
        if re.fullmatch(r"[A-Z]{2}", code):
            codes.setdefault(code, "country code")
    return codes


def _walk(client: TestClient, start: list[str]) -> dict[str, str]:
    pages: dict[str, str] = {}
    queue = list(start)
    followed: dict[str, int] = {}
    while queue:
        path = queue.pop(0)
        if path in pages:
            continue
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        if "text/html" not in response.headers.get("content-type", ""):
            continue
        pages[path] = response.text
        for link in DETAIL.findall(response.text):
            kind = link.rsplit("/", 1)[0]
            if link not in pages and followed.get(kind, 0) < PER_KIND:
                followed[kind] = followed.get(kind, 0) + 1
                queue.append(link)
    return pages


@pytest.mark.parametrize("who", ["coordinator", "kajaani"])
def test_no_staff_page_shows_a_stored_code(
    who: str,
    client: TestClient,
    factory: Factory,
    db: Session,
    settings: Settings,
) -> None:
    load_demo_data(db, settings)
    db.commit()
    login = COORDINATOR_LOGIN if who == "coordinator" else "kajaani"
    email = f"{login}@{demo_domain(current_region(db))}"
    user = db.scalar(select(User).where(User.email == email))
    assert user is not None
    factory.login(client, user, password=DEMO_PASSWORD)
    codes = stored_codes(db)
    problems: set[str] = set()
    for lang in ("en", "fi"):
        client.cookies.set("ik_lang", lang)
        start = [item.path for item in items_for(user.role) if "{" not in item.path]
        for path, html in _walk(client, start).items():
            for token, node in tokens(html):
                if token in codes:
                    problems.add(f"{lang} {path}: {codes[token]} {token!r} in {node[:80]!r}")
    assert not problems, "\n".join(sorted(problems))


def test_no_e_mail_shows_a_stored_code(factory: Factory, db: Session, settings: Settings) -> None:
    """The mail people read (the agreement reminder, the inquiry notice) names things."""
    from datetime import UTC, datetime, timedelta

    from app.db.audit import bind_actor
    from app.db.models import Cluster, ClusterAgreement, OutboxEmail
    from app.domain.access import SYSTEM_ACTOR, Role
    from app.domain.portal import Inquiry
    from app.services.clusters import remind_expiring_agreements
    from app.services.portal import submit_inquiry

    coordinator = factory.user(Role.COORDINATOR, language="fi")
    party = factory.organization(name="Sotkamo Silver AB", country="SE")
    bind_actor(db, SYSTEM_ACTOR)
    cluster = Cluster(name="Mining cluster", coordinator_id=coordinator.id)
    db.add(cluster)
    db.flush()
    db.add(
        ClusterAgreement(
            cluster_id=cluster.id,
            party_organization_id=party.id,
            title="Commitment 2025",
            signed_on=datetime.now(UTC).date() - timedelta(days=300),
            valid_until=datetime.now(UTC).date() + timedelta(days=10),
        )
    )
    db.commit()
    assert remind_expiring_agreements(db, settings) == 1
    settings.coordinator_email = None
    inquiry = Inquiry(
        full_name="Anna Investor",
        organization="Nordic Compute AB",
        country="SE",
        email="anna@nordiccompute.example",
        message="We plan a data centre.",
        capex_eur=120_000_000,
        jobs=40,
        timeline="1_to_2_years",
        language="en",
    )
    submit_inquiry(db, settings, inquiry)
    codes = stored_codes(db)
    problems = []
    mail = list(db.scalars(select(OutboxEmail)))
    assert len(mail) >= 2
    for message in mail:
        for line in [message.subject, *message.body_text.splitlines()]:
            for token, node in tokens(line):
                if token in codes:
                    problems.append(f"{message.subject}: {codes[token]} {token!r} in {node!r}")
    assert not problems, "\n".join(problems)
    notice = next(m for m in mail if "inquiry" in m.subject or "yhteydenotto" in m.subject)
    assert "Ruotsi" in notice.body_text and "Tunnistettu" in notice.body_text


@pytest.mark.parametrize("lang", ["en", "fi"])
def test_the_forum_report_documents_show_no_stored_code(
    lang: str, client: TestClient, factory: Factory, db: Session, settings: Settings
) -> None:
    """The printable PDF and the spreadsheet of the forum report, read with pypdf and
    openpyxl as a person would read them."""
    import io

    from openpyxl import load_workbook
    from pypdf import PdfReader

    load_demo_data(db, settings)
    db.commit()
    email = f"{COORDINATOR_LOGIN}@{demo_domain(current_region(db))}"
    user = db.scalar(select(User).where(User.email == email))
    assert user is not None
    factory.login(client, user, password=DEMO_PASSWORD)
    client.cookies.set("ik_lang", lang)
    codes = stored_codes(db)
    pdf = client.get("/reports/forum.pdf")
    assert pdf.status_code == 200
    pdf_lines = [
        line
        for page in PdfReader(io.BytesIO(pdf.content)).pages
        for line in (page.extract_text() or "").splitlines()
    ]
    sheet = client.get("/reports/forum.xlsx")
    assert sheet.status_code == 200
    book = load_workbook(io.BytesIO(sheet.content), read_only=True)
    cells = [
        str(value)
        for ws in book.worksheets
        for row in ws.iter_rows(values_only=True)
        for value in row
        if isinstance(value, str)
    ]
    problems = {
        f"{codes[token]} {token!r} in {node!r}"
        for line, wrapped in [(x, True) for x in pdf_lines] + [(x, False) for x in cells]
        for token, node in tokens(line, wrapped=wrapped)
        if token in codes
    }
    assert not problems, "\n".join(sorted(problems))


def test_a_cms_post_names_the_kind_and_writes_the_date_as_its_reader(
    factory: Factory, db: Session
) -> None:
    from datetime import date

    from app.services.syndication import site_document, wordpress_content

    site = factory.site(municipality="765", kind="data_centre", available_from=date(2027, 3, 1))
    document = site_document(site, [], [], {}, db.get(Municipality, "765"))
    finnish = wordpress_content(document, "fi", "https://invest.example")
    english = wordpress_content(document, "en", "https://invest.example")
    assert "1.3.2027" in finnish and "1 Mar 2027" in english
    assert "2027-03-01" not in finnish + english
    assert "data_centre" not in finnish + english
    assert "765" not in finnish + english
