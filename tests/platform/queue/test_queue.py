"""The Postgres broker with real `compound worker` processes: transactional enqueue, retries,
dead letters, delays, and a worker killed with SIGKILL mid-job."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import event, text

from compound.platform.database import Database
from compound.platform.errors import ValidationFailed
from compound.platform.queue import service
from compound.platform.queue.models import Job
from tests.conftest import REPOSITORY_ROOT, EmbeddedServer, compound_command

LEASE_SECONDS = "2"


@dataclass
class QueueWorld:
    database: Database
    env: dict[str, str]
    log_dir: Path

    def start_worker(self, threads: int = 2) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [
                *compound_command(
                    "worker", "--threads", str(threads), "--import", "tests.queue_actors"
                )
            ],
            env=self.env,
            cwd=REPOSITORY_ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,  # so a SIGKILL can take the whole worker at once
        )

    def runs(self, marker: str) -> list[str]:
        path = self.log_dir / marker
        return path.read_text().split() if path.exists() else []

    async def job(self, job_id: uuid.UUID) -> Job | None:
        async with self.database.session() as session:
            return await session.get(Job, job_id)


def eventually(check: Callable[[], bool], *, timeout: float = 30, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


async def wait_for_state(
    world: QueueWorld, job_id: uuid.UUID, state: str, within: float = 30
) -> Job:
    deadline = time.monotonic() + within
    while True:
        job = await world.job(job_id)
        if job is not None and job.state == state:
            return job
        if time.monotonic() > deadline:
            raise AssertionError(f"job {job_id} is {job.state if job else 'missing'}, not {state}")
        await asyncio.sleep(0.05)


def stop(process: subprocess.Popen[str]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=40)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


@pytest.fixture(scope="module")
async def world(embedded_server: EmbeddedServer) -> AsyncIterator[QueueWorld]:
    url = embedded_server.database_url("compound_jobs")
    log_dir = Path(tempfile.mkdtemp(prefix="cpdj-", dir="/tmp"))
    env = {
        **os.environ,
        "COMPOUND_DATABASE_URL": url,
        "COMPOUND_QUEUE_LEASE_SECONDS": LEASE_SECONDS,
        "COMPOUND_TEST_JOB_LOG": str(log_dir),
    }
    os.environ["COMPOUND_TEST_JOB_LOG"] = str(log_dir)
    database = Database.connect(url, pool_size=2)
    yield QueueWorld(database=database, env=env, log_dir=log_dir)
    await database.dispose()


@pytest.fixture
def worker(world: QueueWorld) -> Iterator[subprocess.Popen[str]]:
    process = world.start_worker()
    yield process
    stop(process)


def actor():  # imported late: declaring actors installs the broker
    from tests.queue_actors import record_run

    return record_run


async def test_a_rolled_back_enqueue_never_runs_a_committed_one_does(
    world: QueueWorld, worker: subprocess.Popen[str]
) -> None:
    marker = f"rollback-{uuid.uuid4().hex[:8]}"
    async with world.database.sessionmaker() as session:
        ghost = await service.enqueue(session, actor(), marker=marker)
        await session.rollback()
    kept_marker = f"commit-{uuid.uuid4().hex[:8]}"
    async with world.database.session() as session:
        kept = await service.enqueue(session, actor(), marker=kept_marker)
    done = await wait_for_state(world, kept, "done")
    assert done.attempts == 1
    assert world.runs(kept_marker) == ["start", "end"]
    assert await world.job(ghost) is None
    assert world.runs(marker) == []


async def test_one_notify_per_transaction_not_per_job(world: QueueWorld) -> None:
    statements: list[str] = []

    def record(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        statements.append(statement)

    for _ in range(2):  # a second transaction on the same session notifies again
        async with world.database.sessionmaker() as session:
            connection = (await session.connection()).sync_connection
            event.listen(connection, "before_cursor_execute", record)
            for index in range(3):
                await service.enqueue(session, actor(), marker=f"batch-{index}")
            event.remove(connection, "before_cursor_execute", record)
            await session.rollback()
    assert sum(statement.startswith("INSERT INTO job") for statement in statements) == 6
    assert sum(statement.startswith("NOTIFY") for statement in statements) == 2


async def test_a_failing_job_is_retried_with_backoff_then_succeeds(
    world: QueueWorld, worker: subprocess.Popen[str]
) -> None:
    marker = f"flaky-{uuid.uuid4().hex[:8]}"
    async with world.database.session() as session:
        job_id = await service.enqueue(session, actor(), marker=marker, fail_times=1)
    done = await wait_for_state(world, job_id, "done")
    assert done.attempts == 2
    assert world.runs(marker) == ["start", "start", "end"]
    assert "planned failure 1 of 1" in (done.last_error or "")


async def test_exhausted_retries_dead_letter_and_retry_job_revives(
    world: QueueWorld, worker: subprocess.Popen[str]
) -> None:
    marker = f"dead-{uuid.uuid4().hex[:8]}"
    flag = world.log_dir / f"{marker}.flag"
    flag.write_text("block")
    async with world.database.session() as session:
        job_id = await service.enqueue(session, actor(), marker=marker, fail_while_exists=str(flag))
    dead = await wait_for_state(world, job_id, "dead")
    assert dead.attempts == 3  # the first run and max_retries=2
    assert "still exists" in (dead.last_error or "")
    async with world.database.sessionmaker() as session:
        waiting = await service.enqueue(
            session, actor(), marker=f"{marker}-x", delay=timedelta(hours=1)
        )
        with pytest.raises(ValidationFailed, match="only dead jobs"):
            await service.retry_job(session, waiting)
        await session.rollback()
    flag.unlink()
    async with world.database.session() as session:
        await service.retry_job(session, job_id)
    revived = await wait_for_state(world, job_id, "done")
    assert revived.attempts == 4
    assert world.runs(marker)[-1] == "end"


async def test_a_delayed_job_waits_for_its_eta(
    world: QueueWorld, worker: subprocess.Popen[str]
) -> None:
    marker = f"later-{uuid.uuid4().hex[:8]}"
    async with world.database.session() as session:
        job_id = await service.enqueue(session, actor(), marker=marker, delay=timedelta(seconds=2))
    enqueued = time.monotonic()
    await wait_for_state(world, job_id, "done")
    assert time.monotonic() - enqueued >= 1.8


async def test_a_job_whose_worker_is_killed_runs_again_after_the_lease(world: QueueWorld) -> None:
    marker = f"killed-{uuid.uuid4().hex[:8]}"
    first = world.start_worker()
    try:
        async with world.database.session() as session:
            job_id = await service.enqueue(session, actor(), marker=marker, sleep_seconds=4)
        eventually(lambda: world.runs(marker) == ["start"], what="the first run to start")
        os.killpg(first.pid, signal.SIGKILL)
        first.wait()
    finally:
        stop(first)
    assert (await world.job(job_id)).state == "running"  # type: ignore[union-attr]
    second = world.start_worker()
    try:
        done = await wait_for_state(world, job_id, "done", within=60)
    finally:
        stop(second)
    assert world.runs(marker) == ["start", "start", "end"]
    assert done.attempts == 2
    async with world.database.session() as session:
        created = await session.scalar(
            text("SELECT count(*) FROM company WHERE name = :n"), {"n": marker}
        )
    assert created == 1


async def test_old_finished_jobs_are_purged_dead_ones_stay(world: QueueWorld) -> None:
    from compound.platform.embedded_postgres import libpq_url
    from compound.platform.queue.broker import PostgresBroker

    async with world.database.session() as session:
        old_done = await service.enqueue(
            session, actor(), marker="old-done", delay=timedelta(days=1)
        )
        old_dead = await service.enqueue(
            session, actor(), marker="old-dead", delay=timedelta(days=1)
        )
        recent_done = await service.enqueue(
            session, actor(), marker="new-done", delay=timedelta(days=1)
        )
        await session.execute(
            text(
                "UPDATE job SET state = CASE WHEN id = :dead THEN 'dead' ELSE 'done' END,"
                " created_at = CASE WHEN id = :recent THEN now() ELSE now() - interval '8 days' END"
                " WHERE id IN (:done, :dead, :recent)"
            ),
            {"done": old_done, "dead": old_dead, "recent": recent_done},
        )
    broker = PostgresBroker(url=lambda: libpq_url(world.env["COMPOUND_DATABASE_URL"]))
    assert broker.purge_done_jobs() >= 1
    assert await world.job(old_done) is None
    assert (await world.job(old_dead)) is not None
    assert (await world.job(recent_done)) is not None
