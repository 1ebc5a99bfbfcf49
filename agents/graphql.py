"""GraphQL for agents: runs with their steps and children, the Inbox grouped by task, and the
decisions a person makes on it."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from enum import Enum
from typing import Any

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.scalars import JSON
from strawberry.types import Info

from compound.agents.inbox import service as inbox
from compound.agents.inbox.models import InboxItem, ItemStatus
from compound.agents.runtime import service as runs
from compound.agents.runtime.agent import agent_named
from compound.agents.runtime.models import AgentRun, RunState, RunStep
from compound.agents.runtime.undo import UndoReport, undo_run
from compound.platform.auth.actor import Actor
from compound.platform.errors import ValidationFailed
from compound.platform.graphql.connection import (
    Connection,
    Edge,
    PageInfo,
    connection_from_page,
    fetch_page,
)
from compound.platform.graphql.context import context_of, parse_id
from compound.platform.graphql.cost import list_size
from compound.platform.graphql.payloads import USER_ERRORS, UserError, run_mutation
from compound.platform.graphql.permissions import CanRead, CanWrite
from compound.platform.records.lookups import by_ids, grouped_by

# The most items a run's or an item's nested list returns (the query cost counts them).
STEPS_LISTED = 200
CHILDREN_LISTED = 200
RUN_ITEMS_LISTED = 100
GROUP_ITEMS_LISTED = 100
EVIDENCE_LISTED = 10
# What a mutation's echo of its own work counts as: it is as long as the work was (not
# cut), and mutations run one after another.
DECIDED_ITEMS_COUNTED = 100
KEPT_WRITES_COUNTED = 100


@strawberry.enum(name="RunState")
class RunStateEnum(Enum):
    QUEUED = "queued"
    RUNNING = "running"
    WAITING = "waiting"
    DONE = "done"
    FAILED = "failed"


@strawberry.enum(name="InboxItemKind")
class ItemKindEnum(Enum):
    APPROVAL = "approval"
    QUESTION = "question"
    EXCEPTION = "exception"
    REPORT = "report"


@strawberry.enum(name="InboxItemStatus")
class ItemStatusEnum(Enum):
    OPEN = "open"
    APPROVED = "approved"
    ANSWERED = "answered"
    REJECTED = "rejected"
    DISMISSED = "dismissed"


@strawberry.enum(name="InboxAction", description="A decision that can be made over a whole task.")
class GroupActionEnum(Enum):
    APPROVE = "approve"
    REJECT = "reject"
    DISMISS = "dismiss"


@strawberry.type(name="RunStep", description="One journaled step of a run.")
class RunStepType:
    position: int
    kind: str = strawberry.field(
        description="model_call, tool_call, policy, children, question, output or failure."
    )
    name: str
    arguments: JSON | None
    result: JSON | None
    error: str | None
    prompt_tokens: int
    completion_tokens: int
    cost_usd: float
    latency_ms: float
    created_at: datetime

    @classmethod
    def of(cls, row: Any) -> RunStepType:
        return cls(
            position=row.position,
            kind=row.kind,
            name=row.name,
            arguments=row.arguments,
            result=row.result,
            error=row.error,
            prompt_tokens=row.prompt_tokens,
            completion_tokens=row.completion_tokens,
            cost_usd=row.cost_usd,
            latency_ms=row.latency_ms,
            created_at=row.created_at,
        )


@strawberry.type(name="Run", description="One execution of an agent; children fan out from it.")
class RunType:
    id: strawberry.ID
    agent: str
    title: str
    state: RunStateEnum
    engine: str = strawberry.field(description="`model`, or `offline` when no model is configured.")
    tier: str
    tainted: bool = strawberry.field(
        description="It read untrusted content: its external actions wait for approval."
    )
    waiting_for: str | None = strawberry.field(description="approval, answer or children.")
    input: JSON
    output: JSON | None
    error: str | None
    parent_id: strawberry.ID | None
    root_id: strawberry.ID
    children_total: int
    children_finished: int
    step_count: int
    prompt_tokens: int
    completion_tokens: int
    cost_usd: float
    started_by: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    undone_at: datetime | None = strawberry.field(description="When undoRun reverted it.")

    @classmethod
    def of(cls, row: Any) -> RunType:
        return cls(
            id=strawberry.ID(str(row.id)),
            agent=row.agent,
            title=row.title,
            state=RunStateEnum(row.state),
            engine=row.engine,
            tier=row.tier,
            tainted=row.tainted,
            waiting_for=row.waiting_for,
            input=row.input,
            output=row.output,
            error=row.error,
            parent_id=strawberry.ID(str(row.parent_id)) if row.parent_id else None,
            root_id=strawberry.ID(str(row.root_id)),
            children_total=row.children_total,
            children_finished=row.children_finished,
            step_count=row.step_count,
            prompt_tokens=row.prompt_tokens,
            completion_tokens=row.completion_tokens,
            cost_usd=row.cost_usd,
            started_by=row.started_by,
            created_at=row.created_at,
            started_at=row.started_at,
            finished_at=row.finished_at,
            undone_at=row.undone_at,
        )

    @strawberry.field(
        description=f"The journal, in order (the first {STEPS_LISTED} steps).",
        metadata=list_size(STEPS_LISTED),
    )
    async def steps(self, info: Info[Any, Any]) -> list[RunStepType]:
        loader = context_of(info).loader("run_steps", _steps_of_runs)
        return [RunStepType.of(row) for row in await loader.load(uuid.UUID(self.id))]

    @strawberry.field(
        description=f"The runs this one fanned out, oldest first (the first {CHILDREN_LISTED}).",
        metadata=list_size(CHILDREN_LISTED),
    )
    async def children(self, info: Info[Any, Any]) -> list[RunType]:
        loader = context_of(info).loader("run_children", _children_of_runs)
        return [RunType.of(row) for row in await loader.load(uuid.UUID(self.id))]

    @strawberry.field
    async def parent(self, info: Info[Any, Any]) -> RunType | None:
        if self.parent_id is None:
            return None
        row = await context_of(info).loader("runs", _runs_by_id).load(uuid.UUID(self.parent_id))
        return RunType.of(row) if row is not None else None

    @strawberry.field(
        description=f"Items this run put in the Inbox, any status (the first {RUN_ITEMS_LISTED}).",
        metadata=list_size(RUN_ITEMS_LISTED),
    )
    async def inbox_items(self, info: Info[Any, Any]) -> list[InboxItemType]:
        loader = context_of(info).loader("run_items", _items_of_runs)
        return [InboxItemType.of(row) for row in await loader.load(uuid.UUID(self.id))]


@strawberry.type(name="Evidence")
class EvidenceType:
    label: str
    record_type: str | None
    record_id: strawberry.ID | None
    quote: str | None
    url: str | None


@strawberry.type(name="ProposedAction", description="What an approval item will do if approved.")
class ProposedActionType:
    tool: str
    arguments: JSON
    arguments_schema: JSON = strawberry.field(
        description="JSON schema of the arguments: an edit must fit it."
    )


@strawberry.type(name="InboxItem")
class InboxItemType:
    id: strawberry.ID
    kind: ItemKindEnum
    status: ItemStatusEnum
    title: str
    explanation: str
    evidence: list[EvidenceType] = strawberry.field(
        description=f"The first {EVIDENCE_LISTED} pieces.", metadata=list_size(EVIDENCE_LISTED)
    )
    choices: list[str] = strawberry.field(description="For questions: the answers to pick from.")
    proposed_action: ProposedActionType | None
    decision: JSON | None
    decided_by: str | None
    decided_at: datetime | None
    run_id: strawberry.ID
    root_run_id: strawberry.ID
    created_at: datetime

    @classmethod
    def of(cls, row: Any) -> InboxItemType:
        proposal = row.proposal or {}
        action = None
        if "tool" in proposal:
            action = ProposedActionType(
                tool=proposal["tool"],
                arguments=proposal.get("arguments", {}),
                arguments_schema=_arguments_schema(row.run_agent, proposal["tool"])
                if hasattr(row, "run_agent")
                else {},
            )
        return cls(
            id=strawberry.ID(str(row.id)),
            kind=ItemKindEnum(row.kind),
            status=ItemStatusEnum(row.status),
            title=row.title,
            explanation=row.explanation,
            evidence=[
                EvidenceType(
                    label=piece.get("label", ""),
                    record_type=piece.get("record_type"),
                    record_id=strawberry.ID(piece["record_id"]) if piece.get("record_id") else None,
                    quote=piece.get("quote"),
                    url=piece.get("url"),
                )
                for piece in (row.evidence or [])[:EVIDENCE_LISTED]
            ],
            choices=[str(choice) for choice in proposal.get("choices", [])],
            proposed_action=action,
            decision=row.decision,
            decided_by=row.decided_by,
            decided_at=row.decided_at,
            run_id=strawberry.ID(str(row.run_id)),
            root_run_id=strawberry.ID(str(row.root_run_id)),
            created_at=row.created_at,
        )

    @strawberry.field
    async def run(self, info: Info[Any, Any]) -> RunType | None:
        row = await context_of(info).loader("runs", _runs_by_id).load(uuid.UUID(self.run_id))
        return RunType.of(row) if row is not None else None


def _arguments_schema(agent: str, tool_name: str) -> Any:
    try:
        tool = agent_named(agent).tool_named(tool_name)
    except Exception:  # an agent removed since: the item still shows, without a schema
        return {}
    return tool.arguments.model_json_schema() if tool else {}


@strawberry.type(name="InboxGroup", description="The items of one task (a root run).")
class InboxGroupType:
    root: RunType
    item_count: int = strawberry.field(description="Items in the group with the asked status.")
    items: list[InboxItemType] = strawberry.field(
        description=f"Oldest first, at most {GROUP_ITEMS_LISTED}.",
        metadata=list_size(GROUP_ITEMS_LISTED),
    )


async def _runs_by_id(session: AsyncSession, ids: Sequence[uuid.UUID]) -> list[Any]:
    return await by_ids(session, AgentRun, ids)


async def _steps_of_runs(session: AsyncSession, ids: Sequence[uuid.UUID]) -> list[list[Any]]:
    return await grouped_by(
        session, RunStep, "run_id", ids, order_by="position", limit=STEPS_LISTED
    )


async def _children_of_runs(session: AsyncSession, ids: Sequence[uuid.UUID]) -> list[list[Any]]:
    return await grouped_by(session, AgentRun, "parent_id", ids, limit=CHILDREN_LISTED)


async def _items_of_runs(session: AsyncSession, ids: Sequence[uuid.UUID]) -> list[list[Any]]:
    return await grouped_by(session, InboxItem, "run_id", ids, limit=RUN_ITEMS_LISTED)


class _WithAgent:
    """An item row with its run's agent name, so the proposed action can show its schema."""

    def __init__(self, row: Any, agent: str) -> None:
        self._row = row
        self.run_agent = agent

    def __getattr__(self, name: str) -> Any:
        return getattr(self._row, name)


def _item(row: Any, agent: str) -> InboxItemType:
    return InboxItemType.of(_WithAgent(row, agent))


@strawberry.type(name="InboxItemPayload")
class InboxItemPayload:
    item: InboxItemType | None
    user_errors: list[UserError] = strawberry.field(metadata=USER_ERRORS)


@strawberry.type(name="InboxGroupPayload")
class InboxGroupPayload:
    items: list[InboxItemType] = strawberry.field(
        description="Every item decided.", metadata=list_size(DECIDED_ITEMS_COUNTED)
    )
    user_errors: list[UserError] = strawberry.field(metadata=USER_ERRORS)


@strawberry.type(name="KeptWrite", description="A write undo left in place, and why.")
class KeptWriteType:
    subject_type: str
    subject_id: strawberry.ID
    field: str | None = strawberry.field(description="Null: the whole record.")
    reason: str


@strawberry.type(name="UndoReport")
class UndoReportType:
    run_id: strawberry.ID
    runs: int = strawberry.field(description="The run and its descendants, all covered.")
    reverted: list[str] = strawberry.field(description="One line per reverted write.")
    kept: list[KeptWriteType] = strawberry.field(metadata=list_size(KEPT_WRITES_COUNTED))

    @classmethod
    def of(cls, report: UndoReport) -> UndoReportType:
        return cls(
            run_id=strawberry.ID(str(report.run_id)),
            runs=report.runs,
            reverted=list(report.reverted),
            kept=[
                KeptWriteType(
                    subject_type=kept.subject_type,
                    subject_id=strawberry.ID(str(kept.subject_id)),
                    field=kept.field,
                    reason=kept.reason,
                )
                for kept in report.kept
            ],
        )


@strawberry.type(name="UndoRunPayload")
class UndoRunPayload:
    report: UndoReportType | None
    user_errors: list[UserError] = strawberry.field(metadata=USER_ERRORS)


@strawberry.type(name="RunPayload")
class RunPayload:
    run: RunType | None
    user_errors: list[UserError] = strawberry.field(metadata=USER_ERRORS)


@strawberry.type
class AgentsQuery:
    @strawberry.field(permission_classes=[CanRead], description="One run, with steps and children.")
    async def run(self, info: Info[Any, Any], id: strawberry.ID) -> RunType | None:
        run_id = parse_id(id)
        row = await context_of(info).loader("runs", _runs_by_id).load(run_id)
        return RunType.of(row) if row is not None else None

    @strawberry.field(permission_classes=[CanRead], description="Runs, newest first.")
    async def runs(
        self,
        info: Info[Any, Any],
        state: RunStateEnum | None = None,
        agent: str | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[RunType]:
        async def page(session: AsyncSession, size: int, with_total: bool) -> Any:
            return await runs.list_runs(
                session,
                first=size,
                after=after,
                state=RunState(state.value) if state else None,
                agent=agent,
                with_total=with_total,
            )

        return connection_from_page(await fetch_page(info, first, page), RunType.of)

    @strawberry.field(
        permission_classes=[CanRead],
        description="The Agent Inbox: items grouped by the task (root run) they belong to, "
        "newest task first.",
    )
    async def inbox(
        self,
        info: Info[Any, Any],
        status: ItemStatusEnum | None = ItemStatusEnum.OPEN,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[InboxGroupType]:
        wanted = ItemStatus(status.value) if status else None

        async def page(session: AsyncSession, size: int, with_total: bool) -> Any:
            return await inbox.list_groups(
                session, first=size, after=after, status=wanted, with_total=with_total
            )

        groups = await fetch_page(info, first, page)

        async def group_items(session: AsyncSession) -> dict[uuid.UUID, list[Any]]:
            return await inbox.items_of_groups(
                session,
                [row.id for row in groups.items],
                status=wanted,
                per_group=GROUP_ITEMS_LISTED,
            )

        items = await context_of(info).run(group_items)
        return Connection(
            edges=[
                Edge(
                    cursor=cursor,
                    node=InboxGroupType(
                        root=RunType.of(root),
                        item_count=items[root.id][0].group_size if items[root.id] else 0,
                        items=[_item(row, root.agent) for row in items[root.id]],
                    ),
                )
                for root, cursor in zip(groups.items, groups.cursors, strict=True)
            ],
            page_info=PageInfo(has_next_page=groups.has_next_page, end_cursor=groups.end_cursor),
            total_count=groups.total_count or 0,
        )

    @strawberry.field(permission_classes=[CanRead])
    async def inbox_item(self, info: Info[Any, Any], id: strawberry.ID) -> InboxItemType | None:
        item_id = parse_id(id)

        async def load(session: AsyncSession) -> Any:
            item = await session.get(InboxItem, item_id)
            run = await session.get(AgentRun, item.run_id) if item else None
            return item, run

        item, run = await context_of(info).run(load)
        return _item(item, run.agent) if item is not None and run is not None else None


async def _decided(
    info: Info[Any, Any],
    item_id: strawberry.ID,
    action: inbox.Action,
    **decision: Any,
) -> InboxItemPayload:
    async def decide(session: AsyncSession, actor: Actor) -> Any:
        item = await inbox.decide(session, actor, parse_id(item_id), action, **decision)
        run = await runs.get_run(session, item.run_id)
        return _item(item, run.agent)

    item, errors = await run_mutation(info, decide)
    return InboxItemPayload(item=item, user_errors=errors)


@strawberry.type
class AgentsMutation:
    @strawberry.mutation(
        permission_classes=[CanWrite],
        description="Approve an action, optionally with edited arguments (checked against "
        "the tool's argument schema); the waiting run resumes.",
    )
    async def approve_inbox_item(
        self, info: Info[Any, Any], id: strawberry.ID, arguments: JSON | None = None
    ) -> InboxItemPayload:
        if arguments is not None and not isinstance(arguments, dict):
            return InboxItemPayload(
                item=None,
                user_errors=[
                    UserError(
                        field="arguments",
                        message="arguments must be a JSON object",
                        code="INVALID",
                    )
                ],
            )
        return await _decided(info, id, inbox.Action.APPROVE, arguments=arguments)

    @strawberry.mutation(
        permission_classes=[CanWrite], description="Answer a question; the waiting run resumes."
    )
    async def answer_inbox_item(
        self, info: Info[Any, Any], id: strawberry.ID, answer: str
    ) -> InboxItemPayload:
        return await _decided(info, id, inbox.Action.ANSWER, answer=answer)

    @strawberry.mutation(
        permission_classes=[CanWrite],
        description="Say no to an action or a question; the run resumes without it.",
    )
    async def reject_inbox_item(
        self, info: Info[Any, Any], id: strawberry.ID, reason: str | None = None
    ) -> InboxItemPayload:
        return await _decided(info, id, inbox.Action.REJECT, reason=reason)

    @strawberry.mutation(permission_classes=[CanWrite], description="Close an item, unanswered.")
    async def dismiss_inbox_item(
        self, info: Info[Any, Any], id: strawberry.ID, reason: str | None = None
    ) -> InboxItemPayload:
        return await _decided(info, id, inbox.Action.DISMISS, reason=reason)

    @strawberry.mutation(
        permission_classes=[CanWrite],
        description="One decision on every open item of a task that can take it (bulk).",
    )
    async def decide_inbox_group(
        self,
        info: Info[Any, Any],
        root_run_id: strawberry.ID,
        action: GroupActionEnum,
        reason: str | None = None,
    ) -> InboxGroupPayload:
        async def decide(session: AsyncSession, actor: Actor) -> list[InboxItemType]:
            root = parse_id(root_run_id, field="root_run_id")
            items = await inbox.decide_group(
                session, actor, root, inbox.Action(action.value), reason=reason
            )
            agents = {
                item.run_id: (await runs.get_run(session, item.run_id)).agent for item in items
            }
            return [_item(item, agents[item.run_id]) for item in items]

        items, errors = await run_mutation(info, decide)
        return InboxGroupPayload(items=items or [], user_errors=errors)

    @strawberry.mutation(
        permission_classes=[CanWrite],
        description="Revert every write a finished run and its children made (created records "
        "removed, changed fields restored) unless a person changed them since; lists what "
        "was kept.",
    )
    async def undo_run(self, info: Info[Any, Any], id: strawberry.ID) -> UndoRunPayload:
        async def undo(session: AsyncSession, actor: Actor) -> UndoReport:
            return await undo_run(session, actor, parse_id(id))

        report, errors = await run_mutation(info, undo)
        return UndoRunPayload(
            report=UndoReportType.of(report) if report else None, user_errors=errors
        )

    @strawberry.mutation(
        permission_classes=[CanWrite],
        description="Start a run of an agent on an input (JSON that fits its input schema).",
    )
    async def start_run(self, info: Info[Any, Any], agent: str, input: JSON) -> RunPayload:
        async def start(session: AsyncSession, actor: Actor) -> AgentRun:
            if not isinstance(input, dict):
                raise ValidationFailed("input must be a JSON object", field="input")
            return await runs.start_run(session, actor, agent_named(agent), input)

        run, errors = await run_mutation(info, start)
        return RunPayload(run=RunType.of(run) if run else None, user_errors=errors)
