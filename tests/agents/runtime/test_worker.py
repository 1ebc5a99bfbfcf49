"""Runs through a real `compound worker` process: a fan-out of children as parallel jobs,
joined by their parent, on a database of its own."""

from __future__ import annotations

import asyncio
import os
import subprocess
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import IO

import pytest
from sqlalchemy import func, select
from sqlmodel import col

from compound.agents.runtime import service as runs
from compound.agents.runtime.models import AgentRun
from compound.platform.auth.actor import Actor
from compound.platform.database import Database
from compound.platform.records.models import Company
from tests.conftest import REPOSITORY_ROOT, EmbeddedServer, compound_command
from tests.platform.queue.test_queue import stop
from tests.runtime_agents import PLANNER


@pytest.fixture(scope="module")
async def agents_database(embedded_server: EmbeddedServer) -> AsyncIterator[tuple[Database, str]]:
    url = embedded_server.database_url("compound_agents")
    database = Database.connect(url, pool_size=2)
    yield database, url
    await database.dispose()


@dataclass
class Worker:
    process: subprocess.Popen[str]
    log: IO[str]

    def output(self) -> str:
        self.log.seek(0)
        return self.log.read()[-3000:]


@pytest.fixture
def worker(agents_database: tuple[Database, str]) -> Iterator[Worker]:
    with tempfile.NamedTemporaryFile("w+", prefix="cpd-worker-", suffix=".log") as log:
        process = subprocess.Popen(
            compound_command("worker", "--threads", "4", "--import", "tests.runtime_agents"),
            env={**os.environ, "COMPOUND_DATABASE_URL": agents_database[1]},
            cwd=REPOSITORY_ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        yield Worker(process, log)
        stop(process)


async def test_a_worker_runs_fifty_children_in_parallel_and_joins_them(
    agents_database: tuple[Database, str], worker: Worker
) -> None:
    database = agents_database[0]
    batch = uuid.uuid4().hex[:6]
    names = [f"Worker {batch} {index}" for index in range(50)]
    async with database.session() as session:
        parent = await runs.start_run(session, Actor.system("tests"), PLANNER, {"children": names})
    deadline = time.monotonic() + 90
    while True:
        async with database.session() as session:
            state = await session.scalar(
                select(AgentRun.state).where(col(AgentRun.id) == parent.id)  # type: ignore[call-overload]
            )
        if state in ("done", "failed") or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.1)
    async with database.session() as session:
        root = await session.get(AgentRun, parent.id)
        assert root is not None
        assert (root.state, root.children_finished) == ("done", 50), worker.output()
        assert root.output is not None and root.output["children_done"] == 50
        created = await session.scalar(
            select(func.count())
            .select_from(Company)
            .where(col(Company.name).startswith(f"Worker {batch} "))
        )
        assert created == 50
