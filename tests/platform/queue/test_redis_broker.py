"""The Redis broker (COMPOUND_BROKER_URL=redis://…) on a real redis-server with a real
`compound worker`: messages are held until commit, dropped on rollback (savepoints too),
retried with backoff; a bad broker URL is a settings error that names the variable."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import dramatiq
import pytest
import redis
from dramatiq.brokers.redis import RedisBroker
from dramatiq.middleware import Retries
from pydantic import ValidationError
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from compound.platform.auth.actor import Actor
from compound.platform.config import Settings, get_settings
from compound.platform.database import Database
from compound.platform.errors import ServiceUnavailable
from compound.platform.queue import service
from compound.platform.queue.actors import build_broker
from compound.platform.queue.broker import PostgresBroker
from compound.platform.records import companies
from tests.conftest import REPOSITORY_ROOT, EmbeddedServer, compound_command, free_port
from tests.platform.queue.test_queue import stop


@dataclass
class RedisServer:
    url: str
    client: redis.Redis

    def message_ids(self) -> set[str]:
        """Ids of the messages waiting in Redis, on any queue (delayed ones included)."""
        ids: set[str] = set()
        for key in self.client.scan_iter("dramatiq:*.msgs"):
            for encoded in self.client.hvals(key):
                ids.add(json.loads(encoded)["message_id"])
        return ids


@pytest.fixture(scope="module")
def redis_server() -> Iterator[RedisServer]:
    executable = shutil.which("redis-server")
    if executable is None:
        pytest.fail(
            "redis-server is not installed: run `make install` (as root it installs"
            " Debian's redis-server), or `apt-get install -y redis-server`"
        )
    port = free_port()
    process = subprocess.Popen(
        [
            executable,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    client = redis.Redis(port=port)
    deadline = time.monotonic() + 10
    while True:
        try:
            client.ping()
            break
        except redis.ConnectionError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise RuntimeError(f"redis-server did not start on port {port}") from None
            time.sleep(0.02)
    yield RedisServer(url=f"redis://127.0.0.1:{port}/0", client=client)
    client.close()
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture
def redis_db(redis_server: RedisServer) -> RedisServer:
    redis_server.client.flushdb()
    return redis_server


@dataclass
class RedisWorld:
    database: Database
    env: dict[str, str]
    log_dir: Path

    def start_worker(self) -> subprocess.Popen[str]:
        return subprocess.Popen(
            compound_command("worker", "--threads", "2", "--import", "tests.queue_actors"),
            env=self.env,
            cwd=REPOSITORY_ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )

    def runs(self, marker: str) -> list[str]:
        path = self.log_dir / marker
        return path.read_text().split() if path.exists() else []


@pytest.fixture(scope="module")
async def world(
    embedded_server: EmbeddedServer, redis_server: RedisServer
) -> AsyncIterator[RedisWorld]:
    url = embedded_server.database_url("compound_redis_jobs")
    log_dir = Path(tempfile.mkdtemp(prefix="cpdr-", dir="/tmp"))
    env = {
        **os.environ,
        "COMPOUND_DATABASE_URL": url,
        "COMPOUND_BROKER_URL": redis_server.url,
        "COMPOUND_TEST_JOB_LOG": str(log_dir),
    }
    database = Database.connect(url, pool_size=2)
    yield RedisWorld(database=database, env=env, log_dir=log_dir)
    await database.dispose()
    shutil.rmtree(log_dir, ignore_errors=True)


def redis_actor(url: str) -> dramatiq.Actor[..., None]:
    """`tests.record_run` as this process sees it with COMPOUND_BROKER_URL=url: a message
    for it is sent here and run by the worker, which imports the real one."""

    def record_run(**kwargs: Any) -> None:
        raise AssertionError("runs in the worker process")

    broker = build_broker(Settings(_env_file=None, broker_url=url))  # type: ignore[call-arg]
    assert isinstance(broker, RedisBroker)
    return dramatiq.Actor(
        record_run,
        broker=broker,
        actor_name="tests.record_run",
        queue_name="default",
        priority=0,
        options={},
    )


def eventually(check: Callable[[], bool], *, timeout: float = 15, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


async def test_a_rolled_back_enqueue_never_reaches_redis_a_committed_one_runs(
    world: RedisWorld, redis_db: RedisServer
) -> None:
    actor = redis_actor(redis_db.url)
    tag = uuid.uuid4().hex[:8]
    async with world.database.sessionmaker() as session:
        await session.execute(text("SELECT 1"))
        ghost = await service.enqueue(session, actor, marker=f"ghost-{tag}")
        await session.rollback()
    assert redis_db.message_ids() == set()

    async with world.database.session() as session:
        kept = await service.enqueue(session, actor, marker=f"kept-{tag}")
        flaky = await service.enqueue(session, actor, marker=f"flaky-{tag}", fail_times=1)
        later = await service.enqueue(
            session, actor, marker=f"later-{tag}", delay=timedelta(milliseconds=300)
        )
        assert redis_db.message_ids() == set()  # held until the commit
    assert redis_db.message_ids() == {str(kept), str(flaky), str(later)}

    worker = world.start_worker()
    try:
        eventually(
            lambda: (
                world.runs(f"kept-{tag}") == ["start", "end"]
                and world.runs(f"flaky-{tag}") == ["start", "start", "end"]  # Retries applies
                and world.runs(f"later-{tag}") == ["start", "end"]
            ),
            what="the worker to run the committed jobs",
        )
    finally:
        stop(worker)
    assert world.runs(f"ghost-{tag}") == []
    assert str(ghost) not in redis_db.message_ids()
    async with world.database.session() as session:
        created = await session.scalar(
            text("SELECT count(*) FROM company WHERE name = :name"), {"name": f"kept-{tag}"}
        )
    assert created == 1


async def test_a_rolled_back_savepoint_drops_only_its_own_messages(
    world: RedisWorld, redis_db: RedisServer
) -> None:
    actor = redis_actor(redis_db.url)
    async with world.database.session() as session:
        outer = await service.enqueue(session, actor, marker="outer")

        rolled_back = await session.begin_nested()
        dropped = await service.enqueue(session, actor, marker="in-rolled-back-savepoint")
        await rolled_back.rollback()

        released = await session.begin_nested()
        kept = await service.enqueue(session, actor, marker="in-released-savepoint")
        inner = await session.begin_nested()
        dropped_inner = await service.enqueue(session, actor, marker="in-inner-rolled-back")
        await inner.rollback()
        await released.commit()

        rolled_back_parent = await session.begin_nested()
        released_child = await session.begin_nested()
        dropped_with_parent = await service.enqueue(session, actor, marker="child-of-rolled-back")
        await released_child.commit()
        await rolled_back_parent.rollback()

        assert redis_db.message_ids() == set()
    sent = redis_db.message_ids()
    assert sent == {str(outer), str(kept)}
    assert not sent & {str(dropped), str(dropped_inner), str(dropped_with_parent)}


async def test_an_unreachable_redis_fails_the_commit_and_saves_nothing(
    world: RedisWorld,
) -> None:
    actor = redis_actor(f"redis://127.0.0.1:{free_port()}/0")
    name = f"unsent-{uuid.uuid4().hex[:8]}"

    async def create_company_with_its_job() -> None:
        async with world.database.session() as session:
            await companies.create_company(
                session, Actor.system("tests"), name=name, compute_embedding=False
            )
            await service.enqueue(session, actor, marker=name)

    with pytest.raises(ServiceUnavailable, match="COMPOUND_BROKER_URL"):
        await create_company_with_its_job()
    async with world.database.session() as session:
        saved = await session.scalar(
            text("SELECT count(*) FROM company WHERE name = :n"), {"n": name}
        )
    assert saved == 0


def test_the_broker_follows_the_setting_and_keeps_retries(redis_server: RedisServer) -> None:
    postgres = build_broker(Settings(_env_file=None, broker_url=""))  # type: ignore[call-arg]
    redis_broker = build_broker(Settings(_env_file=None, broker_url=redis_server.url))  # type: ignore[call-arg]
    assert isinstance(postgres, PostgresBroker)
    assert isinstance(redis_broker, RedisBroker)
    assert any(isinstance(middleware, Retries) for middleware in redis_broker.middleware)
    assert {"max_retries", "min_backoff", "max_backoff", "time_limit"} <= redis_broker.actor_options


@pytest.mark.parametrize(
    "value",
    ["amqp://guest:secret@rabbit/", "postgresql://crm:secret@db/compound", "localhost:6379"],
)
def test_a_broker_url_that_is_not_redis_is_a_settings_error(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("COMPOUND_BROKER_URL", value)
    with pytest.raises(ValidationError) as raised:
        Settings(_env_file=None)  # type: ignore[call-arg]
    [problem] = raised.value.errors()
    assert problem["loc"] == ("broker_url",)
    assert "COMPOUND_BROKER_URL must be a redis:// or rediss:// URL" in problem["msg"]
    assert "secret" not in problem["msg"]


def test_redis_urls_and_blank_are_accepted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COMPOUND_BROKER_URL", "rediss://:pw@cache.internal:6380/2")
    broker_url = Settings(_env_file=None).broker_url  # type: ignore[call-arg]
    assert broker_url is not None
    assert broker_url.get_secret_value() == "rediss://:pw@cache.internal:6380/2"
    monkeypatch.setenv("COMPOUND_BROKER_URL", "")
    assert Settings(_env_file=None).broker_url is None  # type: ignore[call-arg]


async def test_the_jobs_list_says_it_needs_the_postgres_broker(
    monkeypatch: pytest.MonkeyPatch, session: AsyncSession
) -> None:
    monkeypatch.setenv("COMPOUND_BROKER_URL", "redis://127.0.0.1:6379/0")
    get_settings.cache_clear()
    try:
        with pytest.raises(ServiceUnavailable, match="only available with the Postgres broker"):
            await service.list_jobs(session, first=10)
        with pytest.raises(ServiceUnavailable, match="only available with the Postgres broker"):
            await service.retry_job(session, uuid.uuid4())
    finally:
        monkeypatch.delenv("COMPOUND_BROKER_URL")
        get_settings.cache_clear()
