"""What an engine sees while it runs: tool calls through the policy, model calls, questions,
children — each journaled as a step, so a resumed run replays instead of redoing."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from compound.agents.inbox.items import Evidence, open_item
from compound.agents.inbox.models import InboxItem, ItemKind, ItemStatus
from compound.agents.runtime.agent import Agent
from compound.agents.runtime.models import AgentRun, Engine, RunState, RunStep, StepKind
from compound.agents.runtime.tools import Effect, Tool
from compound.platform.auth.actor import Actor, AgentProvenance
from compound.platform.errors import CompoundError
from compound.platform.llm.gateway import (
    CallRecord,
    Completion,
    ModelGateway,
    OutputSchema,
    Tier,
    ToolCall,
    ToolSpec,
)
from compound.platform.llm.models import LLMCall
from compound.platform.queue.service import enqueue

ERROR_TEXT_MAX = 4_000


class Suspended(Exception):
    """The run waits for a person or for its children; it resumes through the queue."""

    def __init__(self, waiting_for: str) -> None:
        super().__init__(waiting_for)
        self.waiting_for = waiting_for


class RunFailure(CompoundError):
    """The run cannot finish; it stops cleanly and reports an exception item."""

    code = "RUN_FAILED"

    def __init__(
        self, message: str, *, title: str | None = None, evidence: Sequence[Evidence] = ()
    ) -> None:
        super().__init__(message)
        self.title = title or message
        self.evidence = tuple(evidence)


class BudgetExhausted(RunFailure):
    code = "BUDGET_EXHAUSTED"


class ToolNotAllowed(RunFailure):
    code = "TOOL_NOT_ALLOWED"


class ToolFailed(CompoundError):
    """A tool raised a domain error; its writes were rolled back (a savepoint)."""

    code = "TOOL_FAILED"


class ActionRejected(CompoundError):
    """A person rejected the action this run proposed."""

    code = "ACTION_REJECTED"


class QuestionDismissed(CompoundError):
    code = "QUESTION_DISMISSED"


@dataclass(frozen=True)
class ChildResult:
    run_id: uuid.UUID
    agent: str
    state: RunState
    output: dict[str, Any] | None
    error: str | None


def json_safe(value: Any) -> Any:
    """A tool's result as JSON: Pydantic models dumped, ids and dates as strings."""
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    return json.loads(json.dumps(value, default=str))


def validation_message(error: ValidationError) -> str:
    """Pydantic's errors as one line each, naming the field: what the model and people read."""
    lines = []
    for problem in error.errors(include_url=False)[:20]:
        where = ".".join(str(part) for part in problem["loc"]) or "(root)"
        lines.append(f"{where}: {problem['msg']}")
    return "; ".join(lines)


def agent_actor(run: AgentRun) -> Actor:
    """Who an agent's writes are attributed to in the timeline and the audit log."""
    return Actor(
        label=f"agent:{run.agent}",
        scopes=frozenset({"read", "write"}),
        role="agent",
        provenance=AgentProvenance(run_id=run.id, agent=run.agent),
    )


class RunContext:
    """One advance of one run. `session` is None when an engine runs detached (evals)."""

    def __init__(
        self,
        *,
        session: AsyncSession | None,
        run: AgentRun,
        agent: Agent[Any, Any],
        journal: Sequence[RunStep],
        gateway: ModelGateway | None,
    ) -> None:
        self.session = session
        self.run = run
        self.agent = agent
        self.actor = agent_actor(run)
        self._journal = list(journal)
        self._cursor = 0
        self._gateway = gateway
        self.call_records: list[LLMCall] = []
        """Model calls made in this advance, kept to re-add if the advance rolls back."""

    @property
    def engine(self) -> Engine:
        return Engine(self.run.engine)

    @property
    def replaying(self) -> bool:
        return self._cursor < len(self._journal)

    def require_session(self) -> AsyncSession:
        if self.session is None:
            raise RunFailure("this step needs the database, and the run is detached (an eval)")
        return self.session

    # --- the journal -----------------------------------------------------------------

    def _replay(self, kind: StepKind, name: str) -> RunStep | None:
        if self._cursor >= len(self._journal):
            return None
        step = self._journal[self._cursor]
        if step.kind != kind.value or step.name != name:
            raise RunFailure(
                f"the run took a different path when resumed: step {step.position} was "
                f"{step.kind} {step.name!r}, now {kind.value} {name!r}",
                title=f"{self.run.agent} could not resume: its steps changed",
            )
        self._cursor += 1
        return step

    async def _record(
        self,
        kind: StepKind,
        name: str,
        *,
        arguments: Mapping[str, Any] | None = None,
        result: Any = None,
        error: str | None = None,
        latency_ms: float = 0.0,
        prompt_tokens: int = 0,
        completion_tokens: int = 0,
        cost_usd: float = 0.0,
    ) -> RunStep:
        step = RunStep(
            run_id=self.run.id,
            position=len(self._journal),
            kind=kind.value,
            name=name[:200],
            arguments=dict(arguments) if arguments is not None else None,
            result=result,
            error=error[:ERROR_TEXT_MAX] if error else None,
            latency_ms=latency_ms,
            prompt_tokens=prompt_tokens,
            completion_tokens=completion_tokens,
            cost_usd=cost_usd,
        )
        self._journal.append(step)
        self._cursor = len(self._journal)
        self.run.step_count = len(self._journal)
        self.run.prompt_tokens += prompt_tokens
        self.run.completion_tokens += completion_tokens
        self.run.cost_usd += cost_usd
        if self.session is not None:
            self.session.add(step)
            await self.session.flush()
        return step

    def _skip_step(self, kind: StepKind, name: str) -> None:
        if self._cursor < len(self._journal):
            step = self._journal[self._cursor]
            if step.kind == kind.value and step.name == name:
                self._cursor += 1

    def _check_budget(self) -> None:
        budget = self.agent.budget
        tokens = self.run.prompt_tokens + self.run.completion_tokens
        reason = None
        if self.run.step_count >= budget.max_steps:
            reason = f"{self.run.step_count} steps (the limit is {budget.max_steps})"
        elif tokens >= budget.max_tokens:
            reason = f"{tokens} tokens (the limit is {budget.max_tokens})"
        elif self.run.cost_usd >= budget.max_cost_usd:
            reason = f"${self.run.cost_usd:.4f} (the limit is ${budget.max_cost_usd:.2f})"
        if reason:
            raise BudgetExhausted(
                f"{self.agent.name} stopped: its budget is used up after {reason}",
                title=f"{self.run.title}: stopped, budget used up ({reason})",
            )

    async def note_policy(self, name: str, detail: Mapping[str, Any]) -> None:
        """Journal a policy decision (a refusal, an escalation): visible on the run."""
        if self._replay(StepKind.POLICY, name) is None:
            await self._record(StepKind.POLICY, name, result=dict(detail))

    # --- tools -----------------------------------------------------------------------

    async def call(self, name: str, arguments: BaseModel | Mapping[str, Any]) -> Any:
        """Call one of the agent's tools through the policy; returns its JSON result.

        Raises ToolNotAllowed for a tool outside the agent's set, ToolFailed when the tool
        refuses, ActionRejected when a person said no, Suspended while approval is pending.
        """
        tool = self.agent.tool_named(name)
        if tool is None:
            await self.note_policy(
                "tool_refused",
                {"tool": name, "reason": "not among the agent's declared tools"},
            )
            raise ToolNotAllowed(
                f"{self.agent.name} may not call {name!r}; its tools are: "
                f"{', '.join(t.name for t in self.agent.tools) or 'none'}"
            )
        raw = arguments.model_dump(mode="json") if isinstance(arguments, BaseModel) else arguments
        try:
            validated = tool.arguments.model_validate(raw)
        except ValidationError as error:
            raise ToolFailed(
                f"arguments for {name} are invalid: {validation_message(error)}"
            ) from None
        if self.replaying:
            # Follow the journal, not today's taint: the run may have become tainted later.
            self._skip_step(StepKind.POLICY, "approval_required")
            self._skip_step(StepKind.POLICY, "approval_waived")
            step = self._replay(StepKind.TOOL_CALL, name)
            if step is not None:
                return await self._replayed_tool_call(tool, step)
        self._check_budget()
        evidence: tuple[Evidence, ...] = ()
        if tool.prepare is not None:
            validated, evidence = await self._prepare(tool, validated)
        if tool.effect is Effect.EXTERNAL and self.run.tainted:
            waived = await tool.approval_waiver(self, validated) if tool.approval_waiver else None
            if waived is None:
                return await self._ask_approval(tool, validated, evidence=evidence)
            await self.note_policy("approval_waived", {"tool": tool.name, "reason": waived})
        return await self._execute(tool, validated, step=None)

    async def _prepare(
        self, tool: Tool, arguments: BaseModel
    ) -> tuple[BaseModel, tuple[Evidence, ...]]:
        """The tool's own completion of its arguments (recipients from the stored message),
        checked by its schema again. A refusal is journaled as the call's failure, so a
        resumed run replays it instead of taking another path."""
        assert tool.prepare is not None
        try:
            prepared = await tool.prepare(self, arguments)
            completed = tool.arguments.model_validate(prepared.arguments.model_dump(mode="json"))
        except CompoundError as failure:
            error = failure.message
        except ValidationError as invalid:
            error = f"arguments for {tool.name} are invalid: {validation_message(invalid)}"
        else:
            return completed, prepared.evidence
        await self._record(
            StepKind.TOOL_CALL,
            tool.name,
            arguments=arguments.model_dump(mode="json"),
            result={"value": None},
            error=error,
        )
        raise ToolFailed(error)

    async def _execute(self, tool: Tool, arguments: BaseModel, *, step: RunStep | None) -> Any:
        started = time.perf_counter()
        session = self.session
        caller, self.actor = self.actor, self.actor.in_tool(tool.name)
        try:
            if session is not None and tool.effect is not Effect.READ:
                # A tool is all or nothing: a refusal half-way leaves no half-written record.
                # (A read tool writes nothing, so it needs no savepoint.)
                async with session.begin_nested():
                    value = await tool.function(self, arguments)
            else:
                value = await tool.function(self, arguments)
            result = json_safe(value)
            error = None
        except CompoundError as failure:
            result, error = None, failure.message
        finally:
            self.actor = caller
        latency = (time.perf_counter() - started) * 1000
        if tool.reads_untrusted:
            self.run.tainted = True
        arguments_json = arguments.model_dump(mode="json")
        if step is None:
            await self._record(
                StepKind.TOOL_CALL,
                tool.name,
                arguments=arguments_json,
                result={"value": result},
                error=error,
                latency_ms=latency,
            )
        else:
            step.result = {**(step.result or {}), "value": result}
            step.arguments = arguments_json
            step.error = error
            step.latency_ms = latency
        if error is not None:
            raise ToolFailed(error)
        return result

    async def _replayed_tool_call(self, tool: Tool, step: RunStep) -> Any:
        recorded = step.result or {}
        approval = recorded.get("approval")
        if approval is not None and "value" not in recorded and step.error is None:
            item = await self.require_session().get(InboxItem, uuid.UUID(approval["item"]))
            status = ItemStatus(item.status) if item is not None else ItemStatus.DISMISSED
            if status is ItemStatus.OPEN:
                raise Suspended("approval")
            decided_by = item.decided_by if item is not None else "unknown"
            step.result = {**recorded, "approval": {**approval, "status": status.value}}
            if status is not ItemStatus.APPROVED:
                step.error = f"{status.value} by {decided_by}"
                raise ActionRejected(f"{tool.name} was {status.value} by {decided_by}")
            approved = (item.decision or {}).get("arguments") if item is not None else None
            arguments = tool.arguments.model_validate(approved or step.arguments or {})
            return await self._execute(tool, arguments, step=step)
        if step.error is not None:
            if approval is not None and approval.get("status") != ItemStatus.APPROVED.value:
                raise ActionRejected(step.error)
            raise ToolFailed(step.error)
        return recorded.get("value")

    async def _ask_approval(
        self, tool: Tool, arguments: BaseModel, *, evidence: Sequence[Evidence] = ()
    ) -> Any:
        session = self.require_session()
        arguments_json = arguments.model_dump(mode="json")
        await self.note_policy(
            "approval_required",
            {
                "tool": tool.name,
                "reason": "the run read untrusted content and the tool leaves Compound",
            },
        )
        position = len(self._journal)
        item = await open_item(
            session,
            kind=ItemKind.APPROVAL,
            run_id=self.run.id,
            root_run_id=self.run.root_id,
            title=f"Approve {tool.name.replace('_', ' ')}: {self.run.title}",
            explanation=(
                f"{self.agent.name} wants to call {tool.name}, which leaves Compound. "
                "The run read untrusted content (email or web), so a person decides."
            ),
            evidence=evidence,
            proposal={"tool": tool.name, "arguments": arguments_json},
            step_position=position,
        )
        await self._record(
            StepKind.TOOL_CALL,
            tool.name,
            arguments=arguments_json,
            result={"approval": {"item": str(item.id), "status": ItemStatus.OPEN.value}},
        )
        raise Suspended("approval")

    # --- questions -------------------------------------------------------------------

    async def ask(
        self,
        question: str,
        *,
        choices: Sequence[str] = (),
        explanation: str = "",
        evidence: Sequence[Evidence] = (),
    ) -> str:
        """Ask a person; the run waits and this returns their answer when it resumes."""
        step = self._replay(StepKind.QUESTION, "ask")
        if step is not None:
            recorded = step.result or {}
            if "answer" in recorded:
                return str(recorded["answer"])
            item = await self.require_session().get(InboxItem, uuid.UUID(recorded["item"]))
            if item is None or item.status == ItemStatus.OPEN.value:
                raise Suspended("answer")
            if item.status != ItemStatus.ANSWERED.value:
                step.error = f"{item.status} by {item.decided_by}"
                raise QuestionDismissed(f"the question was {item.status} by {item.decided_by}")
            answer = str((item.decision or {}).get("answer", ""))
            step.result = {**recorded, "answer": answer}
            return answer
        session = self.require_session()
        item = await open_item(
            session,
            kind=ItemKind.QUESTION,
            run_id=self.run.id,
            root_run_id=self.run.root_id,
            title=question,
            explanation=explanation,
            evidence=evidence,
            proposal={"choices": list(choices)} if choices else None,
            step_position=len(self._journal),
        )
        await self._record(
            StepKind.QUESTION,
            "ask",
            arguments={"question": question, "choices": list(choices)},
            result={"item": str(item.id)},
        )
        raise Suspended("answer")

    async def report_exception(
        self, title: str, *, explanation: str = "", evidence: Sequence[Evidence] = ()
    ) -> None:
        """Tell a person about a part the run could not do, and carry on with the rest."""
        await self._tell(ItemKind.EXCEPTION, title, explanation=explanation, evidence=evidence)

    async def report(
        self, title: str, *, explanation: str = "", evidence: Sequence[Evidence] = ()
    ) -> None:
        """Leave a summary for a person (a finished batch's ledger); nothing waits on it."""
        await self._tell(ItemKind.REPORT, title, explanation=explanation, evidence=evidence)

    async def _tell(
        self,
        kind: ItemKind,
        title: str,
        *,
        explanation: str,
        evidence: Sequence[Evidence],
    ) -> None:
        step_name = f"{kind.value}_reported"
        if self._replay(StepKind.POLICY, step_name) is not None:
            return
        if self.session is not None:
            await open_item(
                self.session,
                kind=kind,
                run_id=self.run.id,
                root_run_id=self.run.root_id,
                title=title,
                explanation=explanation,
                evidence=evidence,
            )
        await self._record(StepKind.POLICY, step_name, result={"title": title[:300]})

    # --- children --------------------------------------------------------------------

    async def start_children(
        self, agent: Agent[Any, Any], inputs: Sequence[BaseModel]
    ) -> list[uuid.UUID]:
        """Fan out: one child run per input, each a job, all started when this advance commits."""
        step = self._replay(StepKind.CHILDREN, agent.name)
        if step is not None:
            return [uuid.UUID(value) for value in (step.result or {}).get("runs", [])]
        session = self.require_session()
        from compound.agents.runtime import tasks  # the actor module imports this one

        children = []
        for value in inputs:
            validated = agent.input_schema.model_validate(value.model_dump())
            child = AgentRun(
                agent=agent.name,
                title=agent.run_title(validated)[:300],
                engine=self.run.engine,
                tier=agent.tier.value,
                parent_id=self.run.id,
                root_id=self.run.root_id,
                input=validated.model_dump(mode="json"),
                # What a tainted parent hands down was derived from untrusted content.
                tainted=self.run.tainted or agent.untrusted_input,
                started_by=self.actor.label,
            )
            session.add(child)
            children.append(child)
        await session.flush()
        for child in children:
            await enqueue(session, tasks.advance_run, run_id=str(child.id))
        self.run.children_total += len(children)
        await self._record(
            StepKind.CHILDREN,
            agent.name,
            arguments={"count": len(children)},
            result={"runs": [str(child.id) for child in children]},
        )
        return [child.id for child in children]

    async def wait_for_children(self) -> list[ChildResult]:
        """The join: suspends until every child has finished, then returns their results."""
        if self.run.children_finished < self.run.children_total:
            raise Suspended("children")
        rows = (
            await self.require_session().execute(
                select(AgentRun)
                .where(col(AgentRun.parent_id) == self.run.id)
                .order_by(col(AgentRun.created_at), col(AgentRun.id))
            )
        ).scalars()
        return [
            ChildResult(
                run_id=row.id,
                agent=row.agent,
                state=RunState(row.state),
                output=row.output,
                error=row.error,
            )
            for row in rows
        ]

    # --- model calls -----------------------------------------------------------------

    async def model_call(
        self,
        *,
        tier: Tier,
        messages: Sequence[Mapping[str, Any]],
        tools: Sequence[ToolSpec],
        output: OutputSchema,
    ) -> Completion:
        step = self._replay(StepKind.MODEL_CALL, f"model:{tier.value}")
        if step is not None:
            return _completion_from_step(step, tier)
        self._check_budget()
        if self._gateway is None:
            raise RunFailure("the run uses a model and no model endpoint is configured")

        async def record(call: CallRecord) -> None:
            row = LLMCall(
                agent=self.agent.name,
                run_id=self.run.id,
                model=call.model,
                tier=call.tier.value,
                outcome=call.outcome.value,
                prompt_tokens=call.prompt_tokens,
                completion_tokens=call.completion_tokens,
                cost_usd=call.cost_usd,
                latency_ms=call.latency_ms,
                error=call.error,
            )
            self.call_records.append(row)
            if self.session is not None:
                self.session.add(row)

        completion = await self._gateway.complete(
            tier=tier,
            messages=messages,
            tools=tools,
            output=output,
            models=self.agent.models,
            record=record,
        )
        await self._record(
            StepKind.MODEL_CALL,
            f"model:{tier.value}",
            arguments={"model": completion.model, "messages": len(messages)},
            result={
                "content": completion.content,
                "tool_calls": [
                    {"id": c.id, "name": c.name, "arguments": c.arguments}
                    for c in completion.tool_calls
                ],
                "finish_reason": completion.finish_reason,
                "model": completion.model,
            },
            latency_ms=completion.latency_ms,
            prompt_tokens=completion.prompt_tokens,
            completion_tokens=completion.completion_tokens,
            cost_usd=completion.cost_usd,
        )
        return completion


def _completion_from_step(step: RunStep, tier: Tier) -> Completion:
    recorded = step.result or {}
    return Completion(
        model=str(recorded.get("model", "")),
        tier=tier,
        content=recorded.get("content"),
        tool_calls=tuple(
            ToolCall(id=call["id"], name=call["name"], arguments=call["arguments"])
            for call in recorded.get("tool_calls", [])
        ),
        finish_reason=recorded.get("finish_reason"),
        prompt_tokens=step.prompt_tokens,
        completion_tokens=step.completion_tokens,
        cost_usd=step.cost_usd,
        latency_ms=step.latency_ms,
    )
