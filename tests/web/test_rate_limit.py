"""The rate limit per API token on /graphql and /ingest/email: HTTP 429 with Retry-After and
the limit named, per token, before the token is looked up."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from compound.platform.config import Settings
from compound.platform.database import Database
from tests.conftest import Tokens

RAW = b"From: ana@acme.example\r\nTo: hello@compound.localhost\r\nSubject: Hi\r\n\r\nHello\r\n"


@pytest.fixture
async def strict_client(test_database: Database) -> AsyncIterator[httpx.AsyncClient]:
    """The app with a limit the test reaches however slow the machine: bursts of 2, then one
    request every 100 s."""
    from compound.web.app import create_app

    settings = Settings(_env_file=None, api_requests_per_second=0.01, api_request_burst=2)  # type: ignore[call-arg]
    app = create_app(settings=settings, database=test_database)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://compound.test") as client:
        yield client


async def ask(client: httpx.AsyncClient, token: str) -> httpx.Response:
    return await client.post(
        "/graphql",
        json={"query": "{ companies(first: 1) { totalCount } }"},
        headers={"Authorization": f"Bearer {token}"},
    )


async def test_over_the_burst_is_429_with_retry_after_and_the_limit_named(
    strict_client: httpx.AsyncClient, tokens: Tokens
) -> None:
    first, second, third = [await ask(strict_client, tokens.member) for _ in range(3)]
    assert (first.status_code, second.status_code) == (200, 200)
    assert third.status_code == 429
    assert third.headers["retry-after"] == "100"
    detail = third.json()["detail"]
    assert "0.01 requests per second" in detail
    assert "bursts of up to 2" in detail
    assert "COMPOUND_API_REQUESTS_PER_SECOND" in detail


async def test_each_token_has_its_own_limit(
    strict_client: httpx.AsyncClient, tokens: Tokens
) -> None:
    for _ in range(3):
        await ask(strict_client, tokens.member)
    assert (await ask(strict_client, tokens.member)).status_code == 429
    assert (await ask(strict_client, tokens.admin)).status_code == 200


async def test_a_request_without_a_token_still_gets_its_401(
    strict_client: httpx.AsyncClient,
) -> None:
    for _ in range(4):
        response = await strict_client.post("/graphql", json={"query": "{ __typename }"})
        assert response.status_code == 401


async def test_ingest_is_limited_per_token_too(
    strict_client: httpx.AsyncClient, tokens: Tokens
) -> None:
    headers = {"Authorization": f"Bearer {tokens.ingest_only}", "Content-Type": "message/rfc822"}
    statuses = [
        (await strict_client.post("/ingest/email", content=RAW, headers=headers)).status_code
        for _ in range(3)
    ]
    assert statuses[:2] == [202, 200]  # stored, then the same message again
    assert statuses[2] == 429
