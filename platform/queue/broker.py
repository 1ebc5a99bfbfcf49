"""A dramatiq broker whose queue is the `job` table: claimed with FOR UPDATE SKIP LOCKED,
woken by LISTEN/NOTIFY, delayed by an eta column, dead letters kept as rows.

Consumers hold a lease on what they claim and renew it while they work; a worker that
dies (even by SIGKILL) lets its lease run out, and the job is claimed again: delivery is
at least once, so actors are written to be safe to run twice.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterable
from typing import Any

import dramatiq
import psycopg
from dramatiq.broker import Consumer, MessageProxy
from dramatiq.errors import QueueJoinTimeout
from dramatiq.message import Message
from dramatiq.middleware import Middleware
from psycopg.types.json import Jsonb

CHANNEL = "compound_jobs"
MAX_ERROR_LENGTH = 20_000

UPSERT = """
INSERT INTO job (id, queue_name, actor_name, message, state, eta, attempts, last_error)
VALUES (%(id)s, %(queue)s, %(actor)s, %(message)s, 'queued',
        now() + %(delay_ms)s * interval '1 millisecond', 0, %(error)s)
ON CONFLICT (id) DO UPDATE SET
    message = EXCLUDED.message, state = 'queued', eta = EXCLUDED.eta,
    lease_token = NULL, lease_until = NULL, last_error = EXCLUDED.last_error
"""
CLAIM = """
UPDATE job SET state = 'running', lease_token = %(token)s, attempts = attempts + 1,
    lease_until = now() + %(lease)s * interval '1 second', started_at = now()
WHERE id = ANY(ARRAY(
    SELECT id FROM job
    WHERE queue_name = %(queue)s AND state = 'queued' AND eta <= now()
    ORDER BY eta
    LIMIT %(limit)s
    FOR UPDATE SKIP LOCKED
))
RETURNING id, message
"""
RESCUE_EXPIRED = """
UPDATE job SET state = 'queued', lease_token = NULL, lease_until = NULL
WHERE state = 'running' AND lease_until < now() AND queue_name = %(queue)s
"""
RENEW = """
UPDATE job SET lease_until = now() + %(lease)s * interval '1 second'
WHERE lease_token = %(token)s AND id = ANY(%(ids)s)
"""
PURGE_DONE = """
DELETE FROM job WHERE id = ANY(ARRAY(
    SELECT id FROM job
    WHERE state = 'done' AND created_at < now() - %(days)s * interval '1 day'
    LIMIT %(limit)s
))
"""
PURGE_INTERVAL_SECONDS = 300.0
PURGE_BATCH = 5_000
NEXT_ETA = """
SELECT extract(epoch FROM min(eta) - now()) FROM job WHERE queue_name = %s AND state = 'queued'
"""


def stored_message(message: Message[Any]) -> tuple[dict[str, Any], str | None]:
    """The message as kept in the row, and the traceback (kept as the job's last error)."""
    data = message.asdict()
    options = dict(data.get("options") or {})
    error = options.pop("traceback", None)
    data["options"] = options
    return data, error[-MAX_ERROR_LENGTH:] if isinstance(error, str) else None


class PostgresBroker(dramatiq.Broker):
    """Queues live in Postgres; `url` is resolved on first use (a libpq URL)."""

    def __init__(
        self,
        *,
        url: Callable[[], str],
        lease_seconds: float = 30.0,
        retention_days: float = 7.0,
        middleware: list[Middleware] | None = None,
    ) -> None:
        super().__init__(middleware=middleware)
        self._url = url
        self.retention_days = retention_days
        self.lease_seconds = lease_seconds
        self.queues: set[str] = set()
        self._local = threading.local()

    def connect(self) -> psycopg.Connection[Any]:
        # No prepared statements: a generic plan made while the table was nearly empty
        # kept scanning the whole table once it held a backlog (10-16 ms per claim).
        connection = psycopg.connect(self._url(), autocommit=True, prepare_threshold=None)
        # Claims, acks and renewals may be lost in a crash without harm: delivery is at
        # least once anyway. Callers' enqueue transactions keep synchronous commits.
        connection.execute("SET synchronous_commit = off")
        return connection

    def connection_for_this_thread(self) -> psycopg.Connection[Any]:
        connection: psycopg.Connection[Any] | None = getattr(self._local, "connection", None)
        if connection is None or connection.closed:
            connection = self.connect()
            self._local.connection = connection
        return connection

    def consume(self, queue_name: str, prefetch: int = 1, timeout: int = 30000) -> Consumer:
        return PostgresConsumer(self, queue_name, prefetch=prefetch, timeout_ms=timeout)

    def declare_queue(self, queue_name: str) -> None:
        if queue_name not in self.queues:
            self.emit_before("declare_queue", queue_name)
            self.queues.add(queue_name)
            self.emit_after("declare_queue", queue_name)

    def enqueue(self, message: Message[Any], *, delay: int | None = None) -> Message[Any]:
        """Enqueue outside any caller's transaction (dramatiq's own sends and retries).

        Application code enqueues with `compound.platform.queue.service.enqueue`, inside
        its transaction.
        """
        self.emit_before("enqueue", message, delay)
        data, error = stored_message(message)
        connection = self.connection_for_this_thread()
        with connection.transaction():
            connection.execute(
                UPSERT,
                {
                    "id": uuid.UUID(message.message_id),
                    "queue": message.queue_name,
                    "actor": message.actor_name,
                    "message": Jsonb(data),
                    "delay_ms": delay or 0,
                    "error": error,
                },
            )
            connection.execute(f"NOTIFY {CHANNEL}")
        self.emit_after("enqueue", message, delay)
        return message

    def purge_done_jobs(self) -> int:
        """Delete finished jobs older than the retention (a batch at a time); dead ones stay
        until a person retries or removes them."""
        result = self.connection_for_this_thread().execute(
            PURGE_DONE, {"days": self.retention_days, "limit": PURGE_BATCH}
        )
        return result.rowcount

    def get_declared_queues(self) -> set[str]:
        return self.queues.copy()

    def get_declared_delay_queues(self) -> set[str]:
        # Delays are an eta on the row, not a queue of their own.
        return set()

    def flush(self, queue_name: str) -> None:
        self.connection_for_this_thread().execute(
            "DELETE FROM job WHERE queue_name = %s AND state = 'queued'", (queue_name,)
        )

    def flush_all(self) -> None:
        for queue_name in self.queues:
            self.flush(queue_name)

    def join(self, queue_name: str, *, timeout: int | None = None) -> None:
        """Wait until no job of `queue_name` is queued or running (tests and benchmarks)."""
        deadline = time.monotonic() + timeout / 1000 if timeout else None
        while True:
            pending = (
                self.connection_for_this_thread()
                .execute(
                    "SELECT count(*) FROM job"
                    " WHERE queue_name = %s AND state IN ('queued', 'running')",
                    (queue_name,),
                )
                .fetchone()
            )
            if pending is not None and pending[0] == 0:
                return
            if deadline is not None and time.monotonic() > deadline:
                raise QueueJoinTimeout(queue_name)  # type: ignore[no-untyped-call]
            time.sleep(0.05)


class PostgresConsumer(Consumer):
    """Hands out the jobs of one queue.

    Claiming, LISTEN and lease upkeep run on the consumer thread's own connection; acks
    come from the worker threads and go through each thread's connection, so an ack never
    waits behind a consumer that is blocked waiting for a notification.
    """

    def __init__(
        self, broker: PostgresBroker, queue_name: str, *, prefetch: int, timeout_ms: int
    ) -> None:
        self.broker = broker
        self.queue_name = queue_name
        self.prefetch = max(1, prefetch)
        self.timeout = timeout_ms / 1000
        self.connection = broker.connect()
        self.connection.execute(f"LISTEN {CHANNEL}")
        self.token = uuid.uuid4()
        self.buffer: deque[MessageProxy] = deque()
        self.in_flight: set[uuid.UUID] = set()
        self.in_flight_lock = threading.Lock()
        self.slot_freed = threading.Event()
        self.last_housekeeping = 0.0
        self.last_purge = -PURGE_INTERVAL_SECONDS

    def __next__(self) -> MessageProxy | None:
        deadline = time.monotonic() + self.timeout
        while True:
            self._housekeeping()
            if self.buffer:
                return self.buffer.popleft()
            with self.in_flight_lock:
                self.slot_freed.clear()
                room = self.prefetch - len(self.in_flight)
            if room > 0 and self._claim(room):
                continue
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            if room <= 0:
                # Every slot is busy: wait for a worker to finish one, not for the queue
                # (polling it here kept both cores busy while jobs slept).
                self.slot_freed.wait(min(remaining, self.broker.lease_seconds / 3))
                continue
            self._wait(min(remaining, self._seconds_to_next_eta(), self.broker.lease_seconds / 3))

    def _claim(self, limit: int) -> bool:
        rows = self.connection.execute(
            CLAIM,
            {
                "token": self.token,
                "lease": self.broker.lease_seconds,
                "queue": self.queue_name,
                "limit": limit,
            },
        ).fetchall()
        for job_id, data in rows:
            with self.in_flight_lock:
                self.in_flight.add(job_id)
            self.buffer.append(MessageProxy(Message(**data)))
        return bool(rows)

    def _housekeeping(self) -> None:
        """Renew our leases and free the expired ones of dead workers, every third of a lease."""
        now = time.monotonic()
        if now - self.last_housekeeping < self.broker.lease_seconds / 3:
            return
        self.last_housekeeping = now
        with self.in_flight_lock:  # worker threads remove from it while we read
            held = list(self.in_flight)
        if held:
            self.connection.execute(
                RENEW, {"lease": self.broker.lease_seconds, "token": self.token, "ids": held}
            )
        self.connection.execute(RESCUE_EXPIRED, {"queue": self.queue_name})
        if now - self.last_purge >= PURGE_INTERVAL_SECONDS:
            self.last_purge = now
            self.broker.purge_done_jobs()

    def _seconds_to_next_eta(self) -> float:
        row = self.connection.execute(NEXT_ETA, (self.queue_name,)).fetchone()
        if row is None or row[0] is None:
            return self.timeout
        return max(0.0, float(row[0]))

    def _wait(self, seconds: float) -> None:
        if seconds <= 0:
            return
        for _ in self.connection.notifies(timeout=seconds, stop_after=1):
            pass

    def _finish(self, message: MessageProxy, state: str, error: str | None) -> None:
        job_id = uuid.UUID(message.message_id)
        with self.in_flight_lock:
            self.in_flight.discard(job_id)
            self.slot_freed.set()
        # Only the holder of the lease finishes a job: after a retry was scheduled (the row
        # was re-queued) or another worker took over an expired lease, this changes nothing.
        self.broker.connection_for_this_thread().execute(
            "UPDATE job SET state = %s, last_error = COALESCE(%s, last_error), finished_at = now(),"
            " lease_token = NULL, lease_until = NULL WHERE id = %s AND lease_token = %s",
            (state, error, job_id, self.token),
        )

    def ack(self, message: MessageProxy) -> None:
        self._finish(message, "done", None)

    def nack(self, message: MessageProxy) -> None:
        _, error = stored_message(message._message)
        self._finish(message, "dead", error or "rejected")

    def requeue(self, messages: Iterable[MessageProxy]) -> None:
        ids = [uuid.UUID(message.message_id) for message in messages]
        with self.in_flight_lock:
            self.in_flight.difference_update(ids)
            self.slot_freed.set()
        if ids:
            self.broker.connection_for_this_thread().execute(
                "UPDATE job SET state = 'queued', lease_token = NULL, lease_until = NULL"
                " WHERE id = ANY(%s) AND lease_token = %s",
                (ids, self.token),
            )

    def close(self) -> None:
        # Claimed but never handed to a worker: back to the queue at once, not after a lease.
        buffered = [uuid.UUID(message.message_id) for message in self.buffer]
        self.buffer.clear()
        if buffered:
            self.connection.execute(
                "UPDATE job SET state = 'queued', lease_token = NULL, lease_until = NULL"
                " WHERE id = ANY(%s) AND lease_token = %s",
                (buffered, self.token),
            )
        self.connection.close()
