"""The runtime's actor: advance one run (start it, resume it after a wait, retry a crash)."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from compound.agents.runtime import executor
from compound.agents.runtime.gateway import model_gateway
from compound.platform.llm.gateway import ModelGateway
from compound.platform.llm.models import LLMCall
from compound.platform.queue.actors import job


async def advance_run_now(
    session: AsyncSession, run_id: str, gateway: ModelGateway | None = None
) -> None:
    """What the actor runs, callable in-process: a crash is rolled back, counted and retried
    once, then reported — never left as a half-advanced run."""
    call_log: list[LLMCall] = []
    try:
        await executor.advance(
            session, uuid.UUID(run_id), gateway=gateway or model_gateway(), call_log=call_log
        )
    except Exception as error:
        await session.rollback()
        await executor.record_crash(session, uuid.UUID(run_id), error, call_log)


advance_run = job("agents.advance_run", max_retries=5)(advance_run_now)
