"""Change events: published with NOTIFY in the writer's transaction (so only committed changes
are seen), fanned out in each web process from one LISTEN connection to its subscribers."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from typing import Any

import psycopg
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

logger = logging.getLogger(__name__)

INBOX_CHANNEL = "compound_inbox"
# Postgres refuses NOTIFY payloads of 8000 bytes or more; events carry ids and short text.
MAX_PAYLOAD_BYTES = 7_900
SUBSCRIBER_BACKLOG = 1_000
RECONNECT_SECONDS = 1.0

RESYNC: dict[str, Any] = {"type": "resync"}
"""Sent when events may have been missed (a slow reader, a lost connection): refetch."""


async def publish(session: AsyncSession, channel: str, event: Mapping[str, Any]) -> None:
    """Queue `event` for delivery when the caller's transaction commits (never if it rolls back)."""
    payload = json.dumps(event, default=str, separators=(",", ":"))
    if len(payload.encode()) > MAX_PAYLOAD_BYTES:
        payload = json.dumps({"type": event.get("type", "changed"), "id": event.get("id")})
    await session.execute(
        text("SELECT pg_notify(:channel, :payload)"), {"channel": channel, "payload": payload}
    )


class EventHub:
    """One LISTEN connection per process and channel; each subscriber gets its own queue."""

    def __init__(self, url: Callable[[], str], channel: str) -> None:
        self._url = url
        self._channel = channel
        self._subscribers: set[asyncio.Queue[dict[str, Any]]] = set()
        self._listener: asyncio.Task[None] | None = None
        self._listening = asyncio.Event()

    @asynccontextmanager
    async def subscribe(self) -> AsyncIterator[asyncio.Queue[dict[str, Any]]]:
        """A queue of this channel's events from now on; ready when the context is entered."""
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(maxsize=SUBSCRIBER_BACKLOG)
        self._subscribers.add(queue)
        if self._listener is None or self._listener.done():
            self._listening.clear()
            self._listener = asyncio.create_task(self._listen(), name=f"listen:{self._channel}")
        try:
            # An event committed right after subscribe() returns must not be missed.
            await asyncio.wait_for(self._listening.wait(), timeout=10)
            yield queue
        finally:
            self._subscribers.discard(queue)

    async def close(self) -> None:
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._listener
            self._listener = None

    def _deliver(self, event: dict[str, Any]) -> None:
        for queue in list(self._subscribers):
            try:
                queue.put_nowait(event)
            except asyncio.QueueFull:
                # A reader that fell far behind gets one resync instead of a stale backlog.
                while not queue.empty():
                    queue.get_nowait()
                queue.put_nowait(RESYNC)

    async def _listen(self) -> None:
        while True:
            try:
                async with await psycopg.AsyncConnection.connect(
                    self._url(), autocommit=True
                ) as connection:
                    await connection.execute(f"LISTEN {self._channel}")
                    if self._listening.is_set():
                        self._deliver(RESYNC)  # reconnected: what happened meanwhile is unknown
                    self._listening.set()
                    async for notification in connection.notifies():
                        try:
                            event = json.loads(notification.payload)
                        except json.JSONDecodeError:
                            continue
                        if isinstance(event, dict):
                            self._deliver(event)
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.warning("event listener lost its connection; reconnecting", exc_info=True)
                await asyncio.sleep(RECONNECT_SECONDS)
