"""Runs the queued `agents.advance_run` jobs of the test's transaction in-process, one after
another, through the same function the worker's actor calls."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from compound.agents.runtime.tasks import advance_run_now
from compound.platform.llm.gateway import ModelGateway
from compound.platform.queue.models import Job


async def drive(
    session: AsyncSession,
    *,
    gateway: ModelGateway | None = None,
    most: int | None = None,
    limit: int = 200,
) -> int:
    """Advance runs until no advance job is due (or `most` advances ran); returns the count."""
    ran = 0
    while ran < limit:
        if most is not None and ran >= most:
            return ran
        job = (
            await session.execute(
                select(Job)
                .where(col(Job.actor_name) == "agents.advance_run")
                .where(col(Job.state) == "queued")
                .where(col(Job.eta) <= func.now())
                .order_by(col(Job.created_at), col(Job.id))
                .limit(1)
            )
        ).scalar_one_or_none()
        if job is None:
            return ran
        job.state = "done"
        await session.commit()
        # As in the worker: each advance is its own unit of work.
        await advance_run_now(session, job.message["kwargs"]["run_id"], gateway=gateway)
        await session.commit()
        ran += 1
    raise AssertionError(f"runs still advancing after {limit} advances")
