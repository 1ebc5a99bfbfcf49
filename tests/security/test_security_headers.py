"""Issue 13, finding 10: HTML pages sent no Content-Security-Policy, X-Frame-Options /
frame-ancestors, Referrer-Policy or Permissions-Policy.

Every GET route the app has (read from the app itself, so a new page is covered the day it
is added), signed in and not, every form's POST refused for want of CSRF, the error pages
(400, 404, 405, 500), an attachment download and `compound serve` over real HTTP: each
response carries the headers, the pages' policy allows no inline script or style, and the
rendered pages hold none for it to block."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from email.message import EmailMessage
from html.parser import HTMLParser

import httpx
import pytest
from litestar import Litestar, get
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from compound.agents.runtime import service as runs
from compound.modules.leads import service as leads
from compound.modules.leads.models import LeadImport, LeadStatus
from compound.platform.auth.actor import Actor
from compound.platform.config import Settings
from compound.platform.database import Database
from compound.platform.email.models import Attachment
from tests.conftest import REPOSITORY_ROOT, LiveServer, Tokens
from tests.factories import make_company, make_person
from tests.platform.email.test_processing import receive
from tests.runtime_agents import PLANNER
from tests.web.test_pages import PASSWORD, signed_in

BROWSER = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
STREAMS = {"/events/inbox"}
"""Server-sent event streams never end: checked over real HTTP below, not in process."""
TOOLS = ("/graphql", "/schema")


def directives(policy: str) -> dict[str, list[str]]:
    parsed: dict[str, list[str]] = {}
    for part in policy.split(";"):
        name, *values = part.split()
        parsed[name] = values
    return parsed


def assert_secured(response: httpx.Response) -> None:
    """The headers every response must carry; a page's policy allows only its own origin."""
    where = f"{response.request.method} {response.request.url.path} ({response.status_code})"
    headers = response.headers
    assert headers.get("x-content-type-options") == "nosniff", where
    assert headers.get("x-frame-options") == "DENY", where
    assert headers.get("referrer-policy") == "same-origin", where
    assert "camera=()" in headers.get("permissions-policy", ""), where
    assert "microphone=()" in headers.get("permissions-policy", ""), where
    policy = directives(headers.get("content-security-policy", "missing"))
    if "sandbox" in policy:  # an attachment download keeps its own, stricter policy
        assert policy.get("default-src") == ["'none'"], where
        return
    assert policy.get("frame-ancestors") == ["'none'"], where
    assert policy.get("object-src") == ["'none'"], where
    assert policy.get("base-uri") == ["'none'"], where
    assert policy.get("form-action") == ["'self'"], where
    if response.request.url.path.startswith(TOOLS):
        return  # GraphiQL and the OpenAPI viewers: CDN scripts, still never framed
    assert policy.get("default-src") == ["'none'"], where
    assert policy.get("script-src") == ["'self'"], where  # no inline, no eval, no CDN
    assert policy.get("style-src") == ["'self'"], where
    assert policy.get("connect-src") == ["'self'"], where


class _InlineCode(HTMLParser):
    """What a page's policy would block: inline scripts and styles, handler attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "script" and not values.get("src"):
            self.found.append("<script> without src")
        if tag == "style":
            self.found.append("<style>")
        for name, value in attrs:
            if name == "style" or name.startswith("on") or name.startswith("hx-on"):
                self.found.append(f"{tag} {name}=")
            if name in {"href", "src", "action"} and (value or "").strip().startswith(
                "javascript:"
            ):
                self.found.append(f"{tag} {name}=javascript:")


def inline_code(page: str) -> list[str]:
    reader = _InlineCode()
    reader.feed(page)
    return reader.found


def route_paths(app: Litestar, method: str, ids: dict[str, str]) -> list[str]:
    """One address per route taking `method`, path parameters filled from `ids` (else a
    random UUID, which makes it a 404 page: an error page needs the headers as much)."""

    def filled(match: re.Match[str]) -> str:
        return ids.get(match.group(1), str(uuid.uuid4()))

    return sorted(
        {
            re.sub(r"\{(\w+):\w+\}", filled, route.path)
            for route in app.routes
            if method in getattr(route, "methods", set())
        }
    )


@pytest.fixture
async def records(session: AsyncSession, actor: Actor) -> dict[str, str]:
    """Real records for the detail pages: a company, a person, a lead, a run with its import
    ledger, a thread with an attachment."""
    company = await make_company(session, name="Headers Check GmbH", domain="headers.example")
    person = await make_person(session, company=company)
    lead = await leads.create_lead(
        session, actor, company_id=company.id, score=70, rationale="fits", status=LeadStatus.NEW
    )
    run = await runs.start_run(session, actor, PLANNER, {"question": "x"})
    session.add(
        LeadImport(
            id=run.id,
            source="email",
            state="researching",
            title="Batch",
            requested_by="a@b.example",
        )
    )
    message = EmailMessage()
    message["From"] = "Renata <renata@larkspur.example>"
    message["To"] = "leads@compound.localhost"
    message["Subject"] = f"Deck {uuid.uuid4().hex[:6]}"
    message.set_content("The deck is attached.")
    message.add_attachment(b"<script>alert(1)</script>", maintype="text", subtype="html")
    stored = await receive(session, message.as_bytes())
    [attachment] = (
        await session.execute(select(Attachment).where(col(Attachment.message_id) == stored.id))
    ).scalars()
    await session.commit()
    return {
        "company_id": str(company.id),
        "lead_id": str(lead.id),
        "run_id": str(run.id),
        "import_id": str(run.id),
        "person_id": str(person.id),
        "conversation_id": str(stored.conversation_id),
        "message_id": str(stored.id),
        "attachment_id": str(attachment.id),
        "file_path": "app.css",
        "path": "openapi.json",
    }


@pytest.fixture
async def app_and_client(
    test_database: Database, settings: Settings
) -> AsyncIterator[tuple[Litestar, httpx.AsyncClient]]:
    """The real app, plus one route that fails as a bug would (for the 500 page)."""
    from compound.web.app import create_app

    @get("/test-broken-page", sync_to_thread=False)
    def broken_page() -> str:
        raise RuntimeError("a bug")

    app = create_app(settings=settings, database=test_database)
    app.register(broken_page)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://compound.test") as client:
        yield app, client


async def test_every_page_carries_the_headers_signed_out(
    app_and_client: tuple[Litestar, httpx.AsyncClient], records: dict[str, str]
) -> None:
    app, client = app_and_client
    paths = route_paths(app, "GET", records)
    assert {"/sign-in", "/companies", *STREAMS} <= set(paths) and len(paths) > 30

    for path in paths:  # a stranger's event stream is refused at once: it ends
        assert_secured(await client.get(path, headers=BROWSER))
    for path in route_paths(app, "POST", records):
        assert_secured(await client.post(path, headers=BROWSER, data={"x": "1"}))


async def test_every_page_carries_the_headers_signed_in_and_holds_no_inline_code(
    app_and_client: tuple[Litestar, httpx.AsyncClient], records: dict[str, str], tokens: Tokens
) -> None:
    app, client = app_and_client
    await signed_in(client, "admin")
    rendered: dict[str, int] = {}

    for path in route_paths(app, "GET", records):
        if path in STREAMS:
            continue
        response = await client.get(path, headers=BROWSER)
        assert_secured(response)
        is_page = response.headers.get("content-type", "").startswith("text/html")
        if is_page and not path.startswith(TOOLS):
            assert inline_code(response.text) == [], path
            rendered[path] = response.status_code
    for path in route_paths(app, "POST", records):
        # No CSRF token: refused, and the refusal is a page like any other.
        response = await client.post(path, headers=BROWSER, data={"x": "1"})
        assert_secured(response)

    # Every detail page had its record: the real pages were rendered, not only 404s.
    assert {path: status for path, status in rendered.items() if status != 200} == {
        "/test-broken-page": 500
    }
    assert len(rendered) > 20


async def test_error_pages_carry_the_headers(
    app_and_client: tuple[Litestar, httpx.AsyncClient], tokens: Tokens
) -> None:
    _, client = app_and_client
    await signed_in(client, "member")
    cases = {
        "/no-such-page": 404,
        "/companies/not-a-uuid": 404,
        "/conversations?after=garbage": 400,
        "/test-broken-page": 500,
    }
    for path, status in cases.items():
        response = await client.get(path, headers=BROWSER)
        assert response.status_code == status, path
        assert_secured(response)
    not_allowed = await client.put("/sign-in", headers=BROWSER)
    assert not_allowed.status_code == 405
    assert_secured(not_allowed)
    api_error = await client.get("/no-such-page")  # a program's JSON error
    assert api_error.status_code == 404 and api_error.headers["content-type"].startswith(
        "application/json"
    )
    assert_secured(api_error)


async def test_an_attachment_keeps_its_own_sandbox_policy(
    web_client: httpx.AsyncClient, records: dict[str, str]
) -> None:
    await signed_in(web_client, "viewer")
    url = f"/conversations/{records['conversation_id']}/attachments/{records['attachment_id']}"

    download = await web_client.get(url)

    assert download.status_code == 200
    assert download.headers.get_list("content-security-policy") == ["sandbox; default-src 'none'"]
    assert download.headers["x-content-type-options"] == "nosniff"
    assert download.headers["x-frame-options"] == "DENY"
    assert download.headers["referrer-policy"] == "same-origin"


def test_templates_and_scripts_hold_nothing_the_policy_blocks() -> None:
    templates = [
        *(REPOSITORY_ROOT / "web" / "templates").rglob("*.html"),
        *(REPOSITORY_ROOT / "modules").rglob("templates/**/*.html"),
    ]
    assert len(templates) > 20
    for template in templates:
        # Jinja expressions are not HTML: read what is left of the markup around them.
        text = re.sub(r"\{[{%#].*?[}%#]\}", "", template.read_text(), flags=re.S)
        assert inline_code(text) == [], template
    for script in (REPOSITORY_ROOT / "web" / "static").glob("*.js"):
        source = script.read_text()
        for needle in ("eval(", "new Function", 'setAttribute("style"', ".cssText"):
            assert needle not in source, f"{script.name}: {needle}"


async def test_the_real_server_sends_the_headers_on_pages_static_files_and_streams(
    live_server: LiveServer,
) -> None:
    email = f"headers-{uuid.uuid4().hex[:8]}@example.com"
    live_server.cli(
        "user", "create", "--email", email, "--password-stdin", "--role", "viewer",
        stdin=PASSWORD,
    )  # fmt: skip
    async with httpx.AsyncClient(base_url=live_server.url, timeout=30) as client:
        form = await client.get("/sign-in", headers=BROWSER)
        assert_secured(form)
        csrf = re.search(r'name="csrf" value="([^"]+)"', form.text)
        assert csrf is not None
        signed = await client.post(
            "/sign-in",
            data={"email": email, "password": PASSWORD, "next": "/inbox", "csrf": csrf.group(1)},
        )
        assert signed.status_code == 303
        assert_secured(signed)
        for path in ("/inbox", "/static/app.css", "/static/vendor/htmx.min.js", "/nowhere"):
            assert_secured(await client.get(path, headers=BROWSER))
        async with client.stream("GET", "/events/inbox") as stream:
            assert stream.status_code == 200
            assert stream.headers["content-type"].startswith("text/event-stream")
            assert_secured(stream)
