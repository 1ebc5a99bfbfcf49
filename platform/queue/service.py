"""Enqueueing in the caller's transaction, listing jobs, and putting dead letters back."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import dramatiq
from sqlalchemy import func, insert, text, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from compound.platform.config import get_settings
from compound.platform.errors import NotFound, ServiceUnavailable, ValidationFailed
from compound.platform.queue.broker import CHANNEL, PostgresBroker, stored_message
from compound.platform.queue.models import Job, JobState
from compound.platform.queue.redis_broker import hold_until_commit
from compound.platform.records.lookups import select_view
from compound.platform.records.paging import Page, newest_first

_NOTIFIED = "compound.queue.notified_transaction"


async def enqueue(
    session: AsyncSession,
    actor: dramatiq.Actor[..., Any],
    *,
    delay: timedelta | None = None,
    **kwargs: Any,
) -> uuid.UUID:
    """Write a job for `actor` in the caller's transaction: rolled back, it never existed;
    committed, it will run (at least once).

    With the Postgres broker the job is a row of this transaction. Any other broker (Redis)
    cannot join it, so the message is held on the session and sent after the commit; a
    rollback, or the rollback of the savepoint it was enqueued in, drops it.
    """
    message = actor.message_with_options(kwargs=kwargs)
    if not isinstance(actor.broker, PostgresBroker):
        delay_ms = int(delay.total_seconds() * 1000) if delay else None
        hold_until_commit(session.sync_session, actor.broker, message, delay_ms=delay_ms)
        return uuid.UUID(message.message_id)
    data, _ = stored_message(message)
    eta: Any = func.now() + delay if delay else func.now()
    job_id = uuid.UUID(message.message_id)
    await session.execute(
        insert(Job).values(
            id=job_id,
            queue_name=message.queue_name,
            actor_name=message.actor_name,
            message=data,
            eta=eta,
        )
    )
    # One NOTIFY per transaction wakes the workers when it commits (Postgres delivers
    # notifications only on commit); a batch of 50 jobs does not send 50.
    transaction = session.sync_session.get_transaction()
    if session.info.get(_NOTIFIED) is not transaction:
        await session.execute(text(f"NOTIFY {CHANNEL}"))
        session.info[_NOTIFIED] = transaction
    return job_id


async def enqueue_unless_waiting(
    session: AsyncSession, actor: dramatiq.Actor[..., Any], *, delay: timedelta | None = None
) -> uuid.UUID | None:
    """Enqueue an argument-less `actor` unless a job of it is already waiting: for sweeps
    (a batch job that finds its own work) that many transactions ask for at once. Returns
    None when one was waiting. With Redis, whose queue cannot be read here, it enqueues."""
    if isinstance(actor.broker, PostgresBroker):
        waiting = await session.scalar(
            select_view(Job)
            .with_only_columns(col(Job.id))
            .where(col(Job.actor_name) == actor.actor_name)
            .where(col(Job.state) == JobState.QUEUED.value)
            .limit(1)
        )
        if waiting is not None:
            return None
    return await enqueue(session, actor, delay=delay)


@dataclass(frozen=True)
class JobFilter:
    state: JobState | None = None


def parse_state(value: str) -> JobState:
    try:
        return JobState(value.strip().lower())
    except ValueError:
        raise ValidationFailed(
            f"unknown job state {value!r}; choose one of: {', '.join(s.value for s in JobState)}",
            field="state",
        ) from None


async def list_jobs(
    session: AsyncSession,
    *,
    first: int,
    after: str | None = None,
    state: JobState | None = None,
    with_total: bool = True,
) -> Page[Any]:
    _require_job_table()
    statement = select_view(Job)
    if state is not None:
        statement = statement.where(col(Job.state) == state.value)
    return await newest_first(
        session, statement, Job, first=first, after=after, with_total=with_total
    )


async def retry_job(session: AsyncSession, job_id: uuid.UUID) -> Job:
    """Put a dead-lettered job back in its queue, to run now."""
    _require_job_table()
    job = await session.get(Job, job_id)
    if job is None:
        raise NotFound(f"no job with id {job_id}", field="id")
    if job.state != JobState.DEAD.value:
        raise ValidationFailed(
            f"job {job_id} is {job.state}; only dead jobs can be retried", field="id"
        )
    await session.execute(
        update(Job)
        .where(col(Job.id) == job_id)
        .values(state=JobState.QUEUED.value, eta=func.now(), finished_at=None)
    )
    await session.execute(text(f"NOTIFY {CHANNEL}"))
    await session.refresh(job)
    return job


def _require_job_table() -> None:
    # Only the Postgres broker keeps jobs as rows; an empty list would suggest "no jobs".
    if get_settings().broker_url:
        raise ServiceUnavailable(
            "the jobs list and retryJob are only available with the Postgres broker;"
            " with COMPOUND_BROKER_URL set, jobs and dead letters live in Redis"
        )
