"""Declaring actors: `@job("module.event")` turns `async def f(session, **ids)` into a dramatiq
actor that runs on its worker thread's own event loop, inside its own unit of work."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable
from typing import Any

import dramatiq
import uvloop
from sqlalchemy.ext.asyncio import AsyncSession

from compound.platform.config import Settings, get_settings
from compound.platform.database import Database, resolve_database_url
from compound.platform.embedded_postgres import libpq_url
from compound.platform.queue.broker import PostgresBroker
from compound.platform.queue.redis_broker import redis_broker

JobFunction = Callable[..., Awaitable[None]]

_broker: dramatiq.Broker | None = None
_broker_lock = threading.Lock()
_thread = threading.local()


def build_broker(settings: Settings) -> dramatiq.Broker:
    """The Postgres broker on the `job` table, or dramatiq's Redis broker when
    COMPOUND_BROKER_URL is set; both carry dramatiq's default middleware (Retries…)."""
    if settings.broker_url:
        return redis_broker(settings.broker_url.get_secret_value())
    return PostgresBroker(
        url=lambda: libpq_url(resolve_database_url(get_settings())),
        lease_seconds=settings.queue_lease_seconds,
        retention_days=settings.queue_retention_days,
    )


def job_broker() -> dramatiq.Broker:
    """The process's broker, also installed as dramatiq's global one."""
    global _broker
    with _broker_lock:
        if _broker is None:
            _broker = build_broker(get_settings())
            dramatiq.set_broker(_broker)
        return _broker


def _thread_runtime() -> tuple[asyncio.AbstractEventLoop, Database]:
    # An async engine belongs to the loop it was created on: one of each per worker thread.
    loop: asyncio.AbstractEventLoop | None = getattr(_thread, "loop", None)
    if loop is None:
        # uvloop: a job is many small database round trips, and the standard loop's own
        # bookkeeping between them cost a quarter of a worker's CPU (bench/ingest.py).
        loop = uvloop.new_event_loop()
        _thread.loop = loop
        _thread.database = Database.connect(resolve_database_url(get_settings()), pool_size=2)
    database: Database = _thread.database
    return loop, database


async def _unit_of_work(database: Database, function: JobFunction, kwargs: dict[str, Any]) -> None:
    async with database.session() as session:
        await function(session, **kwargs)


def job(
    name: str,
    *,
    queue: str = "default",
    max_retries: int = 5,
    min_backoff_ms: int = 1_000,
    max_backoff_ms: int = 300_000,
    time_limit_ms: int = 600_000,
) -> Callable[[Callable[..., Awaitable[None]]], dramatiq.Actor[..., None]]:
    """Declare an actor named `name` ("<module>.<event>"); its function takes a session first.

    The session commits when the function returns and rolls back when it raises (then the
    job is retried with backoff, and dead-lettered after `max_retries`). Arguments are ids
    and plain values; the function reloads what it needs and is safe to run twice.
    """

    def declare(function: Callable[..., Awaitable[None]]) -> dramatiq.Actor[..., None]:
        def run(**kwargs: Any) -> None:
            loop, database = _thread_runtime()
            loop.run_until_complete(_unit_of_work(database, function, kwargs))

        run.__name__ = function.__name__
        run.__doc__ = function.__doc__
        return dramatiq.Actor(
            run,
            broker=job_broker(),
            actor_name=name,
            queue_name=queue,
            priority=0,
            options={
                "max_retries": max_retries,
                "min_backoff": min_backoff_ms,
                "max_backoff": max_backoff_ms,
                "time_limit": time_limit_ms,
            },
        )

    return declare


__all__ = ["AsyncSession", "build_broker", "job", "job_broker"]
