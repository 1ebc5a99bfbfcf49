"""What a person does with Inbox items: approve (maybe edited), answer, reject, dismiss —
one at a time or over a whole task — each audited, each resuming the waiting run."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ValidationError
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from compound.agents.inbox.items import publish_item
from compound.agents.inbox.models import InboxItem, ItemKind, ItemStatus
from compound.agents.runtime import tasks
from compound.agents.runtime.agent import agent_named
from compound.agents.runtime.models import AgentRun, RunState
from compound.agents.runtime.tools import APPROVING, Tool
from compound.platform.auth.actor import Actor
from compound.platform.clock import utcnow
from compound.platform.errors import NotFound, ValidationFailed
from compound.platform.queue.service import enqueue
from compound.platform.records.lookups import select_view
from compound.platform.records.paging import Page, newest_first
from compound.platform.records.rules import optional_text, required_text
from compound.platform.records.timeline import record_change

ANSWER_MAX = 2_000
REASON_MAX = 2_000
BULK_MAX = 200


class Action(StrEnum):
    APPROVE = "approve"
    ANSWER = "answer"
    REJECT = "reject"
    DISMISS = "dismiss"


_RESULT = {
    Action.APPROVE: ItemStatus.APPROVED,
    Action.ANSWER: ItemStatus.ANSWERED,
    Action.REJECT: ItemStatus.REJECTED,
    Action.DISMISS: ItemStatus.DISMISSED,
}
_ALLOWED_KINDS = {
    Action.APPROVE: {ItemKind.APPROVAL},
    Action.ANSWER: {ItemKind.QUESTION},
    Action.REJECT: {ItemKind.APPROVAL, ItemKind.QUESTION},
    Action.DISMISS: set(ItemKind),
}


async def _locked_item(session: AsyncSession, item_id: uuid.UUID) -> InboxItem:
    statement = select(InboxItem).where(col(InboxItem.id) == item_id).with_for_update()
    item = (await session.execute(statement)).scalar_one_or_none()
    if item is None:
        raise NotFound(f"no inbox item with id {item_id}", field="id")
    return item


def proposed_tool(agent: str, proposal: Mapping[str, Any] | None) -> Tool | None:
    """The tool an approval item proposes, as the agent has it now (None if it is gone)."""
    if not proposal or not proposal.get("tool"):
        return None
    try:
        return agent_named(agent).tool_named(str(proposal["tool"]))
    except NotFound:
        return None


async def edit_model(session: AsyncSession, item_id: uuid.UUID) -> type[BaseModel] | None:
    """The argument schema a person edits an approval item's proposal against."""
    item = await get_item(session, item_id)
    run = await session.get(AgentRun, item.run_id)
    tool = proposed_tool(run.agent, item.proposal) if run is not None else None
    return tool.arguments if tool is not None else None


def approved_arguments(item: InboxItem, run: AgentRun, edited: Mapping[str, Any] | None) -> Any:
    """The proposal's arguments, or a person's edit of them, checked by the tool's schema."""
    proposal = item.proposal or {}
    arguments = edited if edited is not None else proposal.get("arguments", {})
    tool = proposed_tool(run.agent, proposal)
    if tool is None:
        raise ValidationFailed(
            f"{run.agent} no longer has the tool {proposal.get('tool')!r}", field="id"
        )
    try:
        checked = tool.arguments.model_validate(arguments, context=APPROVING)
        return checked.model_dump(mode="json")
    except ValidationError as error:
        first = error.errors(include_url=False)[0]
        where = ".".join(str(part) for part in first["loc"])
        # A tool's own check words its refusal for people; Pydantic's prefix adds nothing.
        reason = str(first["msg"]).removeprefix("Value error, ")
        raise ValidationFailed(
            f"{where or 'arguments'}: {reason}",
            field=f"arguments.{where}" if where else "arguments",
        ) from None


def _decision(
    action: Action,
    item: InboxItem,
    run: AgentRun,
    *,
    arguments: Mapping[str, Any] | None,
    answer: str | None,
    reason: str | None,
) -> dict[str, Any]:
    if action is Action.APPROVE:
        return {"arguments": approved_arguments(item, run, arguments)}
    if action is Action.ANSWER:
        text = required_text(answer, field="answer", max_length=ANSWER_MAX, multiline=True)
        choices = [str(choice) for choice in (item.proposal or {}).get("choices", [])]
        if choices:
            match = next((c for c in choices if c.casefold() == text.casefold()), None)
            if match is None:
                raise ValidationFailed(f"answer with one of: {', '.join(choices)}", field="answer")
            text = match
        return {"answer": text}
    cleaned = optional_text(reason, field="reason", max_length=REASON_MAX, multiline=True)
    return {"reason": cleaned} if cleaned else {}


async def decide(
    session: AsyncSession,
    actor: Actor,
    item_id: uuid.UUID,
    action: Action,
    *,
    arguments: Mapping[str, Any] | None = None,
    answer: str | None = None,
    reason: str | None = None,
) -> InboxItem:
    """Apply one person's decision to one open item and wake the run waiting on it."""
    actor.require_scope("write")
    item = await _locked_item(session, item_id)
    if item.status != ItemStatus.OPEN.value:
        raise ValidationFailed(
            f"this item is already {item.status} (by {item.decided_by})", field="id"
        )
    kind = ItemKind(item.kind)
    if kind not in _ALLOWED_KINDS[action]:
        raise ValidationFailed(f"a {kind.value} item cannot be given '{action.value}'", field="id")
    run = await session.get(AgentRun, item.run_id)
    if run is None:
        raise NotFound(f"the run of item {item_id} is gone", field="id")
    decision = _decision(action, item, run, arguments=arguments, answer=answer, reason=reason)
    before = {"status": item.status}
    item.status = _RESULT[action].value
    item.decision = decision
    item.decided_by = actor.label
    item.decided_at = item.updated_at = utcnow()
    await record_change(
        session,
        actor,
        action=f"inbox.{action.value}",
        subject_type="inbox_item",
        subject_id=item.id,
        summary=f"{action.value}: {item.title}",
        before=before,
        after={"status": item.status, "decision": decision},
    )
    if item.step_position is not None and run.state == RunState.WAITING.value:
        await enqueue(session, tasks.advance_run, run_id=str(run.id))
    await session.flush()
    await publish_item(session, item, "item_decided")
    return item


async def decide_group(
    session: AsyncSession,
    actor: Actor,
    root_run_id: uuid.UUID,
    action: Action,
    *,
    reason: str | None = None,
) -> list[InboxItem]:
    """The same decision on every open item of one task that can take it (bulk)."""
    statement = (
        select(InboxItem.id)  # type: ignore[call-overload]
        .where(col(InboxItem.root_run_id) == root_run_id)
        .where(col(InboxItem.status) == ItemStatus.OPEN.value)
        .where(col(InboxItem.kind).in_([kind.value for kind in _ALLOWED_KINDS[action]]))
        .order_by(col(InboxItem.created_at), col(InboxItem.id))
    )
    ids = list((await session.execute(statement)).scalars())
    if not ids:
        raise ValidationFailed(
            f"task {root_run_id} has no open items that can be given '{action.value}'",
            field="rootRunId",
        )
    return [await decide(session, actor, item_id, action, reason=reason) for item_id in ids]


@dataclass(frozen=True)
class Refusal:
    item_id: uuid.UUID
    message: str


async def decide_many(
    session: AsyncSession,
    actor: Actor,
    item_ids: Sequence[uuid.UUID],
    action: Action,
    *,
    reason: str | None = None,
) -> tuple[list[InboxItem], list[Refusal]]:
    """One decision on several chosen items (bulk from the Inbox): each in a savepoint, so an
    item that cannot take it (decided meanwhile, the wrong kind) is reported, not fatal."""
    if not item_ids:
        raise ValidationFailed("choose at least one item", field="items")
    if len(item_ids) > BULK_MAX:
        raise ValidationFailed(f"at most {BULK_MAX} items at once", field="items")
    decided: list[InboxItem] = []
    refused: list[Refusal] = []
    for item_id in dict.fromkeys(item_ids):
        try:
            async with session.begin_nested():
                decided.append(await decide(session, actor, item_id, action, reason=reason))
        except (ValidationFailed, NotFound) as error:
            refused.append(Refusal(item_id, error.message))
    return decided, refused


async def get_item(session: AsyncSession, item_id: uuid.UUID) -> InboxItem:
    item = await session.get(InboxItem, item_id)
    if item is None:
        raise NotFound(f"no inbox item with id {item_id}", field="id")
    return item


async def list_items(
    session: AsyncSession,
    *,
    first: int,
    after: str | None = None,
    status: ItemStatus | None = ItemStatus.OPEN,
    root_run_id: uuid.UUID | None = None,
    with_total: bool = True,
) -> Page[Any]:
    statement = select_view(InboxItem)
    if status is not None:
        statement = statement.where(col(InboxItem.status) == status.value)
    if root_run_id is not None:
        statement = statement.where(col(InboxItem.root_run_id) == root_run_id)
    return await newest_first(
        session, statement, InboxItem, first=first, after=after, with_total=with_total
    )


async def list_groups(
    session: AsyncSession,
    *,
    first: int,
    after: str | None = None,
    status: ItemStatus | None = ItemStatus.OPEN,
    with_total: bool = True,
) -> Page[Any]:
    """Root runs (tasks) that have items in `status`, newest task first: the Inbox's groups."""
    items = select(InboxItem.id).where(col(InboxItem.root_run_id) == AgentRun.id)  # type: ignore[call-overload]
    if status is not None:
        items = items.where(col(InboxItem.status) == status.value)
    statement = select_view(AgentRun).where(items.exists())
    return await newest_first(
        session, statement, AgentRun, first=first, after=after, with_total=with_total
    )


async def items_of_groups(
    session: AsyncSession,
    root_run_ids: list[uuid.UUID],
    *,
    status: ItemStatus | None = ItemStatus.OPEN,
    per_group: int = 100,
) -> dict[uuid.UUID, list[Any]]:
    """The items of each group, oldest first, at most `per_group` each (one query)."""
    ranked = select(
        *select_view(InboxItem).selected_columns,
        func.row_number()
        .over(partition_by=col(InboxItem.root_run_id), order_by=col(InboxItem.created_at))
        .label("rank"),
        func.count().over(partition_by=col(InboxItem.root_run_id)).label("group_size"),
        col(AgentRun.agent).label("agent"),
    )
    ranked = ranked.join(AgentRun, col(AgentRun.id) == col(InboxItem.run_id)).where(
        col(InboxItem.root_run_id).in_(root_run_ids)
    )
    if status is not None:
        ranked = ranked.where(col(InboxItem.status) == status.value)
    subquery = ranked.subquery()
    rows = await session.execute(
        select(subquery).where(subquery.c.rank <= per_group).order_by(subquery.c.rank)
    )
    groups: dict[uuid.UUID, list[Any]] = {root: [] for root in root_run_ids}
    for row in rows:
        groups[row.root_run_id].append(row)
    return groups
