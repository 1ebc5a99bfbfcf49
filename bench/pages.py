"""Benchmark: server time of the web UI's pages, through `compound serve` over loopback.

Setup: a signed-in member (a real session cookie from the sign-in service), 500 open
Inbox items (50 tasks of 10: exceptions, questions with choices, approvals with
arguments; half the tasks with a lead-import ledger line), and a company with people,
notes, tasks and 200 timeline entries. Each page is fetched `--requests` times, one at a
time after a warm-up. Figures: p50/p95 milliseconds per page (target p95 ≤ 100 ms) and
each page's size."""

from __future__ import annotations

import argparse
import asyncio
import http.client
import secrets
import sys
import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from graphql_read import free_port, start_server, stop_server, wait_for_health  # bench/
from harness import percentile, run_bench, say  # bench/harness.py

from compound.agents.inbox.items import Evidence, open_item
from compound.agents.inbox.models import ItemKind
from compound.agents.runtime.models import AgentRun
from compound.modules.leads.imports import open_ledger
from compound.modules.leads.models import ImportSource
from compound.platform import migrations
from compound.platform.auth import service as auth
from compound.platform.auth import sessions
from compound.platform.auth.actor import Actor
from compound.platform.database import Database
from compound.platform.embedded_postgres import start_embedded_postgres
from compound.platform.pages import SESSION_COOKIE
from compound.platform.records import companies, notes, people, tasks

TARGET_P95_MS = 100.0
TIMELINE_ENTRIES = 200
WARM_UP_SECONDS = 15.0
COOKIE = SESSION_COOKIE
PASSWORD = secrets.token_urlsafe(16)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tasks", type=int, default=50, help="root runs with open items")
    parser.add_argument("--items", type=int, default=10, help="open items per task")
    parser.add_argument("--requests", type=int, default=200, help="measured page loads")
    parser.add_argument("--time-limit", type=int, default=600, help="abort after seconds")
    parser.add_argument("--keep-data", action="store_true", help="leave the data folder behind")
    return parser.parse_args(argv)


async def seed_company(session: Any, entries: int) -> uuid.UUID:
    """A company with people, notes, tasks and `entries` timeline entries (edits by the
    service, as a busy record collects them)."""
    actor = Actor.system("bench")
    company = await companies.create_company(
        session, actor, name="Benchmark Co", domain="benchmark-co.example", description="Widgets"
    )
    for index in range(5):
        await people.create_person(
            session,
            actor,
            name=f"Person {index}",
            emails=[f"p{index}@benchmark-co.example"],
            company_id=company.id,
            compute_embedding=False,
        )
        await notes.create_note(
            session,
            actor,
            body=f"Call notes {index}: " + "pricing. " * 40,
            company_id=company.id,
            compute_embedding=False,
        )
        await tasks.create_task(session, actor, title=f"Follow up {index}", company_id=company.id)
    made = 15  # the people, notes and tasks above are on its timeline too
    while made < entries:
        await companies.update_company(
            session, actor, company.id, description=f"Widgets, revision {made}"
        )
        made += 1
    return company.id


async def seed(url: str, tasks: int, items: int) -> tuple[str, uuid.UUID]:
    """The open items, a busy company and a signed-in member; returns the session cookie's
    secret and the company's id."""
    database = Database.connect(url, pool_size=1)
    try:
        async with database.session() as session:
            await auth.create_user(
                session,
                Actor.system("bench"),
                email="bench@pages.example",
                role="member",
                password=PASSWORD,
            )
            for task in range(tasks):
                run_id = uuid.uuid4()
                session.add(
                    AgentRun(
                        id=run_id,
                        agent="leads.import_list",
                        title=f"Import companies: cohort {task}",
                        state="done",
                        engine="offline",
                        tier="fast",
                        root_id=run_id,
                        input={},
                        started_by="bench",
                    )
                )
                await session.flush()
                if task % 2 == 0:
                    await open_ledger(
                        session,
                        run_id=run_id,
                        source=ImportSource.TEXT,
                        title=f"cohort {task}",
                        requested_by="bench",
                    )
                for index in range(items):
                    kind = (ItemKind.EXCEPTION, ItemKind.QUESTION, ItemKind.APPROVAL)[index % 3]
                    await open_item(
                        session,
                        kind=kind,
                        run_id=run_id,
                        root_run_id=run_id,
                        title=f"No URL found for Company {task}-{index}: tried 6 domains",
                        explanation="Tried: company.com: no such host; company.io: 404. " * 3,
                        evidence=[Evidence(label="the list", quote="1. Company — widgets. Seed")],
                        proposal=(
                            {"choices": ["Link to Company (company.io)", "Create a new company"]}
                            if kind is ItemKind.QUESTION
                            else {
                                "tool": "send_outreach",
                                "arguments": {"to": "a@b.example", "text": "Hi there. " * 20},
                            }
                            if kind is ItemKind.APPROVAL
                            else None
                        ),
                        step_position=index if kind is not ItemKind.EXCEPTION else None,
                    )
            company_id = await seed_company(session, TIMELINE_ENTRIES)
            signed = await sessions.sign_in(session, "bench@pages.example", PASSWORD)
            return signed.secret, company_id
    finally:
        await database.dispose()


def fetch(port: int, path: str, cookie: str) -> tuple[int, int, float]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        began = time.perf_counter()
        connection.request("GET", path, headers={"Cookie": f"{COOKIE}={cookie}"})
        reply = connection.getresponse()
        body = reply.read()
        return reply.status, len(body), (time.perf_counter() - began) * 1000
    finally:
        connection.close()


def run(args: argparse.Namespace, data_dir: Path) -> dict[str, Any]:
    url = start_embedded_postgres(data_dir / "pgdata", database="bench_pages")
    migrations.upgrade(url)
    cookie, company_id = asyncio.run(seed(url, args.tasks, args.items))
    port = free_port()
    server = start_server(url, data_dir, port, workers=1)
    pages = {"inbox": "/inbox", "company": f"/companies/{company_id}"}
    figures: dict[str, Any] = {"open_items": args.tasks * args.items}
    try:
        wait_for_health(server, port, data_dir / "server.log")
        # Warm-up: templates compiled, plans cached, and the server's background load of
        # the embedding model (it starts with the server) finished.
        deadline = time.monotonic() + WARM_UP_SECONDS
        while time.monotonic() < deadline:
            for path in pages.values():
                status, _, _ = fetch(port, path, cookie)
                if status != 200:
                    raise RuntimeError(f"GET {path} answered {status}")
        for name, path in pages.items():
            measured = [fetch(port, path, cookie) for _ in range(args.requests)]
            latencies = [ms for _, _, ms in measured]
            figures[f"{name}_p50_ms"] = round(percentile(latencies, 50), 1)
            figures[f"{name}_p95_ms"] = round(percentile(latencies, 95), 1)
            figures[f"{name}_kib"] = round(measured[-1][1] / 1024)
    finally:
        stop_server(server)
    say(f"inbox: {figures['open_items']} open items; company: {TIMELINE_ENTRIES} timeline entries")
    figures["timeline_entries"] = TIMELINE_ENTRIES
    figures["target_p95_ms"] = TARGET_P95_MS
    return figures


def main(argv: Sequence[str] | None = None) -> int:
    return run_bench(run, parse_args(argv), prefix="bp-")


if __name__ == "__main__":
    sys.exit(main())
