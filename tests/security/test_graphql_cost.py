"""Issue 13, finding 4: no GraphQL cost limit. Tried as the audit tried it, over HTTP with
a viewer's token: 15 aliases of `companies(first: 100) { … people { company { … people {
company { … } } } } }` (8.9 s, 21.5 MB; four at once took 41 s each and `/health` up to
11.3 s), and 15 aliases of `message { parts }` on a 100,000-part message (29 s). Now: the
first is refused before any resolver runs, with its cost and the limit; nested lists are
capped; the parts are parsed once per request and only as far as the ones shown; and a
token that floods the API gets HTTP 429 with Retry-After."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession

from compound.platform.email.structure import MAX_PARTS, parse_structure
from compound.platform.records.listed import NOTES_LISTED, PEOPLE_LISTED
from tests.conftest import GraphQLClient, LiveServer, Tokens
from tests.factories import make_company, make_note, make_person

DEFAULT_MAX_COST = 50_000
AUDIT_ONE = (
    "companies(first: 100) { edges { node { id name timeline { summary } notes { body } "
    "people { name company { name timeline { summary } people { name company { name "
    "timeline { summary } notes { body } } } } } } } }"
)
AUDIT_QUERY = "{ " + " ".join(f"a{index}: {AUDIT_ONE}" for index in range(15)) + " }"
PARTS_QUERY = (
    "query($id: ID!) { "
    + " ".join(
        f"m{index}: message(id: $id) {{ parts {{ path contentType size }} }}" for index in range(15)
    )
    + " }"
)
# What an integration asks (the README's example, without the semantic search).
NORMAL_QUERY = """{ companies(first: 20, orderBy: {field: NAME, direction: ASC}) {
  totalCount
  edges { cursor node { id name domain people { name emails } notes { body }
                        timeline { summary actor } } }
  pageInfo { hasNextPage endCursor } } }"""


@contextmanager
def statements_on(session_connection: Any) -> Iterator[list[str]]:
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        seen.append(statement)

    event.listen(session_connection, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(session_connection, "before_cursor_execute", record)


async def seed_demo_like(session: AsyncSession) -> None:
    """A few companies with people and notes, as the demo data has them."""
    for index in range(5):
        company = await make_company(session, name=f"Audit Co {index}")
        for _ in range(3):
            await make_person(session, company=company)
        await make_note(session, company=company)
    await session.commit()


def refusal(body: dict[str, Any]) -> dict[str, Any]:
    assert body["data"] is None, body
    error: dict[str, Any] = body["errors"][0]
    assert error["extensions"]["code"] == "QUERY_TOO_COSTLY", error
    return error


def many_part_message(parts: int, *, filler_headers: int = 0) -> bytes:
    filler = "".join(f"X-Filler-{index}: v\r\n" for index in range(filler_headers))
    head = (
        "From: bulk@outside.example\r\nTo: hello@compound.localhost\r\n"
        f"Subject: {parts} parts\r\nMessage-ID: <parts-{uuid.uuid4().hex}@outside.example>\r\n"
        f"{filler}"
        'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="b"\r\n\r\n'
    ).encode()
    part = (
        b"--b\r\nContent-Type: text/plain\r\n"
        b'Content-Disposition: attachment; filename="p.txt"\r\n\r\nx\r\n'
    )
    return head + part * parts + b"--b--\r\n"


# --- the audit's query -----------------------------------------------------------------


async def test_the_audits_query_is_refused_with_its_cost_and_the_limit_before_any_resolver(
    graphql: GraphQLClient, tokens: Tokens, session: AsyncSession
) -> None:
    await seed_demo_like(session)
    assert len(AUDIT_QUERY.encode()) < 3500  # inside every other limit, as the audit's was
    viewer = graphql.as_token(tokens.viewer)
    connection = (await session.connection()).sync_connection
    with statements_on(connection) as statements:
        response = await viewer.post(AUDIT_QUERY)
    assert response.status_code == 200
    error = refusal(response.json())
    cost, limit = error["extensions"]["cost"], error["extensions"]["maxCost"]
    assert limit == DEFAULT_MAX_COST
    assert cost > 1_000_000_000
    assert f"query cost {cost} exceeds the limit of {limit}" in error["message"]
    assert "COMPOUND_GRAPHQL_MAX_COST" in error["message"]
    # Only the token was looked up: no resolver read a company, a person or a note.
    touched = [sql for sql in statements if any(t in sql for t in ("company", "person", "note"))]
    assert touched == []


async def test_a_normal_query_still_works(
    graphql: GraphQLClient, tokens: Tokens, session: AsyncSession
) -> None:
    await seed_demo_like(session)
    body = await graphql.as_token(tokens.viewer).execute(NORMAL_QUERY)
    assert "errors" not in body, body
    edges = body["data"]["companies"]["edges"]
    audit_companies = [edge["node"] for edge in edges if edge["node"]["name"].startswith("Audit")]
    assert len(audit_companies) == 5
    assert all(len(node["people"]) == 3 for node in audit_companies)


async def test_variables_and_fragments_do_not_hide_the_cost(
    graphql: GraphQLClient, tokens: Tokens
) -> None:
    hidden = """
      query($n: Int) { a: companies(first: $n) { ...Deep } b: companies(first: $n) { ...Deep } }
      fragment Deep on CompanyConnection { edges { node { people { company { ...Wide } } } } }
      fragment Wide on Company { people { name } notes { body } timeline { summary } }
    """
    viewer = graphql.as_token(tokens.viewer)
    refused = refusal(await viewer.execute(hidden, {"n": 100}))
    assert refused["extensions"]["cost"] > DEFAULT_MAX_COST
    # The same document is affordable when the variable asks for no company at all: the
    # cost is the variables', not the document's alone.
    empty = await viewer.execute(hidden, {"n": 0})
    assert "errors" not in empty, empty
    assert empty["data"]["a"]["edges"] == []


async def test_nested_lists_are_capped(graphql: GraphQLClient, session: AsyncSession) -> None:
    company = await make_company(session, name="Crowded Co")
    for index in range(PEOPLE_LISTED + 1):
        await make_person(session, name=f"Member {index:03d}", company=company)
    for index in range(NOTES_LISTED + 1):
        await make_note(session, company=company, body=f"note {index:03d}")
    await session.commit()
    body = await graphql.execute(
        "query($id: ID!) { company(id: $id) { people { name } notes { body } } }",
        {"id": str(company.id)},
    )
    people, notes = body["data"]["company"]["people"], body["data"]["company"]["notes"]
    assert len(people) == PEOPLE_LISTED
    assert people[0]["name"] == "Member 000"
    assert len(notes) == NOTES_LISTED
    assert [notes[0]["body"], notes[-1]["body"]] == ["note 001", f"note {NOTES_LISTED:03d}"]


# --- message { parts } ------------------------------------------------------------------


async def test_fifteen_aliases_of_parts_on_a_100k_part_message_parse_it_once(
    graphql: GraphQLClient,
    web_client: httpx.AsyncClient,
    tokens: Tokens,
) -> None:
    # The audit's 100,000 parts (11 MB), under 100,000 header lines that make even the
    # first parts slow to parse: 15 parses of it would show.
    raw = many_part_message(100_000, filler_headers=100_000)
    started = time.perf_counter()
    parse_structure(raw)
    one_parse = time.perf_counter() - started
    stored = await web_client.post(
        "/ingest/email",
        content=raw,
        headers={"Authorization": f"Bearer {tokens.ingest_only}", "Content-Type": "message/rfc822"},
    )
    assert stored.status_code == 202, stored.text
    started = time.perf_counter()
    body = await graphql.as_token(tokens.viewer).execute(PARTS_QUERY, {"id": stored.json()["id"]})
    elapsed = time.perf_counter() - started
    assert "errors" not in body, str(body)[:500]
    answers = [body["data"][f"m{index}"]["parts"] for index in range(15)]
    assert all(parts == answers[0] for parts in answers)
    assert len(answers[0]) == MAX_PARTS
    assert answers[0][1] == {"path": "1", "contentType": "text/plain", "size": 1}
    # Parsed once for the 15 aliases (15 parses would take 15 × one_parse), and only as
    # far as the parts shown: the audit's request took 29 s.
    assert elapsed < 1.0 + 5 * one_parse
    assert elapsed < 10


# --- against a real server --------------------------------------------------------------


def viewer_token(live_server: LiveServer) -> str:
    email = f"cost-{uuid.uuid4().hex[:8]}@example.com"
    live_server.cli("user", "create", "--email", email, "--role", "viewer")
    created = live_server.cli("token", "create", "--user", email, "--scopes", "read")
    token = created.stdout.strip().splitlines()[-1]
    assert token.startswith("cpd_")
    return token


async def post_query(
    client: httpx.AsyncClient, live_server: LiveServer, token: str, query: str
) -> tuple[float, httpx.Response]:
    started = time.perf_counter()
    response = await client.post(
        f"{live_server.url}/graphql",
        json={"query": query},
        headers={"Authorization": f"Bearer {token}"},
    )
    return time.perf_counter() - started, response


async def test_four_costly_queries_at_once_are_refused_and_health_stays_quick(
    live_server: LiveServer,
) -> None:
    token = viewer_token(live_server)
    health: list[float] = []
    stop = asyncio.Event()

    async def probe(client: httpx.AsyncClient) -> None:
        while not stop.is_set():
            started = time.perf_counter()
            assert (await client.get(f"{live_server.url}/health")).status_code == 200
            health.append(time.perf_counter() - started)
            await asyncio.sleep(0.05)

    async with httpx.AsyncClient(timeout=60) as client:
        prober = asyncio.create_task(probe(client))
        await asyncio.sleep(0.2)
        answers = await asyncio.gather(
            *(post_query(client, live_server, token, AUDIT_QUERY) for _ in range(4))
        )
        stop.set()
        await prober
        for elapsed, response in answers:
            assert response.status_code == 200
            refusal(response.json())
            assert elapsed < 5  # the audit: 41 s each
        assert max(health) < 1.0  # the audit: up to 11.3 s
        _, normal = await post_query(client, live_server, token, NORMAL_QUERY)
        assert normal.status_code == 200
        assert "errors" not in normal.json()


async def test_a_token_that_floods_the_api_gets_429_with_retry_after(
    live_server: LiveServer,
) -> None:
    flooder, bystander = viewer_token(live_server), viewer_token(live_server)
    small = "{ companies(first: 1) { totalCount } }"
    limited: httpx.Response | None = None
    async with httpx.AsyncClient(timeout=60) as client:
        # Defaults: 20 requests a second, bursts of 60. A hundred at once is well above it.
        for _ in range(6):
            wave = await asyncio.gather(
                *(post_query(client, live_server, flooder, small) for _ in range(100))
            )
            refused = [response for _, response in wave if response.status_code == 429]
            assert all(response.status_code in (200, 429) for _, response in wave)
            if refused:
                limited = refused[0]
                break
        assert limited is not None, "100 requests at once were never limited"
        retry_after = int(limited.headers["retry-after"])
        assert retry_after >= 1
        detail = limited.json()["detail"]
        assert "rate limit exceeded" in detail
        assert "20 requests per second" in detail
        assert "bursts of up to 60" in detail
        # Another token is not slowed by this one.
        _, other = await post_query(client, live_server, bystander, small)
        assert other.status_code == 200
        # Once the wait is over, the flooder is served again.
        await asyncio.sleep(retry_after)
        _, later = await post_query(client, live_server, flooder, small)
        assert later.status_code == 200
        assert "errors" not in later.json()
