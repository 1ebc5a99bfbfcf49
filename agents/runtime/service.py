"""Starting runs and reading them back: what GraphQL, modules and the CLI call."""

from __future__ import annotations

import uuid
from typing import Any

from pydantic import BaseModel, ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from compound.agents.runtime import tasks
from compound.agents.runtime.agent import Agent
from compound.agents.runtime.context import validation_message
from compound.agents.runtime.gateway import model_gateway
from compound.agents.runtime.models import RUN_TITLE_MAX, AgentRun, Engine, RunState, RunStep
from compound.platform.auth.actor import Actor
from compound.platform.errors import NotFound, ValidationFailed
from compound.platform.queue.service import enqueue
from compound.platform.records.lookups import select_view
from compound.platform.records.paging import Page, newest_first
from compound.platform.records.rules import optional_text
from compound.platform.records.timeline import record_change


def configured_engine(agent: Agent[Any, Any]) -> Engine:
    """The model when an endpoint is configured and the agent has a prompt; else offline."""
    return Engine.MODEL if model_gateway().available and agent.instructions else Engine.OFFLINE


async def start_run(
    session: AsyncSession,
    actor: Actor,
    agent: Agent[Any, Any],
    value: BaseModel | dict[str, Any],
    *,
    engine: Engine | None = None,
) -> AgentRun:
    """Create a root run and its job in the caller's transaction."""
    actor.require_scope("write")
    raw = value.model_dump(mode="json") if isinstance(value, BaseModel) else value
    try:
        parsed = agent.parse_input(raw)
    except ValidationError as error:
        raise ValidationFailed(
            f"the input for {agent.name} is invalid: {validation_message(error)}", field="input"
        ) from None
    run_id = uuid.uuid4()
    run = AgentRun(
        id=run_id,
        agent=agent.name,
        title=" ".join(agent.run_title(parsed).split())[:RUN_TITLE_MAX] or agent.name,
        engine=(engine or configured_engine(agent)).value,
        tier=agent.tier.value,
        root_id=run_id,
        input=parsed.model_dump(mode="json"),
        tainted=agent.untrusted_input,
        started_by=actor.label,
    )
    session.add(run)
    await session.flush()
    await enqueue(session, tasks.advance_run, run_id=str(run.id))
    await record_change(
        session,
        actor,
        action="run.started",
        subject_type="agent_run",
        subject_id=run.id,
        summary=f"started {agent.name}: {run.title}",
        after={"agent": agent.name, "engine": run.engine},
    )
    return run


async def get_run(session: AsyncSession, run_id: uuid.UUID) -> AgentRun:
    run = await session.get(AgentRun, run_id)
    if run is None:
        raise NotFound(f"no run with id {run_id}", field="id")
    return run


async def run_steps(session: AsyncSession, run_id: uuid.UUID) -> list[RunStep]:
    statement = select(RunStep).where(col(RunStep.run_id) == run_id).order_by(col(RunStep.position))
    return list((await session.execute(statement)).scalars())


async def child_runs(session: AsyncSession, run_id: uuid.UUID) -> list[AgentRun]:
    statement = (
        select(AgentRun)
        .where(col(AgentRun.parent_id) == run_id)
        .order_by(col(AgentRun.created_at), col(AgentRun.id))
    )
    return list((await session.execute(statement)).scalars())


async def list_runs(
    session: AsyncSession,
    *,
    first: int,
    after: str | None = None,
    state: RunState | None = None,
    agent: str | None = None,
    with_total: bool = True,
) -> Page[Any]:
    """Newest first; filtered by state and agent name."""
    agent = optional_text(agent, field="agent", max_length=100)  # the column's width
    statement = select_view(AgentRun)
    if state is not None:
        statement = statement.where(col(AgentRun.state) == state.value)
    if agent is not None:
        statement = statement.where(col(AgentRun.agent) == agent)
    return await newest_first(
        session, statement, AgentRun, first=first, after=after, with_total=with_total
    )
