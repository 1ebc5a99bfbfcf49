"""`POST /ingest/email`: raw MIME in over HTTP, kept once with its job, for `ingest` tokens."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import httpx
import psycopg
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from compound.platform.config import Settings
from compound.platform.database import Database
from compound.platform.email.models import Message
from compound.platform.embedded_postgres import libpq_url
from compound.platform.queue.models import Job
from compound.web.app import create_app
from tests.conftest import LiveServer, Tokens, free_port
from tests.web.test_live_server import token_for

MAX_BYTES = 4096
RFC822 = {"Content-Type": "message/rfc822"}


def raw_message(body: bytes = b"Could we get a demo?\r\n") -> bytes:
    return (
        b"From: Ana <ana@acme.example>\r\nTo: hello@compound.localhost\r\n"
        b"Subject: Demo\r\nMessage-ID: <" + uuid.uuid4().hex.encode() + b"@acme.example>\r\n"
        b"\r\n" + body
    )


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
async def client(test_database: Database, tokens: Tokens) -> AsyncIterator[httpx.AsyncClient]:
    settings = Settings(_env_file=None, mail_max_bytes=MAX_BYTES)  # type: ignore[call-arg]
    app = create_app(settings=settings, database=test_database)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://compound.test") as http:
        yield http


async def post(
    client: httpx.AsyncClient, token: str | None, body: bytes, headers: dict[str, str] | None = None
) -> httpx.Response:
    return await client.post(
        "/ingest/email",
        content=body,
        headers={**(bearer(token) if token else {}), **(RFC822 if headers is None else headers)},
    )


async def stored(session: AsyncSession, message_id: str) -> Message:
    row = await session.get(Message, uuid.UUID(message_id))
    assert row is not None
    return row


async def test_a_raw_message_is_stored_with_its_job_and_answered_202(
    client: httpx.AsyncClient, tokens: Tokens, session: AsyncSession
) -> None:
    raw = raw_message()
    response = await post(client, tokens.ingest_only, raw)
    assert response.status_code == 202, response.text
    body = response.json()
    assert body["duplicate"] is False
    message = await stored(session, body["id"])
    assert message.raw == raw
    assert message.channel == "http"
    assert message.state == "received"
    assert message.submitted_by is not None and message.submitted_by.startswith("token:cpd_")
    assert "admin@tests.example" in message.submitted_by
    # A token alone is not a relay: one that names no provider vouches for nobody.
    assert (message.via_trusted_relay, message.trusted_authserv_id) == (False, None)
    jobs = await session.scalar(
        select(func.count())
        .select_from(Job)
        .where(col(Job.actor_name) == "email.process_message")
        .where(col(Job.message)["kwargs"]["message_id"].astext == body["id"])
    )
    assert jobs == 1


async def test_the_same_message_again_is_200_with_the_first_id(
    client: httpx.AsyncClient, tokens: Tokens, session: AsyncSession
) -> None:
    raw = raw_message()
    first = await post(client, tokens.ingest_only, raw)
    again = await post(client, tokens.ingest_only, raw)
    assert first.status_code == 202
    assert again.status_code == 200
    assert again.json() == {"id": first.json()["id"], "duplicate": True}
    count = await session.scalar(
        select(func.count()).select_from(Message).where(col(Message.raw) == raw)
    )
    assert count == 1


async def test_media_type_parameters_are_allowed(client: httpx.AsyncClient, tokens: Tokens) -> None:
    response = await post(
        client,
        tokens.ingest_only,
        raw_message(),
        headers={"Content-Type": "Message/RFC822; charset=utf-8"},
    )
    assert response.status_code == 202, response.text


async def test_without_a_token_it_is_401(client: httpx.AsyncClient) -> None:
    response = await post(client, None, raw_message())
    assert response.status_code == 401
    assert "Bearer" in response.json()["detail"]


async def test_an_unknown_token_is_401(client: httpx.AsyncClient) -> None:
    response = await post(client, "cpd_not-a-real-token", raw_message())
    assert response.status_code == 401
    assert response.json()["detail"] == "invalid API token"


@pytest.mark.parametrize("kind", ["admin", "member", "read_only"])
async def test_a_token_without_the_ingest_scope_is_403(
    client: httpx.AsyncClient, tokens: Tokens, kind: str, session: AsyncSession
) -> None:
    raw = raw_message()
    response = await post(client, getattr(tokens, kind), raw)
    assert response.status_code == 403
    assert "'ingest' scope" in response.json()["detail"]
    count = await session.scalar(
        select(func.count()).select_from(Message).where(col(Message.raw) == raw)
    )
    assert count == 0


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/json", "multipart/form-data; boundary=x", ""]
)
async def test_anything_but_message_rfc822_is_415_naming_it(
    client: httpx.AsyncClient, tokens: Tokens, content_type: str
) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    response = await post(client, tokens.ingest_only, raw_message(), headers=headers)
    assert response.status_code == 415
    assert "message/rfc822" in response.json()["detail"]


async def test_a_body_over_the_limit_is_413(client: httpx.AsyncClient, tokens: Tokens) -> None:
    response = await post(client, tokens.ingest_only, raw_message(b"x" * MAX_BYTES))
    assert response.status_code == 413


async def test_a_streamed_body_over_the_limit_is_413(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    # Chunked, with no Content-Length to refuse up front: the bytes read are counted.
    async def chunks() -> AsyncIterator[bytes]:
        yield raw_message()
        for _ in range(10):
            yield b"y" * 1000

    response = await client.post(
        "/ingest/email", content=chunks(), headers={**bearer(tokens.ingest_only), **RFC822}
    )
    assert response.status_code == 413


@pytest.mark.parametrize("body", [b"", b"\r\n\r\n  \t\r\n"])
async def test_an_empty_message_is_400(
    client: httpx.AsyncClient, tokens: Tokens, body: bytes
) -> None:
    response = await post(client, tokens.ingest_only, body)
    assert response.status_code == 400
    assert response.json()["detail"] == "the message is empty"


@pytest.mark.parametrize(
    "body",
    [
        bytes(range(256)) * 4,
        b"\x00\x00\x00 NUL bytes \x00 and \xff\xfe invalid UTF-8",
        b"Subject: caf\xe9\r\nMessage-ID: <\x00>\r\n\r\nbroken headers\r\n",
        b"no headers, no blank line, just text",
    ],
)
async def test_hostile_bodies_are_kept_raw_for_processing(
    client: httpx.AsyncClient, tokens: Tokens, session: AsyncSession, body: bytes
) -> None:
    response = await post(client, tokens.ingest_only, body)
    assert response.status_code == 202, response.text
    message = await stored(session, response.json()["id"])
    assert message.raw == body
    assert message.state == "received"


async def test_when_the_database_is_down_it_is_503_with_retry_after(tokens: Tokens) -> None:
    nowhere = Database.connect(
        f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/compound", pool_size=1
    )
    app = create_app(settings=Settings(_env_file=None), database=nowhere)  # type: ignore[call-arg]
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://compound.test"
        ) as http:
            response = await post(http, tokens.ingest_only, raw_message())
    finally:
        await nowhere.dispose()
    assert response.status_code == 503
    assert response.headers["retry-after"] == "30"
    assert "try again later" in response.json()["detail"]


async def test_live_server_takes_mail_over_real_http(live_server: LiveServer) -> None:
    token = token_for(live_server, "ingest")
    raw = raw_message(b"over the wire\r\n")
    async with httpx.AsyncClient(base_url=live_server.url, timeout=30) as http:
        response = await http.post(
            "/ingest/email", content=raw, headers={**bearer(token), **RFC822}
        )
        again = await http.post("/ingest/email", content=raw, headers={**bearer(token), **RFC822})
    assert response.status_code == 202, response.text
    assert again.json() == {"id": response.json()["id"], "duplicate": True}
    with psycopg.connect(libpq_url(live_server.database_url)) as connection:
        row = connection.execute(
            "SELECT raw, channel, peer FROM message WHERE id = %s", (response.json()["id"],)
        ).fetchone()
    assert row is not None
    assert bytes(row[0]) == raw
    assert row[1:] == ("http", "127.0.0.1")
