"""What holds: no cross-site scripting. Text that breaks out of an element or an attribute
is stored through the real ways in — GraphQL mutations, mail posted to /ingest/email, a CSV
import the agents research, the settings forms — and every page that shows it shows it as
text: each page is checked both for the escaped text (so the check is not vacuous) and for
the absence of any live markup. Reflected input (search, filters, bad ids, bad cursors) is
checked the same way."""

from __future__ import annotations

import csv
import io
import re
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import make_msgid
from urllib.parse import quote

import pytest
from markupsafe import escape
from sqlalchemy import text

from tests.conftest import EmbeddedServer
from tests.security.compound_site import Browser, Site, open_site, sign_in


def hostile(tag: str) -> str:
    """Breaks out of an attribute (either quote) and an element, in three ways."""
    return f"\"'><script>alert('{tag}')</script><img src=x onerror=alert('{tag}')><svg/onload=alert('{tag}')>"


def shown_escaped(tag: str) -> str:
    """What the page holds where `hostile(tag)` is shown as text (markupsafe's escaping)."""
    return f"alert(&#39;{tag}&#39;)"


LIVE_MARKUP = re.compile(r"<script>alert|<img src=x|<svg/onload|alert\('", re.IGNORECASE)
"""Any of these in a page means the text became markup (escaped, `'` is always `&#39;`)."""


@dataclass
class Hostile:
    """What the seeding stored, for the pages to be opened on."""

    company_id: str
    person_id: str
    conversation_id: str
    message_id: str
    routing_run_id: str
    import_id: str
    lead_id: str
    admin: Browser


async def seed(site: Site) -> Hostile:
    created = await site.execute(
        "mutation($input: CreateCompanyInput!) { createCompany(input: $input) "
        "{ company { id } userErrors { message } } }",
        {"input": {"name": hostile("company-name"), "description": hostile("company-description")}},
    )
    company_id = created["createCompany"]["company"]["id"]
    person = await site.execute(
        "mutation($input: CreatePersonInput!) { createPerson(input: $input) "
        "{ person { id } userErrors { message } } }",
        {
            "input": {
                "name": hostile("person-name"),
                "title": hostile("person-title"),
                "emails": ["ada@hostile.example"],
                "companyId": company_id,
            }
        },
    )
    person_id = person["createPerson"]["person"]["id"]
    await site.execute(
        "mutation($input: CreateNoteInput!) { createNote(input: $input) { userErrors { message } } }",
        {"input": {"body": hostile("note-body"), "companyId": company_id}},
    )
    await site.execute(
        "mutation($input: CreateTaskInput!) { createTask(input: $input) { userErrors { message } } }",
        {"input": {"title": hostile("task-title"), "companyId": company_id}},
    )
    await site.execute(
        "mutation($input: UpdateIcpInput!) { updateIcp(input: $input) { userErrors { message } } }",
        {"input": {"description": hostile("icp-description")}},
    )

    # Mail from outside: subject, sender's name, text, HTML and an attachment's name. A
    # customer's problem, so that it reaches the Inbox (unclear outside mail is only filed).
    message = EmailMessage()
    message["From"] = Address(hostile("mail-from-name"), addr_spec="eve@outside.example")
    message["To"] = "support@compound.localhost"
    message["Subject"] = hostile("mail-subject")
    message["Message-ID"] = make_msgid(domain="outside.example")
    message.set_content(
        hostile("mail-text") + "\nHi, our CSV import fails at row 5000 with an error every "
        "time. We are customers on the team plan. Can you help?\n\nThanks, Eve"
    )
    message.add_alternative(
        f"<p>{hostile('mail-html')}</p><script>alert('mail-html-script')</script>", subtype="html"
    )
    message.add_attachment(
        b"%PDF-1.4", maintype="application", subtype="pdf", filename=hostile("attachment-name")
    )
    message_id = await site.ingest(message.as_bytes())

    # A CSV import researched by the agents: its title, a company's name and one-liner.
    rows = io.StringIO()
    writer = csv.writer(rows)
    writer.writerow(["name", "one_liner"])
    writer.writerow([hostile("csv-name"), hostile("csv-one-liner")])
    imported = await site.execute(
        "mutation($csv: String!, $title: String) { importCompaniesCsv(csv: $csv, title: $title) "
        "{ leadImport { id } userErrors { message } } }",
        {"csv": rows.getvalue(), "title": hostile("import-title")},
    )
    assert imported["importCompaniesCsv"]["userErrors"] == [], imported
    import_id = imported["importCompaniesCsv"]["leadImport"]["id"]
    await site.drive()

    async with site.database.engine.connect() as connection:
        conversation_id = await connection.scalar(
            text("SELECT conversation_id FROM message WHERE id = :id"), {"id": message_id}
        )
        routing_run_id = await connection.scalar(
            text(
                "SELECT id FROM agent_run WHERE agent = 'email.route' AND input->>'message_id' = :id"
            ),
            {"id": str(message_id)},
        )
        lead_id = await connection.scalar(
            text(
                "SELECT l.id FROM lead l JOIN company c ON c.id = l.company_id WHERE c.name = :name"
            ),
            {"name": hostile("csv-name")},
        )
    assert conversation_id and routing_run_id and lead_id, (
        conversation_id,
        routing_run_id,
        lead_id,
    )
    moved = await site.execute(
        "mutation($id: ID!, $input: UpdateLeadInput!) { updateLead(id: $id, input: $input) "
        "{ userErrors { message } } }",
        {"id": str(lead_id), "input": {"score": 42, "rationale": hostile("lead-rationale")}},
    )
    assert moved["updateLead"]["userErrors"] == [], moved

    # The settings forms: a token's name and a new user's name.
    admin = await site.signed_in("admin")
    token = await admin.client.post(
        "/settings/tokens",
        data={"csrf": admin.csrf, "name": hostile("token-name"), "scopes": ["read"]},
    )
    assert token.status_code == 200, token.text
    user = await admin.client.post(
        "/settings/users",
        data={
            "csrf": admin.csrf,
            "email": f"hostile-{uuid.uuid4().hex[:6]}@site.example",
            "name": hostile("user-name"),
            "password": "a long enough password",
            "role": "member",
        },
    )
    assert user.status_code == 303, user.text
    return Hostile(
        company_id=company_id,
        person_id=person_id,
        conversation_id=str(conversation_id),
        message_id=str(message_id),
        routing_run_id=str(routing_run_id),
        import_id=import_id,
        lead_id=str(lead_id),
        admin=admin,
    )


@pytest.fixture(scope="module")
async def site(embedded_server: EmbeddedServer) -> AsyncIterator[Site]:
    opened = await open_site(embedded_server, "holds_xss")
    yield opened
    await opened.close()


@pytest.fixture(scope="module")
async def stored(site: Site) -> Hostile:
    return await seed(site)


@dataclass(frozen=True)
class Page:
    name: str
    url: Callable[[Hostile], str]
    shows: tuple[str, ...]
    """Tags whose text the page must show (escaped)."""
    status: int = 200


def q(tag: str) -> str:
    return quote(hostile(tag), safe="")


PAGES = [
    Page("companies", lambda h: "/companies", ("company-name",)),
    Page("companies filtered", lambda h: f"/companies?q={q('companies-q')}", ("companies-q",)),
    Page(
        "company",
        lambda h: f"/companies/{h.company_id}",
        (
            "company-name",
            "company-description",
            "person-name",
            "person-title",
            "note-body",
            "task-title",
        ),
    ),
    Page("people", lambda h: "/people", ("person-name",)),
    Page("people filtered", lambda h: f"/people?q={q('people-q')}", ("people-q",)),
    Page(
        "person",
        lambda h: f"/people/{h.person_id}",
        ("person-name", "person-title", "company-name"),
    ),
    Page("search", lambda h: f"/search?q={q('search-q')}", ("search-q",)),
    Page("search by name", lambda h: f"/search?q={q('company-name')}", ("company-name",)),
    Page("suggestions", lambda h: f"/search/suggest?q={q('company-name')}", ("company-name",)),
    Page("conversations", lambda h: "/conversations", ("mail-subject",)),
    Page(
        "conversations filtered",
        lambda h: f"/conversations?q={q('conversations-q')}",
        ("conversations-q",),
    ),
    Page(
        "conversation",
        lambda h: f"/conversations/{h.conversation_id}",
        ("mail-subject", "mail-from-name", "mail-text", "attachment-name"),
    ),
    Page(
        "conversation structure",
        lambda h: f"/conversations/{h.conversation_id}?structure={h.message_id}",
        ("mail-subject", "attachment-name"),
    ),
    Page("inbox", lambda h: "/inbox", ("mail-subject", "csv-name")),
    Page("runs", lambda h: "/runs", ("mail-subject",)),
    Page("run", lambda h: f"/runs/{h.routing_run_id}", ("mail-subject",)),
    Page("import run", lambda h: f"/runs/{h.import_id}", ("import-title",)),
    Page("leads", lambda h: "/leads", ("csv-name",)),
    Page("lead", lambda h: f"/leads/{h.lead_id}", ("csv-name", "lead-rationale")),
    Page("imports", lambda h: "/imports", ("import-title",)),
    Page("import", lambda h: f"/imports/{h.import_id}", ("import-title", "csv-name")),
    Page("icp", lambda h: "/settings/icp", ("icp-description",)),
    Page("tokens", lambda h: "/settings/tokens", ("token-name",)),
    Page("users", lambda h: "/settings/users", ("user-name",)),
    Page("bad company id", lambda h: f"/companies/{q('company-id')}", (), 404),
    Page(
        "bad conversation id",
        lambda h: f"/conversations/{q('conversation-id')}",
        ("conversation-id",),
        404,
    ),
    Page("bad cursor", lambda h: f"/companies?after={q('cursor')}", (), 400),
    Page("bad run state", lambda h: f"/runs?state={q('state')[:20]}", (), 400),
    Page("bad min score", lambda h: f"/leads?min_score={q('score')[:20]}", (), 400),
]


@pytest.mark.parametrize("page", PAGES, ids=[page.name for page in PAGES])
async def test_stored_and_reflected_text_is_shown_as_text(stored: Hostile, page: Page) -> None:
    response = await stored.admin.client.get(page.url(stored), headers={"Accept": "text/html"})
    assert response.status_code == page.status, response.text[:2000]
    assert response.headers["content-type"].startswith("text/html")
    live = LIVE_MARKUP.findall(response.text)
    assert not live, f"live markup on {page.name}: {live[:5]}"
    missing = [tag for tag in page.shows if shown_escaped(tag) not in response.text]
    assert not missing, f"{page.name} does not show {missing} (escaped)"


async def test_the_hostile_user_s_own_header_is_text(site: Site, stored: Hostile) -> None:
    async with site.database.engine.connect() as connection:
        email = await connection.scalar(
            text('SELECT email FROM "user" WHERE name = :name'), {"name": hostile("user-name")}
        )
    browser = site.browser()
    signed = await sign_in(browser.client, str(email), "a long enough password")
    assert signed.status_code == 303, signed.text
    page = await browser.client.get("/inbox")
    assert not LIVE_MARKUP.findall(page.text)
    assert shown_escaped("user-name") in page.text


def test_the_checks_see_live_markup_when_there_is_some() -> None:
    assert LIVE_MARKUP.search(f"<p>{hostile('x')}</p>")
    escaped = str(escape(hostile("x")))
    assert not LIVE_MARKUP.search(escaped) and shown_escaped("x") in escaped
