"""The leads pages: the pipeline board (moves with a rationale, by button or by dragging a
card: web/static/board.js), a lead's detail with its outreach drafts, the batch ledgers of
imported lists, and the ideal customer profile's settings form.

The guard every page needs (signed in; for a form, this session's CSRF token and the right
to write) is the platform's (platform/pages.py), shared with the web layer's pages: a
handler takes `session` and `signed_in`, and a form post says what it writes with
`opt=writes(...)`."""

from __future__ import annotations

import dataclasses
import uuid
from dataclasses import dataclass
from typing import Annotated, Any, Final

from litestar import Request, Response, get, post
from litestar.handlers import HTTPRouteHandler
from litestar.params import PathParameter, QueryParameter
from litestar.response import Redirect, Template
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from compound.modules.leads.imports import LedgerLine, get_import, list_imports, summary_line
from compound.modules.leads.models import Lead, LeadStatus
from compound.modules.leads.outreach import (
    DraftState,
    draft_outreach,
    outreach_drafts,
    outreach_refusal,
)
from compound.modules.leads.service import (
    LeadFilter,
    LeadOrder,
    get_icp,
    get_lead,
    list_leads,
    moves_from,
    parse_status,
    update_icp,
    update_lead,
)
from compound.platform.auth.models import User
from compound.platform.auth.sessions import Visitor
from compound.platform.email.models import Conversation
from compound.platform.errors import CompoundError, NotFound, ValidationFailed
from compound.platform.pages import (
    SEE_OTHER,
    can_write,
    http_status,
    message_page,
    writes,
)
from compound.platform.records.models import Company, Note

COLUMN_MAX = 50
IMPORTS_PER_PAGE = 30
NOTES_MAX = 5
RATIONALE_FORM_MAX = 5_000
ICP_FORM_MAX = 20_000
MOVED = "Moved: the rationale is on the lead's timeline."
DETAIL_FLASHES: Final = {
    "moved": MOVED,
    "drafting": "Drafting: the email will wait for your approval in the Inbox before it is sent.",
}
VIEWERS_CANNOT = "viewers can read the pipeline and the settings, but not change them"
STATUSES: Final = list(LeadStatus)
ICP_LISTS: Final = ("sectors", "stages", "regions", "keywords")


# --- the pipeline board ---------------------------------------------------------------------


@dataclass(frozen=True)
class LeadCard:
    id: uuid.UUID
    company_id: uuid.UUID
    company: str
    status: str
    score: int
    rationale: str
    moves: list[str]


@dataclass(frozen=True)
class Column:
    status: str
    cards: list[LeadCard]
    total: int


@dataclass
class Problem:
    """A refused form, shown where it was sent from with what the person typed."""

    message: str
    field: str | None
    lead_id: uuid.UUID | None = None
    drafts: dict[str, str] = dataclasses.field(default_factory=dict)


def _moves_of(status: str) -> list[str]:
    return [move.value for move in moves_from(LeadStatus(status))]


async def _company_names(session: AsyncSession, ids: set[uuid.UUID]) -> dict[uuid.UUID, str]:
    if not ids:
        return {}
    rows = await session.execute(
        select(col(Company.id), col(Company.name)).where(col(Company.id).in_(ids))
    )
    return {row.id: row.name for row in rows}


def _card(row: Any, names: dict[uuid.UUID, str]) -> LeadCard:
    return LeadCard(
        id=row.id,
        company_id=row.company_id,
        company=names.get(row.company_id, "(unknown company)"),
        status=row.status,
        score=row.score,
        rationale=row.rationale,
        moves=_moves_of(row.status),
    )


async def _columns(session: AsyncSession, min_score: int | None) -> list[Column]:
    pages = [
        await list_leads(
            session,
            first=COLUMN_MAX,
            filter=LeadFilter(status=status, min_score=min_score),
            order_by=LeadOrder.SCORE,
        )
        for status in STATUSES
    ]
    names = await _company_names(session, {row.company_id for page in pages for row in page.items})
    return [
        Column(
            status=status.value,
            cards=[_card(row, names) for row in page.items],
            total=page.total_count or 0,
        )
        for status, page in zip(STATUSES, pages, strict=True)
    ]


def _min_score(text: str | None) -> int | None:
    if text is None or not text.strip():
        return None
    try:
        value = int(text.strip())
    except ValueError:
        raise ValidationFailed(
            f"minimum score: a whole number from 0 to 100; got {text.strip()[:20]!r}",
            field="min_score",
        ) from None
    if not 0 <= value <= 100:
        raise ValidationFailed(
            f"minimum score: a whole number from 0 to 100; got {value}", field="min_score"
        )
    return value


async def _board(
    session: AsyncSession,
    signed_in: Visitor,
    *,
    min_score_text: str | None = None,
    flash: str | None = None,
    problem: Problem | None = None,
    status_code: int = 200,
) -> Template:
    try:
        min_score = _min_score(min_score_text)
    except ValidationFailed as error:
        min_score = None
        problem = problem or Problem(message=error.message, field=error.field)
        status_code = 400
    columns = await _columns(session, min_score)
    return Template(
        template_name="leads/board.html",
        context={
            "visitor": signed_in,
            "active": "leads",
            "csrf": signed_in.csrf_token,
            "can_write": can_write(signed_in),
            "columns": columns,
            "min_score": min_score_text or "",
            "flash": MOVED if flash == "moved" else None,
            "problem": problem,
        },
        status_code=status_code,
    )


@get("/leads", name="leads_board")
async def leads_board(
    session: AsyncSession,
    signed_in: Visitor,
    min_score: Annotated[str | None, QueryParameter(max_length=20)] = None,
    flash: Annotated[str | None, QueryParameter(max_length=20)] = None,
) -> Response[Any]:
    """The pipeline: one column per status, best score first."""
    return await _board(session, signed_in, min_score_text=min_score, flash=flash)


@post(
    "/leads/{lead_id:uuid}/move",
    name="move_lead",
    status_code=SEE_OTHER,
    opt=writes("/leads", viewers_cannot=VIEWERS_CANNOT),
)
async def move_lead(
    request: Request[Any, Any, Any],
    session: AsyncSession,
    signed_in: Visitor,
    lead_id: Annotated[uuid.UUID, PathParameter()],
) -> Response[Any]:
    """Move one lead along the pipeline, with the rationale the person typed."""
    form = await request.form()
    drafts = {
        "to": str(form.get("to") or "")[:50],
        "rationale": str(form.get("rationale") or "")[:RATIONALE_FORM_MAX],
    }
    from_detail = form.get("from") == "detail"
    try:
        target = parse_status(drafts["to"], field="to")
        # A savepoint: a refused move leaves nothing behind, the session goes on.
        async with session.begin_nested():
            await update_lead(
                session, signed_in.actor, lead_id, status=target, rationale=drafts["rationale"]
            )
    except CompoundError as error:
        problem = Problem(message=error.message, field=error.field, lead_id=lead_id, drafts=drafts)
        if from_detail and not isinstance(error, NotFound):
            return await _detail(
                session, signed_in, lead_id, problem=problem, status_code=http_status(error)
            )
        return await _board(session, signed_in, problem=problem, status_code=http_status(error))
    target_page = (
        f"/leads/{lead_id}?flash=moved" if from_detail else f"/leads?flash=moved#lead-{lead_id}"
    )
    return Redirect(target_page, status_code=SEE_OTHER)


# --- one lead -------------------------------------------------------------------------------


async def _detail(
    session: AsyncSession,
    signed_in: Visitor,
    lead_id: uuid.UUID,
    *,
    flash: str | None = None,
    problem: Problem | None = None,
    status_code: int = 200,
) -> Template:
    lead: Lead = await get_lead(session, lead_id)
    drafts = await outreach_drafts(session, lead_id)
    company = await session.get(Company, lead.company_id)
    owner = await session.get(User, lead.owner_user_id) if lead.owner_user_id else None
    conversation = (
        await session.get(Conversation, lead.outreach_conversation_id)
        if lead.outreach_conversation_id
        else None
    )
    notes = (
        (
            await session.execute(
                select(col(Note.id), col(Note.body), col(Note.created_at))
                .where(col(Note.company_id) == lead.company_id)
                .order_by(col(Note.created_at).desc(), col(Note.id).desc())
                .limit(NOTES_MAX)
            )
        ).all()
        if company is not None
        else []
    )
    return Template(
        template_name="leads/detail.html",
        context={
            "visitor": signed_in,
            "active": "leads",
            "csrf": signed_in.csrf_token,
            "can_write": can_write(signed_in),
            "lead": lead,
            "company": company,
            "owner": owner,
            "conversation": conversation,
            "notes": notes,
            "moves": _moves_of(lead.status),
            "drafts": drafts,
            "can_draft": await outreach_refusal(session, lead) is None,
            "sent": DraftState.SENT,
            "waiting": DraftState.WAITING,
            "flash": DETAIL_FLASHES.get(flash or ""),
            "problem": problem,
        },
        status_code=status_code,
    )


@get("/leads/{lead_id:uuid}", name="lead_detail")
async def lead_detail(
    session: AsyncSession,
    signed_in: Visitor,
    lead_id: Annotated[uuid.UUID, PathParameter()],
    flash: Annotated[str | None, QueryParameter(max_length=20)] = None,
) -> Response[Any]:
    """One lead: its company, status, score and rationale, owner, research and outreach."""
    try:
        return await _detail(session, signed_in, lead_id, flash=flash)
    except NotFound as error:
        return message_page("Not found", error.message, status_code=404)


@post(
    "/leads/{lead_id:uuid}/outreach",
    name="draft_lead_outreach",
    status_code=SEE_OTHER,
    opt=writes("/leads/{lead_id}", viewers_cannot=VIEWERS_CANNOT),
)
async def draft_lead_outreach(
    session: AsyncSession, signed_in: Visitor, lead_id: Annotated[uuid.UUID, PathParameter()]
) -> Response[Any]:
    """Have a first outreach email drafted for a qualified lead; it waits in the Inbox."""
    try:
        async with session.begin_nested():
            await draft_outreach(session, signed_in.actor, [lead_id])
    except NotFound as error:
        return message_page("Not found", error.message, status_code=404)
    except CompoundError as error:
        problem = Problem(message=error.message, field="outreach", lead_id=lead_id)
        return await _detail(session, signed_in, lead_id, problem=problem, status_code=400)
    return Redirect(f"/leads/{lead_id}?flash=drafting#outreach", status_code=SEE_OTHER)


# --- the batch ledgers ----------------------------------------------------------------------


@get("/imports", name="lead_imports")
async def imports_page(
    session: AsyncSession,
    signed_in: Visitor,
    after: Annotated[str | None, QueryParameter(max_length=1_000)] = None,
) -> Response[Any]:
    """Imported lists, newest first, each with its one-line summary and progress."""
    error: str | None = None
    try:
        page = await list_imports(session, first=IMPORTS_PER_PAGE, after=after)
    except CompoundError as refused:  # a stale or forged cursor
        error = refused.message
        page = await list_imports(session, first=IMPORTS_PER_PAGE)
    return Template(
        template_name="leads/imports.html",
        context={
            "visitor": signed_in,
            "active": "imports",
            "imports": [(row, summary_line(row)) for row in page.items],
            "total": page.total_count,
            "next_cursor": page.end_cursor if page.has_next_page else None,
            "error": error,
        },
        status_code=400 if error else 200,
    )


@get("/imports/{import_id:uuid}", name="lead_import")
async def import_page(
    session: AsyncSession, signed_in: Visitor, import_id: Annotated[uuid.UUID, PathParameter()]
) -> Response[Any]:
    """One batch ledger, line by line."""
    try:
        ledger = await get_import(session, import_id)
    except NotFound as error:
        return message_page("Not found", error.message, status_code=404)
    return Template(
        template_name="leads/import.html",
        context={
            "visitor": signed_in,
            "active": "imports",
            "ledger": ledger,
            "summary": summary_line(ledger),
            "lines": [LedgerLine.model_validate(line) for line in ledger.lines],
        },
    )


# --- the ideal customer profile -------------------------------------------------------------


def _icp_drafts(icp: Any) -> dict[str, str]:
    return {
        "description": icp.description,
        **{name: ", ".join(getattr(icp, name)) for name in ICP_LISTS},
        "threshold": str(icp.threshold),
    }


def _icp_page(
    signed_in: Visitor,
    drafts: dict[str, str],
    *,
    updated: str | None,
    saved: bool = False,
    problem: Problem | None = None,
    status_code: int = 200,
) -> Template:
    return Template(
        template_name="leads/icp.html",
        context={
            "visitor": signed_in,
            "active": "settings",
            "csrf": signed_in.csrf_token,
            "can_write": can_write(signed_in),
            "drafts": drafts,
            "updated": updated,
            "saved": saved,
            "problem": problem,
        },
        status_code=status_code,
    )


@get("/settings/icp", name="icp_settings")
async def icp_form(
    session: AsyncSession,
    signed_in: Visitor,
    flash: Annotated[str | None, QueryParameter(max_length=20)] = None,
) -> Response[Any]:
    """The ideal customer profile: what fits, and the score a company needs to be researched."""
    icp = await get_icp(session)
    return _icp_page(signed_in, _icp_drafts(icp), updated=icp.updated_by, saved=flash == "saved")


def _terms(text: str) -> list[str]:
    return [term.strip() for term in text.split(",") if term.strip()]


def _threshold(text: str) -> int:
    try:
        return int(text.strip())
    except ValueError:
        raise ValidationFailed(
            f"threshold: a whole number from 0 to 100; got {text.strip()[:20]!r}",
            field="threshold",
        ) from None


@post(
    "/settings/icp",
    name="icp_save",
    status_code=SEE_OTHER,
    opt=writes("/settings/icp", viewers_cannot=VIEWERS_CANNOT),
)
async def icp_save(
    request: Request[Any, Any, Any], session: AsyncSession, signed_in: Visitor
) -> Response[Any]:
    form = await request.form()
    drafts = {
        name: str(form.get(name) or "")[:ICP_FORM_MAX]
        for name in ("description", *ICP_LISTS, "threshold")
    }
    try:
        threshold = _threshold(drafts["threshold"])
        async with session.begin_nested():
            await update_icp(
                session,
                signed_in.actor,
                description=drafts["description"],
                sectors=_terms(drafts["sectors"]),
                stages=_terms(drafts["stages"]),
                regions=_terms(drafts["regions"]),
                keywords=_terms(drafts["keywords"]),
                threshold=threshold,
            )
    except CompoundError as error:
        icp = await get_icp(session)
        return _icp_page(
            signed_in,
            drafts,
            updated=icp.updated_by,
            problem=Problem(message=error.message, field=error.field, drafts=drafts),
            status_code=400,
        )
    return Redirect("/settings/icp?flash=saved", status_code=SEE_OTHER)


PAGE_HANDLERS: list[HTTPRouteHandler] = [
    leads_board,
    move_lead,
    lead_detail,
    draft_lead_outreach,
    imports_page,
    import_page,
    icp_form,
    icp_save,
]
