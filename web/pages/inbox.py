"""The Agent Inbox, the home page: open items grouped by the task (root run) they came
from, under the task's ledger line, with a form for each decision a person can make."""

from __future__ import annotations

import dataclasses
import json
import uuid
from dataclasses import dataclass
from typing import Annotated, Any

from litestar import Request, Response, get, post
from litestar.params import PathParameter, QueryParameter
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from compound.agents.inbox.forms import (
    FIELD_PREFIX,
    ArgumentField,
    argument_fields,
    arguments_from_form,
)
from compound.agents.inbox.models import ItemKind
from compound.agents.inbox.service import (
    BULK_MAX,
    Action,
    decide,
    decide_many,
    edit_model,
    items_of_groups,
    list_groups,
    proposed_tool,
)
from compound.platform.auth.sessions import Visitor
from compound.platform.errors import CompoundError
from compound.platform.pages import SEE_OTHER, can_write, form_id, http_status, writes
from compound.web.modules import run_summaries

GROUPS_PER_PAGE = 30
ITEMS_PER_GROUP = 50
ARGUMENTS_TEXT_MAX = 100_000
FLASHES = {
    "approved": "Approved: the run carries on with it.",
    "answered": "Answered: the run carries on with your answer.",
    "rejected": "Rejected: the run is told not to do it.",
    "dismissed": "Dismissed.",
}
_PAST = {Action.APPROVE: "approved", Action.REJECT: "rejected", Action.DISMISS: "dismissed"}
BULK_FLASHES = {
    "approved": "Approved {n}: their runs carry on.",
    "rejected": "Rejected {n}: their runs are told not to.",
    "dismissed": "Dismissed {n}.",
}
VIEWERS_CANNOT = "viewers cannot approve or edit"


@dataclass(frozen=True)
class EvidenceView:
    label: str
    quote: str | None
    url: str | None
    """Only http(s) addresses: a `javascript:` link from a web page must never be clickable."""


@dataclass(frozen=True)
class ItemView:
    id: uuid.UUID
    kind: str
    title: str
    explanation: str
    evidence: list[EvidenceView]
    tool: str | None
    arguments_json: str | None
    fields: list[ArgumentField] | None
    """The edit form, from the tool's argument schema (None when the tool is gone)."""
    proposed: list[ArgumentField] | None
    """The same fields as proposed, to read before deciding."""
    choices: list[str]


@dataclass(frozen=True)
class GroupView:
    root_id: uuid.UUID
    title: str
    agent: str
    ledger_line: str | None
    items: list[ItemView]
    item_count: int


@dataclass
class Problem:
    """A decision that was refused, shown at its item with what the person typed."""

    item_id: uuid.UUID
    message: str
    field: str | None
    drafts: dict[str, str] = dataclasses.field(default_factory=dict)


def _web_address(value: Any) -> str | None:
    text = str(value or "")
    return text if text.startswith(("https://", "http://")) else None


def _item_view(row: Any, typed: dict[str, str] | None) -> ItemView:
    proposal: dict[str, Any] = row.proposal or {}
    is_approval = row.kind == ItemKind.APPROVAL.value
    tool = proposed_tool(row.agent, proposal) if is_approval else None
    arguments = proposal.get("arguments", {})
    proposed = arguments if isinstance(arguments, dict) else {}
    evidence = [
        EvidenceView(
            label=str(piece.get("label") or ""),
            quote=piece.get("quote"),
            url=_web_address(piece.get("url")),
        )
        for piece in (row.evidence or [])
        if isinstance(piece, dict)
    ]
    return ItemView(
        id=row.id,
        kind=row.kind,
        title=row.title,
        explanation=row.explanation,
        evidence=evidence,
        tool=str(proposal.get("tool")) if is_approval and proposal.get("tool") else None,
        arguments_json=(
            json.dumps(arguments, indent=2, ensure_ascii=False) if is_approval else None
        ),
        fields=argument_fields(tool.arguments, proposed, typed) if tool is not None else None,
        proposed=argument_fields(tool.arguments, proposed) if tool is not None else None,
        choices=[str(choice) for choice in proposal.get("choices", [])],
    )


async def _groups(
    session: AsyncSession, after: str | None, problem: Problem | None
) -> tuple[list[GroupView], int | None, str | None]:
    page = await list_groups(session, first=GROUPS_PER_PAGE, after=after)
    roots = [run.id for run in page.items]
    items = await items_of_groups(session, roots, per_group=ITEMS_PER_GROUP)
    ledgers = await run_summaries(session, roots)
    groups = [
        GroupView(
            root_id=run.id,
            title=run.title,
            agent=run.agent,
            ledger_line=ledgers.get(run.id),
            items=[
                _item_view(row, problem.drafts if problem and problem.item_id == row.id else None)
                for row in items[run.id]
            ],
            item_count=items[run.id][0].group_size if items[run.id] else 0,
        )
        for run in page.items
    ]
    return groups, page.total_count, page.end_cursor if page.has_next_page else None


async def _inbox(
    session: AsyncSession,
    signed_in: Visitor,
    *,
    after: str | None = None,
    flash: str | None = None,
    problem: Problem | None = None,
    refusals: list[str] | None = None,
    status_code: int = 200,
    answers_a_post: bool = False,
) -> Template:
    groups, total, next_cursor = await _groups(session, after, problem)
    return Template(
        # A refused decision is shown at the post's address: htmx must not put that address
        # in the history (reloading it would be a GET of a POST-only route).
        headers={"HX-Push-Url": "false"} if answers_a_post else None,
        template_name="inbox.html",
        context={
            "visitor": signed_in,
            "csrf": signed_in.csrf_token,
            "can_decide": can_write(signed_in),
            "groups": groups,
            "task_count": total,
            "next_cursor": next_cursor,
            "flash": flash,
            "problem": problem,
            "refusals": refusals or [],
            "bulk_max": BULK_MAX,
        },
        status_code=status_code,
    )


async def _refused(
    session: AsyncSession, signed_in: Visitor, problem: Problem, status_code: int
) -> Template:
    """The Inbox again, the refused decision shown at its item (at the post's address)."""
    return await _inbox(
        session, signed_in, problem=problem, status_code=status_code, answers_a_post=True
    )


@get(["/", "/inbox"], name="inbox")
async def inbox_page(
    session: AsyncSession,
    signed_in: Visitor,
    after: Annotated[str | None, QueryParameter(max_length=500)] = None,
    flash: Annotated[str | None, QueryParameter(max_length=20)] = None,
    count: Annotated[int | None, QueryParameter(ge=0, le=BULK_MAX)] = None,
) -> Response[Any]:
    """Open Inbox items, newest task first."""
    message = (
        BULK_FLASHES.get(flash or "", "").format(n=count)
        if count is not None
        else FLASHES.get(flash or "")
    ) or None
    try:
        return await _inbox(session, signed_in, after=after, flash=message)
    except CompoundError as error:  # a stale or forged `after` cursor
        return await _inbox(
            session,
            signed_in,
            problem=Problem(item_id=uuid.UUID(int=0), message=error.message, field="after"),
            status_code=400,
        )


def _edited_arguments(text: str) -> Any:
    """The arguments textarea as JSON; CompoundError naming the line when it is not JSON."""
    if len(text) > ARGUMENTS_TEXT_MAX:
        raise CompoundError(
            f"arguments: at most {ARGUMENTS_TEXT_MAX} characters", field="arguments"
        )
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise CompoundError(
            f"arguments: not valid JSON ({error.msg} at line {error.lineno}, column {error.colno})",
            field="arguments",
        ) from None


def _typed_fields(form: Any) -> dict[str, str]:
    return {
        str(name): str(form.get(name) or "") for name in form if str(name).startswith(FIELD_PREFIX)
    }


@post(
    "/inbox/items/{item_id:uuid}/decide",
    status_code=SEE_OTHER,
    opt=writes("/inbox", viewers_cannot=VIEWERS_CANNOT),
)
async def decide_item(
    request: Request[Any, Any, Any],
    session: AsyncSession,
    signed_in: Visitor,
    item_id: Annotated[uuid.UUID, PathParameter()],
) -> Response[Any]:
    """Approve (as proposed, or edited in the generated form or as JSON), answer, reject or
    dismiss one item; back to the Inbox."""
    form = await request.form()
    drafts = {
        name: str(form.get(name) or "") for name in ("action", "answer", "reason", "arguments")
    }
    typed = _typed_fields(form)
    drafts.update(typed)
    try:
        try:
            action = Action(drafts["action"])
        except ValueError:
            raise CompoundError(
                "choose one of: approve, answer, reject, dismiss", field="action"
            ) from None
        arguments = None
        if action is Action.APPROVE and form.get("edited"):
            model = await edit_model(session, item_id)
            if model is None:
                raise CompoundError("this proposal's tool is gone: it cannot be edited", field="id")
            arguments = arguments_from_form(model, typed)
        elif action is Action.APPROVE and drafts["arguments"].strip():
            arguments = _edited_arguments(drafts["arguments"].strip())
        # A savepoint: a refused decision leaves nothing behind, the session goes on.
        async with session.begin_nested():
            item = await decide(
                session,
                signed_in.actor,
                item_id,
                action,
                arguments=arguments,
                answer=drafts["answer"] or None,
                reason=drafts["reason"] or None,
            )
    except CompoundError as error:
        problem = Problem(item_id=item_id, message=error.message, field=error.field, drafts=drafts)
        return await _refused(session, signed_in, problem, http_status(error))
    return Redirect(f"/inbox?flash={item.status}", status_code=SEE_OTHER)


@post(
    "/inbox/decide-many", status_code=SEE_OTHER, opt=writes("/inbox", viewers_cannot=VIEWERS_CANNOT)
)
async def decide_many_items(
    request: Request[Any, Any, Any], session: AsyncSession, signed_in: Visitor
) -> Response[Any]:
    """The same decision on every ticked item: approve as proposed, reject or dismiss."""
    form = await request.form()
    try:
        action = Action(str(form.get("action") or ""))
        if action is Action.ANSWER:
            raise ValueError(action)
    except ValueError:
        problem = Problem(
            uuid.UUID(int=0), "in bulk, choose approve, reject or dismiss", field="action"
        )
        return await _refused(session, signed_in, problem, 400)
    try:
        decided, refused = await decide_many(
            session,
            signed_in.actor,
            [
                form_id(value, "items", "the chosen items are not item ids")
                for value in form.getall("items", [])
            ],
            action,
            reason=str(form.get("reason") or "") or None,
        )
    except CompoundError as error:
        problem = Problem(uuid.UUID(int=0), error.message, field=error.field)
        return await _refused(session, signed_in, problem, http_status(error))
    if refused:
        flash = BULK_FLASHES[_PAST[action]].format(n=len(decided)) if decided else None
        return await _inbox(
            session,
            signed_in,
            flash=flash,
            refusals=[refusal.message for refusal in refused],
            answers_a_post=True,
        )
    return Redirect(f"/inbox?flash={_PAST[action]}&count={len(decided)}", status_code=SEE_OTHER)
