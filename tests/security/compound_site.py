"""A Compound of its own for the `test_holds_*` files: a fresh migrated database, the app
over ASGI, signed-in browsers, a digest of every table, and every form that changes
something with what it takes to post it."""

from __future__ import annotations

import re
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any

import httpx
from litestar import Litestar
from sqlalchemy import text

from compound.agents.runtime import service as runs
from compound.platform.auth import service as auth
from compound.platform.auth.actor import Actor
from compound.platform.config import Settings
from compound.platform.database import Database
from compound.platform.email import processing
from tests.agent_driver import drive
from tests.conftest import EmbeddedServer

PASSWORD = "correct horse battery"
ROLES = ("admin", "member", "viewer")
SETUP = Actor.system("tests")
CSRF_FIELD = re.compile(r'name="csrf" value="([^"]+)"')
SLIDING_COLUMNS = {"web_session": ("last_seen_at", "expires_at")}
"""Columns a refused request may touch without writing anything: a session in use slides."""


def email_of(role: str) -> str:
    return f"{role}@site.example"


@dataclass
class Browser:
    """A cookie-keeping client of the site, signed in as `role` (or nobody)."""

    client: httpx.AsyncClient
    role: str | None = None
    csrf: str = ""

    @property
    def session_cookie(self) -> str | None:
        return self.client.cookies.get("compound_session")


@dataclass
class Site:
    """Compound on a database of its own (migrated, committed, shared by one test module):
    the app in-process over ASGI, one user per role, and API tokens of each kind."""

    database: Database
    app: Litestar
    settings: Settings
    tokens: dict[str, str] = field(default_factory=dict)
    opened: list[httpx.AsyncClient] = field(default_factory=list)

    def browser(self) -> Browser:
        client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self.app), base_url="http://compound.test"
        )
        self.opened.append(client)
        return Browser(client)

    async def signed_in(self, role: str) -> Browser:
        """A fresh browser signed in through the sign-in page, with its session's CSRF token."""
        browser = self.browser()
        response = await sign_in(browser.client, email_of(role), PASSWORD)
        assert response.status_code == 303, response.text
        browser.role = role
        browser.csrf = await csrf_of(browser.client)
        return browser

    async def graphql(
        self, token: str | None, query: str, variables: dict[str, Any] | None = None
    ) -> httpx.Response:
        browser = self.browser()
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return await browser.client.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
        )

    async def execute(
        self, query: str, variables: dict[str, Any] | None = None, *, token: str | None = None
    ) -> dict[str, Any]:
        """A GraphQL document that must succeed (as the admin's token unless told)."""
        response = await self.graphql(token or self.tokens["admin"], query, variables)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        assert "errors" not in body, body
        return body["data"]  # type: ignore[no-any-return]

    async def ingest(self, raw: bytes, token: str | None = None) -> uuid.UUID:
        """Mail in through POST /ingest/email, then processed as the worker's job does."""
        browser = self.browser()
        response = await browser.client.post(
            "/ingest/email",
            content=raw,
            headers={
                "Authorization": f"Bearer {token or self.tokens['ingest']}",
                "Content-Type": "message/rfc822",
            },
        )
        assert response.status_code == 202, response.text
        message_id = uuid.UUID(response.json()["id"])
        async with self.database.session() as session:
            await processing.process_message(session, message_id, settings=self.settings)
        return message_id

    async def drive(self) -> None:
        """Advance every due agent run, as the worker would."""
        async with self.database.sessionmaker() as session:
            await drive(session)

    async def digest(self) -> dict[str, str]:
        """Per table, its row count and a hash of every row: equal digests, nothing written."""
        async with self.database.engine.connect() as connection:
            tables = (
                await connection.execute(
                    text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
                )
            ).scalars()
            digest = {}
            for table in sorted(tables):
                ignored = "".join(f" - '{column}'" for column in SLIDING_COLUMNS.get(table, ()))
                row = (
                    await connection.execute(
                        text(
                            f"SELECT count(*) || ':' || md5(coalesce(string_agg(r, '|' ORDER BY r),"
                            f" '')) FROM (SELECT (to_jsonb(t){ignored})::text AS r "
                            f'FROM "{table}" t) rows'
                        )
                    )
                ).scalar_one()
                digest[table] = row
            return digest

    async def rows_containing(self, secret: str) -> list[str]:
        """Every table whose rows, as text, contain `secret` anywhere."""
        async with self.database.engine.connect() as connection:
            tables = (
                await connection.execute(
                    text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
                )
            ).scalars()
            found = []
            for table in sorted(tables):
                hits = (
                    await connection.execute(
                        text(
                            f'SELECT count(*) FROM "{table}" t WHERE strpos(t::text, :secret) > 0'
                        ),
                        {"secret": secret},
                    )
                ).scalar_one()
                if hits:
                    found.append(table)
            return found

    async def close(self) -> None:
        for client in self.opened:
            await client.aclose()
        await self.database.dispose()


async def open_site(embedded_server: EmbeddedServer, name: str, **settings: Any) -> Site:
    """A Site on a new database `name` of the test session's Postgres."""
    from compound.web.app import create_app

    url = embedded_server.database_url(f"{name}_{uuid.uuid4().hex[:6]}")
    database = Database.connect(url, pool_size=4)
    # These tests send hundreds of requests with one token: the rate limit is not theirs.
    unlimited = {"api_requests_per_second": 100_000, "api_request_burst": 100_000}
    configured = Settings(  # type: ignore[call-arg]
        _env_file=None,
        **{key: value for key, value in unlimited.items() if key in Settings.model_fields},
        **settings,
    )
    site = Site(database, create_app(settings=configured, database=database), configured)
    async with database.session() as session:
        for role in ROLES:
            await auth.create_user(
                session, SETUP, email=email_of(role), role=role, password=PASSWORD
            )
        kinds = {
            "admin": ("admin", ["read", "write"]),
            "member": ("member", ["read", "write"]),
            "viewer": ("viewer", ["read", "write", "ingest"]),
            "read_only": ("member", ["read"]),
            "ingest": ("admin", ["ingest"]),
        }
        for kind, (role, scopes) in kinds.items():
            _, secret = await auth.create_token(
                session, SETUP, user_email=email_of(role), scopes=scopes, name=kind
            )
            site.tokens[kind] = secret
    return site


async def sign_in(
    client: httpx.AsyncClient, email: str, password: str, *, next_path: str = "/inbox"
) -> httpx.Response:
    """As a browser does: the form first (its CSRF token and cookie), then the post."""
    form = await client.get("/sign-in")
    match = CSRF_FIELD.search(form.text)
    assert match is not None, form.text
    return await client.post(
        "/sign-in",
        data={"email": email, "password": password, "next": next_path, "csrf": match.group(1)},
    )


async def csrf_of(client: httpx.AsyncClient) -> str:
    """The CSRF token the signed-in session's pages carry (the header's sign-out form)."""
    page = await client.get("/inbox")
    assert page.status_code == 200, page.text
    match = CSRF_FIELD.search(page.text)
    assert match is not None, page.text
    return match.group(1)


def mail(subject: str = "Hello", *, sender: str = "Ana <ana@outside.example>") -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "hello@compound.localhost"
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain="outside.example")
    message.set_content("Could we see a demo?\n")
    return message.as_bytes()


# --- every form and what it needs --------------------------------------------------------

Fields = dict[str, str | list[str]]


@dataclass(frozen=True)
class Form:
    route: str
    """The path as the app declares it."""
    prepare: Callable[[Site], Awaitable[tuple[str, Fields]]]
    """Makes what the form acts on; returns the URL and a form that, with the right token,
    does write."""


async def _waiting_item(site: Site) -> uuid.UUID:
    from tests.runtime_agents import PLANNER

    async with site.database.session() as session:
        run = await runs.start_run(session, SETUP, PLANNER, {"question": "Same company?"})
    await site.drive()
    async with site.database.session() as session:
        item_id = await session.scalar(
            text("SELECT id FROM inbox_item WHERE run_id = :run"), {"run": run.id}
        )
    assert item_id is not None
    return uuid.UUID(str(item_id))


async def _company(site: Site, name: str | None = None) -> str:
    data = await site.execute(
        "mutation($input: CreateCompanyInput!) { createCompany(input: $input) "
        "{ company { id } userErrors { message } } }",
        {"input": {"name": name or f"Target {uuid.uuid4().hex[:8]}"}},
    )
    return str(data["createCompany"]["company"]["id"])


async def _person(site: Site) -> str:
    data = await site.execute(
        "mutation($input: CreatePersonInput!) { createPerson(input: $input) "
        "{ person { id } userErrors { message } } }",
        {
            "input": {
                "name": "Target Person",
                "emails": [f"target-{uuid.uuid4().hex[:8]}@people.example"],
            }
        },
    )
    return str(data["createPerson"]["person"]["id"])


async def _lead(site: Site, status: str) -> uuid.UUID:
    from compound.modules.leads import service as leads
    from compound.modules.leads.models import LeadStatus
    from compound.platform.records import people

    company_id = uuid.UUID(await _company(site))
    async with site.database.session() as session:
        await people.create_person(
            session,
            SETUP,
            name="Maya Ortiz",
            emails=[f"maya-{uuid.uuid4().hex[:8]}@lead.example"],
            company_id=company_id,
            compute_embedding=False,
        )
        lead = await leads.create_lead(
            session,
            SETUP,
            company_id=company_id,
            score=80,
            rationale="fits",
            status=LeadStatus(status),
        )
    return lead.id


async def sign_out_form(site: Site) -> tuple[str, Fields]:
    return "/sign-out", {}


async def decide_form(site: Site) -> tuple[str, Fields]:
    return f"/inbox/items/{await _waiting_item(site)}/decide", {"action": "answer", "answer": "no"}


async def decide_many_form(site: Site) -> tuple[str, Fields]:
    return "/inbox/decide-many", {"action": "dismiss", "items": [str(await _waiting_item(site))]}


async def edit_company_form(site: Site) -> tuple[str, Fields]:
    return f"/companies/{await _company(site)}/edit", {"name": f"Renamed {uuid.uuid4().hex[:8]}"}


async def merge_form(site: Site) -> tuple[str, Fields]:
    return "/companies/merge", {"keep_id": await _company(site), "merge_id": await _company(site)}


async def edit_person_form(site: Site) -> tuple[str, Fields]:
    return f"/people/{await _person(site)}/edit", {"name": "Renamed Person"}


async def undo_form(site: Site) -> tuple[str, Fields]:
    from tests.runtime_agents import PLANNER

    name = f"Undoable {uuid.uuid4().hex[:8]}"
    async with site.database.session() as session:
        run = await runs.start_run(
            session, SETUP, PLANNER, {"steps": [["add_company", {"name": name}]]}
        )
    await site.drive()
    return f"/runs/{run.id}/undo", {}


async def reprocess_form(site: Site) -> tuple[str, Fields]:
    message_id = await site.ingest(mail(f"Reprocess me {uuid.uuid4().hex[:8]}"))
    async with site.database.session() as session:
        conversation = await session.scalar(
            text("SELECT conversation_id FROM message WHERE id = :id"), {"id": message_id}
        )
    return f"/conversations/{conversation}/messages/{message_id}/reprocess", {}


async def create_token_form(site: Site) -> tuple[str, Fields]:
    return "/settings/tokens", {"name": "made by a form", "scopes": ["read"]}


async def revoke_token_form(site: Site) -> tuple[str, Fields]:
    async with site.database.session() as session:
        token, _ = await auth.create_token(
            session, SETUP, user_email=email_of("admin"), scopes=["read"], name="to revoke"
        )
    return "/settings/tokens/revoke", {"token": str(token.id)}


async def create_user_form(site: Site) -> tuple[str, Fields]:
    return "/settings/users", {
        "email": f"new-{uuid.uuid4().hex[:8]}@site.example",
        "name": "New Person",
        "password": "a long enough password",
        "role": "member",
    }


async def set_role_form(site: Site) -> tuple[str, Fields]:
    async with site.database.session() as session:
        user = await auth.create_user(
            session, SETUP, email=f"role-{uuid.uuid4().hex[:8]}@site.example", role="member"
        )
    return "/settings/users/role", {"user": str(user.id), "role": "viewer"}


async def move_lead_form(site: Site) -> tuple[str, Fields]:
    lead = await _lead(site, "new")
    return f"/leads/{lead}/move", {"to": "researching", "rationale": "worth a look"}


async def outreach_form(site: Site) -> tuple[str, Fields]:
    return f"/leads/{await _lead(site, 'qualified')}/outreach", {}


async def icp_form(site: Site) -> tuple[str, Fields]:
    return "/settings/icp", {
        "description": f"Bakeries {uuid.uuid4().hex[:8]}",
        "sectors": "food",
        "stages": "",
        "regions": "",
        "keywords": "",
        "threshold": "55",
    }


FORMS = [
    Form("/sign-out", sign_out_form),
    Form("/inbox/items/{item_id:uuid}/decide", decide_form),
    Form("/inbox/decide-many", decide_many_form),
    Form("/companies/{company_id:uuid}/edit", edit_company_form),
    Form("/companies/merge", merge_form),
    Form("/people/{person_id:uuid}/edit", edit_person_form),
    Form("/runs/{run_id:uuid}/undo", undo_form),
    Form(
        "/conversations/{conversation_id:str}/messages/{message_id:str}/reprocess",
        reprocess_form,
    ),
    Form("/settings/tokens", create_token_form),
    Form("/settings/tokens/revoke", revoke_token_form),
    Form("/settings/users", create_user_form),
    Form("/settings/users/role", set_role_form),
    Form("/leads/{lead_id:uuid}/move", move_lead_form),
    Form("/leads/{lead_id:uuid}/outreach", outreach_form),
    Form("/settings/icp", icp_form),
]
SIGN_IN = "/sign-in"
"""Checked on its own (there is no session yet: its token is a double-submit cookie)."""
TOKEN_ONLY = {"/graphql", "/ingest/email"}
"""Bearer tokens, never a cookie: a browser cannot be made to send one."""
