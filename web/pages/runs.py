"""Runs: running and recent agent runs with their fan-out progress, tokens and cost; a run's
detail with its fields, family (parent, root, children) and step timeline; Undo run."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Annotated, Any, Final

from litestar import Response, get, post
from litestar.params import PathParameter, QueryParameter
from litestar.response import Template
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from compound.agents.runtime.models import AgentRun, RunState, RunStep, StepKind
from compound.agents.runtime.service import child_runs, get_run, list_runs
from compound.agents.runtime.undo import UndoReport, undo_refusal, undo_run
from compound.platform.auth.sessions import Visitor
from compound.platform.errors import CompoundError, NotFound
from compound.platform.pages import can_write, http_status, message_page, writes

PAGE_SIZE: Final = 50
STEPS_SHOWN: Final = 500
CHILDREN_SHOWN: Final = 500
VIEWERS_CANNOT: Final = "viewers cannot undo runs"
STATES: Final = [state.value for state in RunState]


@dataclass(frozen=True)
class StepView:
    position: int
    kind: str
    name: str
    arguments_json: str | None
    result_json: str | None
    error: str | None
    latency_ms: float
    tokens: int
    cost_usd: float

    @property
    def is_policy(self) -> bool:
        return self.kind == StepKind.POLICY.value


def _pretty(value: Any) -> str | None:
    if value is None:
        return None
    return json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True, default=str)


def _step_view(step: RunStep) -> StepView:
    return StepView(
        position=step.position,
        kind=step.kind,
        name=step.name,
        arguments_json=_pretty(step.arguments),
        result_json=_pretty(step.result),
        error=step.error,
        latency_ms=step.latency_ms,
        tokens=step.prompt_tokens + step.completion_tokens,
        cost_usd=step.cost_usd,
    )


async def _steps(session: AsyncSession, run_id: uuid.UUID) -> list[RunStep]:
    """The first STEPS_SHOWN steps, in order (the service's run_steps reads them all)."""
    statement = (
        select(RunStep)
        .where(col(RunStep.run_id) == run_id)
        .order_by(col(RunStep.position))
        .limit(STEPS_SHOWN)
    )
    return list((await session.execute(statement)).scalars())


# --- the list -------------------------------------------------------------------------------


@get("/runs", name="runs")
async def runs_page(
    session: AsyncSession,
    signed_in: Visitor,
    # `state` is a name Litestar reserves for the app's state: the query key, renamed.
    wanted: Annotated[str | None, QueryParameter(name="state", max_length=20)] = None,
    after: Annotated[str | None, QueryParameter(max_length=2_000)] = None,
) -> Response[Any]:
    """Running and recent runs, newest first; filtered by state; cursor paging."""
    chosen: RunState | None = None
    error: str | None = None
    rows: list[Any] = []
    total: int | None = None
    next_cursor: str | None = None
    if wanted:
        try:
            chosen = RunState(wanted)
        except ValueError:
            error = f"state: choose one of {', '.join(STATES)}"
    if error is None:
        try:
            page = await list_runs(session, first=PAGE_SIZE, after=after or None, state=chosen)
            rows, total = page.items, page.total_count
            next_cursor = page.end_cursor if page.has_next_page else None
        except CompoundError as failure:  # a stale or forged cursor
            error = failure.message
    return Template(
        template_name="runs.html",
        context={
            "visitor": signed_in,
            "active": "runs",
            "rows": rows,
            "total": total,
            "state": chosen.value if chosen else "",
            "states": STATES,
            "next_cursor": next_cursor,
            "error": error,
        },
        status_code=400 if error else 200,
    )


# --- the detail -----------------------------------------------------------------------------


async def _run_page(
    session: AsyncSession,
    signed_in: Visitor,
    run_id: uuid.UUID,
    *,
    report: UndoReport | None = None,
    problem: str | None = None,
    status_code: int = 200,
) -> Template:
    run = await get_run(session, run_id)
    parent = await session.get(AgentRun, run.parent_id) if run.parent_id else None
    root = await session.get(AgentRun, run.root_id) if run.root_id != run.id else None
    children = await child_runs(session, run.id)
    steps = await _steps(session, run.id)
    # Offered only when the service would do it: not while a run of the task is going.
    not_now = await undo_refusal(session, run.id) if can_write(signed_in) else None
    return Template(
        template_name="run.html",
        context={
            "visitor": signed_in,
            "active": "runs",
            "csrf": signed_in.csrf_token,
            "can_undo": can_write(signed_in) and not_now is None,
            "undo_not_now": not_now,
            "run": run,
            "parent": parent,
            "root": root,
            "children": children[:CHILDREN_SHOWN],
            "children_count": len(children),
            "steps": [_step_view(step) for step in steps],
            "step_count": max(run.step_count, len(steps)),
            "steps_shown": STEPS_SHOWN,
            "report": report,
            "problem": problem,
        },
        status_code=status_code,
    )


def _not_found(run_id: uuid.UUID) -> Template:
    return message_page("Not found", f"there is no run with id {run_id}", status_code=404)


@get("/runs/{run_id:uuid}", name="run")
async def run_page(
    session: AsyncSession, signed_in: Visitor, run_id: Annotated[uuid.UUID, PathParameter()]
) -> Response[Any]:
    """One run: its fields, parent, root, children and step timeline."""
    try:
        return await _run_page(session, signed_in, run_id)
    except NotFound:
        return _not_found(run_id)


@post(
    "/runs/{run_id:uuid}/undo",
    status_code=200,
    opt=writes("/runs/{run_id}", viewers_cannot=VIEWERS_CANNOT),
)
async def undo_run_submit(
    session: AsyncSession, signed_in: Visitor, run_id: Annotated[uuid.UUID, PathParameter()]
) -> Response[Any]:
    """Undo what the run and its descendants wrote; the run page with the report."""
    try:
        # A savepoint: a refused undo leaves nothing behind, the session goes on.
        async with session.begin_nested():
            report = await undo_run(session, signed_in.actor, run_id)
    except NotFound:
        return _not_found(run_id)
    except CompoundError as error:
        return await _run_page(
            session,
            signed_in,
            run_id,
            problem=error.message,
            status_code=http_status(error),
        )
    return await _run_page(session, signed_in, run_id, report=report)
