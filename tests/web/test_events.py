"""`/events/inbox` on the running server: committed item changes stream out, rolled-back
ones never do, and the stream needs a token."""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx

from compound.agents.inbox import service as inbox
from compound.agents.inbox.items import open_item
from compound.agents.inbox.models import ItemKind
from compound.agents.runtime import service as runs
from compound.agents.runtime.tasks import advance_run_now
from compound.modules.leads.imports import LedgerLine, Outcome, open_ledger, record_line
from compound.modules.leads.models import ImportSource
from compound.platform.auth.actor import Actor
from compound.platform.database import Database
from tests.conftest import LiveServer
from tests.runtime_agents import PLANNER
from tests.web.test_live_server import token_for


async def events(response: httpx.Response) -> AsyncIterator[tuple[str, dict[str, Any]]]:
    kind, data = "", ""
    async for line in response.aiter_lines():
        if line.startswith("event:"):
            kind = line.partition(":")[2].strip()
        elif line.startswith("data:"):
            data = line.partition(":")[2].strip()
        elif line == "" and kind:
            yield kind, json.loads(data or "{}")
            kind, data = "", ""


async def next_event(
    stream: AsyncIterator[tuple[str, dict[str, Any]]],
) -> tuple[str, dict[str, Any]]:
    return await asyncio.wait_for(anext(stream), timeout=15)


async def test_committed_inbox_changes_stream_out_and_rolled_back_ones_never(
    live_server: LiveServer,
) -> None:
    token = token_for(live_server, "read")
    database = Database.connect(live_server.database_url, pool_size=2)
    actor = Actor.system("tests")
    try:
        async with (
            httpx.AsyncClient(base_url=live_server.url, timeout=30) as client,
            client.stream(
                "GET", "/events/inbox", headers={"Authorization": f"Bearer {token}"}
            ) as response,
        ):
            assert response.status_code == 200
            assert response.headers["content-type"].startswith("text/event-stream")
            stream = events(response)
            assert (await next_event(stream))[0] == "ready"

            async with database.session() as session:
                run = await runs.start_run(session, actor, PLANNER, {"steps": []})
            async with database.sessionmaker() as session:
                await open_item(
                    session,
                    kind=ItemKind.EXCEPTION,
                    run_id=run.id,
                    root_run_id=run.root_id,
                    title="never committed",
                )
                await session.rollback()
            async with database.session() as session:
                item = await open_item(
                    session,
                    kind=ItemKind.EXCEPTION,
                    run_id=run.id,
                    root_run_id=run.root_id,
                    title="No URL found for Foo Labs",
                )
            kind, event = await next_event(stream)
            assert kind == "item_opened"
            assert event["id"] == str(item.id)
            assert (event["title"], event["status"], event["root_run_id"]) == (
                "No URL found for Foo Labs",
                "open",
                str(run.id),
            )

            async with database.session() as session:
                await inbox.decide(session, actor, item.id, inbox.Action.DISMISS)
            kind, event = await next_event(stream)
            assert (kind, event["id"], event["status"]) == (
                "item_decided",
                str(item.id),
                "dismissed",
            )
            assert event["decided_by"] == "system:tests"
    finally:
        await database.dispose()


async def test_the_stream_needs_a_valid_token(live_server: LiveServer) -> None:
    async with httpx.AsyncClient(base_url=live_server.url, timeout=10) as client:
        missing = await client.get("/events/inbox")
        assert missing.status_code == 401
        assert "missing API token" in missing.text
        forged = await client.get(
            "/events/inbox", headers={"Authorization": "Bearer cpd_not-a-real-token"}
        )
        assert forged.status_code == 401
        ingest_only = token_for(live_server, "ingest")
        refused = await client.get(
            "/events/inbox", headers={"Authorization": f"Bearer {ingest_only}"}
        )
        assert refused.status_code == 403


async def signed_in_cookie(live_server: LiveServer, client: httpx.AsyncClient) -> None:
    """Signs a new member in on the running server, leaving the session cookie in `client`."""
    email = f"events-{uuid.uuid4().hex[:8]}@example.com"
    live_server.cli(
        "user",
        "create",
        "--email",
        email,
        "--password-stdin",
        "--role",
        "member",
        stdin="pw-events-1",
    )
    form = await client.get("/sign-in")
    csrf = re.search(r'name="csrf" value="([^"]+)"', form.text)
    assert csrf is not None
    done = await client.post(
        "/sign-in", data={"email": email, "password": "pw-events-1", "csrf": csrf.group(1)}
    )
    assert done.status_code == 303, done.text


async def test_a_signed_in_page_streams_with_its_cookie_and_sees_ledgers_and_runs_move(
    live_server: LiveServer,
) -> None:
    database = Database.connect(live_server.database_url, pool_size=2)
    try:
        async with httpx.AsyncClient(base_url=live_server.url, timeout=30) as client:
            await signed_in_cookie(live_server, client)
            async with database.session() as session:
                run = await runs.start_run(session, Actor.system("tests"), PLANNER, {"steps": []})
                await open_ledger(
                    session,
                    run_id=run.id,
                    source=ImportSource.TEXT,
                    title="Stream test",
                    requested_by="tests",
                )
            async with client.stream("GET", "/events/inbox") as response:
                assert response.status_code == 200
                stream = events(response)
                assert (await next_event(stream))[0] == "ready"
                async with database.session() as session:
                    line = LedgerLine(name="Foo Labs", outcome=Outcome.ADDED)
                    await record_line(session, run.id, line)
                kind, event = await next_event(stream)
                assert (kind, event["id"]) == ("ledger_changed", str(run.id))
                async with database.session() as session:
                    await advance_run_now(session, str(run.id))  # no steps: it finishes
                kind, event = await next_event(stream)
                assert (kind, event["id"], event["state"]) == ("run_finished", str(run.id), "done")
        async with httpx.AsyncClient(base_url=live_server.url, timeout=10) as stranger:
            stranger.cookies.set("compound_session", "not-a-session")
            refused = await stranger.get("/events/inbox")
            assert refused.status_code == 401  # a forged cookie is no one: a token is asked for
    finally:
        await database.dispose()
