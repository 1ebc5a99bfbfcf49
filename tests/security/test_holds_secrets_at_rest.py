"""What holds: secrets at rest. A password set through the users form, the CLI or typed
wrong at sign-in, an API token made on the tokens page or by the CLI and then used over
GraphQL, /ingest/email and SMTP AUTH, and a browser session's cookie: after all of it, no
row of any table — text, JSON or bytes — holds the secret, nor any 12 characters of a random
one (a token's short display prefix is shorter). Passwords are argon2id hashes; tokens and
session cookies are kept as their SHA-256."""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import AsyncIterator
from typing import Any

import aiosmtplib
import httpx
import psycopg
import pytest
from sqlalchemy import text

from compound.platform.embedded_postgres import libpq_url
from tests.conftest import EmbeddedServer, LiveServer
from tests.security.compound_site import CSRF_FIELD, Site, mail, open_site, sign_in
from tests.security.test_holds_smtp_header_injection import listen

WINDOW = 12
SECRET_PATTERN = re.compile(r'id="token-secret-value"[^>]*value="(cpd_[^"]+)"')
COLUMNS = """
SELECT c.table_name, c.column_name, c.data_type FROM information_schema.columns c
JOIN pg_tables t ON t.tablename = c.table_name AND t.schemaname = 'public'
WHERE c.table_schema = 'public'
"""


def needles(secret: str, *, random: bool) -> list[str]:
    """The secret, and for a random one every WINDOW-long piece of it."""
    if not random or len(secret) <= WINDOW:
        return [secret]
    return [secret[start : start + WINDOW] for start in range(len(secret) - WINDOW + 1)]


def holders_sql(columns: list[tuple[str, str, str]], count: int) -> list[tuple[str, str]]:
    """(table, SQL) that counts the rows holding any of `count` needles ($1…) as text, or
    inside any bytes column."""
    tables: dict[str, list[tuple[str, str]]] = {}
    for table, column, kind in columns:
        tables.setdefault(table, []).append((column, kind))
    queries = []
    for table, table_columns in sorted(tables.items()):
        tests = [f"strpos(t::text, %(n{i})s) > 0" for i in range(count)]
        for column, kind in table_columns:
            if kind == "bytea":
                tests += [
                    f"position(convert_to(%(n{i})s, 'UTF8') in t.\"{column}\") > 0"
                    for i in range(count)
                ]
        queries.append((table, f'SELECT count(*) FROM "{table}" t WHERE ' + " OR ".join(tests)))
    return queries


def tables_holding(database_url: str, secret: str, *, random: bool) -> list[str]:
    pieces = needles(secret, random=random)
    parameters = {f"n{i}": piece for i, piece in enumerate(pieces)}
    with psycopg.connect(libpq_url(database_url), autocommit=True) as connection:
        columns: list[Any] = connection.execute(COLUMNS).fetchall()
        return [
            table
            for table, sql in holders_sql(columns, len(pieces))
            if connection.execute(sql, parameters).fetchone()[0]  # type: ignore[index]
        ]


def url_of(site: Site) -> str:
    return site.database.engine.url.render_as_string(hide_password=False)


@pytest.fixture(scope="module")
async def site(embedded_server: EmbeddedServer) -> AsyncIterator[Site]:
    opened = await open_site(embedded_server, "holds_secrets")
    yield opened
    await opened.close()


async def test_no_secret_used_through_the_app_is_kept(site: Site) -> None:
    password = f"pw-{uuid.uuid4().hex}-keeper"
    wrong = f"wrong-{uuid.uuid4().hex}-typed"
    email = f"keeper-{uuid.uuid4().hex[:8]}@compound.localhost"
    admin = await site.signed_in("admin")
    added = await admin.client.post(
        "/settings/users",
        data={
            "csrf": admin.csrf,
            "email": email,
            "name": "Keeper",
            "password": password,
            "role": "member",
        },
    )
    assert added.status_code == 303, added.text
    refused = await sign_in(site.browser().client, email, wrong)
    assert refused.status_code == 401

    keeper = site.browser()
    signed = await sign_in(keeper.client, email, password)
    assert signed.status_code == 303, signed.text
    cookie = keeper.session_cookie
    assert cookie is not None
    page = await keeper.client.get("/settings/tokens")
    csrf = CSRF_FIELD.search(page.text)
    assert csrf is not None
    created = await keeper.client.post(
        "/settings/tokens",
        data={"csrf": csrf.group(1), "name": "keeper's", "scopes": ["read", "ingest"]},
    )
    token_match = SECRET_PATTERN.search(created.text)
    assert token_match is not None, created.text
    token = token_match.group(1)

    # The token and the password at work: GraphQL, HTTP ingest, SMTP AUTH with either.
    assert (await site.graphql(token, "{ icp { threshold } }")).status_code == 200
    await site.ingest(mail("ingested with a token"), token=token)
    server, port = await listen(site)
    try:
        for login, secret in ((email, password), ("token", token)):
            await aiosmtplib.send(
                mail(f"over SMTP {uuid.uuid4().hex[:6]}", sender=email),
                sender=email,
                recipients=["hello@compound.localhost"],
                hostname="127.0.0.1",
                port=port,
                username=login,
                password=secret,
                start_tls=False,
                timeout=30,
            )
    finally:
        server.close()
        await server.wait_closed()

    database_url = url_of(site)
    assert tables_holding(database_url, password, random=False) == []
    assert tables_holding(database_url, wrong, random=False) == []
    assert tables_holding(database_url, token, random=True) == []
    assert tables_holding(database_url, cookie, random=True) == []
    # The check finds what is there: the address is in the user's row.
    assert "user" in tables_holding(database_url, email, random=False)

    async with site.database.engine.connect() as connection:
        password_hash = await connection.scalar(
            text('SELECT password_hash FROM "user" WHERE email = :email'), {"email": email}
        )
        token_hashes = set(
            (await connection.execute(text("SELECT token_hash FROM api_token"))).scalars()
        )
        session_hashes = set(
            (await connection.execute(text("SELECT token_hash FROM web_session"))).scalars()
        )
    assert str(password_hash).startswith("$argon2id$")
    assert hashlib.sha256(token.encode()).hexdigest() in token_hashes
    assert hashlib.sha256(cookie.encode()).hexdigest() in session_hashes


def test_no_secret_given_to_the_cli_or_a_real_sign_in_is_kept(live_server: LiveServer) -> None:
    password = f"cli-{uuid.uuid4().hex}-password"
    email = f"cli-{uuid.uuid4().hex[:8]}@site.example"
    live_server.cli(
        "user", "create", "--email", email, "--role", "member", "--password-stdin", stdin=password
    )
    made = live_server.cli("token", "create", "--user", email, "--scopes", "read,ingest")
    token = made.stdout.strip().splitlines()[-1]
    assert token.startswith("cpd_"), made.stdout
    with httpx.Client(base_url=live_server.url, timeout=30) as client:
        form = client.get("/sign-in")
        csrf = CSRF_FIELD.search(form.text)
        assert csrf is not None
        signed = client.post(
            "/sign-in",
            data={"email": email, "password": password, "next": "/", "csrf": csrf.group(1)},
        )
        assert signed.status_code == 303, signed.text
        cookie = client.cookies.get("compound_session")
        used = client.post(
            "/graphql",
            json={"query": "{ icp { threshold } }"},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert used.status_code == 200, used.text
    assert cookie is not None
    assert tables_holding(live_server.database_url, password, random=False) == []
    assert tables_holding(live_server.database_url, token, random=True) == []
    assert tables_holding(live_server.database_url, cookie, random=True) == []
    assert "user" in tables_holding(live_server.database_url, email, random=False)
