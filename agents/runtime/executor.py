"""Advancing a run: replay its journal, run its engine until it finishes, fails or waits;
then tell its parent (the join) and account for crashes."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from compound.agents.inbox.items import Evidence, open_item
from compound.agents.inbox.models import ItemKind
from compound.agents.runtime.agent import Agent, agent_named
from compound.agents.runtime.context import (
    RunContext,
    RunFailure,
    Suspended,
    validation_message,
)
from compound.agents.runtime.model_engine import run_with_model
from compound.agents.runtime.models import AgentRun, Engine, RunState, RunStep, StepKind
from compound.platform.clock import utcnow
from compound.platform.errors import CompoundError
from compound.platform.events import INBOX_CHANNEL, publish
from compound.platform.llm.gateway import ModelGateway
from compound.platform.llm.models import LLMCall
from compound.platform.queue.service import enqueue

CRASHES_BEFORE_GIVING_UP = 2


async def _locked_run(session: AsyncSession, run_id: uuid.UUID) -> AgentRun | None:
    # Two jobs for one run (a retry racing a resume) take turns instead of interleaving.
    statement = select(AgentRun).where(col(AgentRun.id) == run_id).with_for_update()
    return (await session.execute(statement)).scalar_one_or_none()


async def _journal(session: AsyncSession, run_id: uuid.UUID) -> list[RunStep]:
    statement = select(RunStep).where(col(RunStep.run_id) == run_id).order_by(RunStep.position)  # type: ignore[arg-type]
    return list((await session.execute(statement)).scalars())


async def advance(
    session: AsyncSession,
    run_id: uuid.UUID,
    *,
    gateway: ModelGateway | None,
    call_log: list[LLMCall] | None = None,
) -> None:
    """Move a run as far as it can go now. Safe to call twice: a finished run is left alone,
    a waiting one whose wait is not over goes back to waiting."""
    run = await _locked_run(session, run_id)
    if run is None or RunState(run.state).finished:
        return
    try:
        agent = agent_named(run.agent)
    except CompoundError as error:
        await fail_run(session, run, error.message, title=f"{run.title}: {error.message}")
        return
    context = RunContext(
        session=session,
        run=run,
        agent=agent,
        journal=await _journal(session, run.id),
        gateway=gateway,
    )
    if call_log is not None:
        context.call_records = call_log
    run.state, run.waiting_for = RunState.RUNNING.value, None
    run.started_at = run.started_at or utcnow()
    try:
        output = await run_engine(context, agent, run.input)
    except Suspended as suspension:
        run.state, run.waiting_for = RunState.WAITING.value, suspension.waiting_for
        run.updated_at = utcnow()
        return
    except RunFailure as failure:
        await fail_run(session, run, failure.message, title=failure.title, context=context)
        return
    except CompoundError as error:
        await fail_run(
            session, run, error.message, title=f"{run.title}: {error.message}", context=context
        )
        return
    run.output = output
    await _record_last(context, StepKind.OUTPUT, "output", output)
    await _finish(session, run, RunState.DONE)


async def run_engine(context: RunContext, agent: Agent[Any, Any], raw_input: Any) -> dict[str, Any]:
    """Run the run's engine on its input; returns the output as JSON, checked by the schema."""
    try:
        value = agent.parse_input(raw_input)
    except ValidationError as error:
        raise RunFailure(
            f"the input does not fit {agent.name}'s input schema: {validation_message(error)}",
            title=f"{context.run.title}: its input is invalid",
        ) from None
    if context.engine is Engine.MODEL:
        output = await run_with_model(context, value)
    else:
        output = await agent.offline(context, value)
    try:
        checked = agent.output_schema.model_validate(output.model_dump())
    except (ValidationError, AttributeError) as error:
        detail = validation_message(error) if isinstance(error, ValidationError) else str(error)
        raise RunFailure(
            f"{agent.name}'s {context.engine.value} engine returned output that does not fit "
            f"its schema: {detail}"
        ) from None
    result: dict[str, Any] = checked.model_dump(mode="json")
    return result


async def _record_last(context: RunContext, kind: StepKind, name: str, result: Any) -> None:
    # Written once, at the end; a replay never reaches it because the run is finished.
    await context._record(kind, name, result=result)


async def fail_run(
    session: AsyncSession,
    run: AgentRun,
    message: str,
    *,
    title: str,
    evidence: Sequence[Evidence] = (),
    context: RunContext | None = None,
) -> None:
    """Stop a run cleanly: the failure on the run, an exception item in the Inbox."""
    run.error = message[:4_000]
    if context is not None:
        await _record_last(context, StepKind.FAILURE, "failure", {"message": run.error})
    await open_item(
        session,
        kind=ItemKind.EXCEPTION,
        run_id=run.id,
        root_run_id=run.root_id,
        title=title,
        explanation=message,
        evidence=evidence,
    )
    await _finish(session, run, RunState.FAILED)


async def _finish(session: AsyncSession, run: AgentRun, state: RunState) -> None:
    from compound.agents.runtime import tasks  # the actor module imports this one

    run.state, run.waiting_for = state.value, None
    run.finished_at = run.updated_at = utcnow()
    await session.flush()
    # Live pages (Runs, a run's detail) refetch when this commits: a fan-out's 12/50 moves.
    event = {"type": "run_finished", "id": str(run.id), "root_run_id": str(run.root_id)}
    await publish(session, INBOX_CHANNEL, {**event, "state": run.state, "agent": run.agent})
    if run.parent_id is None:
        return
    # One UPDATE … RETURNING: of children finishing at once, exactly one sees the last count.
    row = (
        await session.execute(
            update(AgentRun)
            .where(col(AgentRun.id) == run.parent_id)
            .values(children_finished=col(AgentRun.children_finished) + 1)
            .returning(
                col(AgentRun.children_finished),
                col(AgentRun.children_total),
                col(AgentRun.state),
                col(AgentRun.waiting_for),
            )
        )
    ).one_or_none()
    if row is None:
        return
    finished, total, parent_state, waiting_for = row
    if finished >= total and parent_state == RunState.WAITING.value and waiting_for == "children":
        await enqueue(session, tasks.advance_run, run_id=str(run.parent_id))


async def record_crash(
    session: AsyncSession,
    run_id: uuid.UUID,
    error: BaseException,
    call_log: Sequence[LLMCall] = (),
) -> None:
    """After an advance raised something unexpected (and rolled back): retry it later once,
    then give up with an exception item. Model calls it made stay on record."""
    from compound.agents.runtime import tasks

    for call in call_log:
        session.add(LLMCall(**call.model_dump(exclude={"id"})))
    run = await _locked_run(session, run_id)
    if run is None or RunState(run.state).finished:
        return
    run.crashes += 1
    description = f"{type(error).__name__}: {error}"[:2_000]
    if run.crashes < CRASHES_BEFORE_GIVING_UP:
        run.state, run.error = RunState.QUEUED.value, f"crashed, retrying: {description}"
        await enqueue(
            session, tasks.advance_run, delay=timedelta(seconds=2**run.crashes), run_id=str(run_id)
        )
        return
    await fail_run(
        session,
        run,
        f"{run.agent} crashed {run.crashes} times; last: {description}",
        title=f"{run.title}: crashed and gave up",
    )
