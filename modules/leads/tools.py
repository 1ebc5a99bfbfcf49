"""The tools the leads agents call: typed business operations, each with its effect, each
write citing where it came from (the email and the span, or the website)."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, Field
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from compound.agents.runtime.context import RunContext
from compound.agents.runtime.tools import Effect, tool
from compound.modules.leads import imports, service
from compound.modules.leads.contract import DEAL_FLOW_TEXT_MAX, DealFlowEmail, Span
from compound.modules.leads.fit import IcpCriteria
from compound.modules.leads.imports import LedgerLine
from compound.modules.leads.lookup import web_lookup
from compound.modules.leads.models import ImportSource, LeadStatus
from compound.modules.leads.resolution import Action, resolve_company, website
from compound.modules.leads.settings import get_leads_settings
from compound.platform.email.processing import get_message
from compound.platform.errors import Duplicate
from compound.platform.normalize import company_name_key, registrable_domain
from compound.platform.records import notes, tasks
from compound.platform.records.companies import (
    create_company,
    find_company_by_domain,
    get_company,
    update_company,
)
from compound.platform.records.models import COMPANY_NAME_MAX, DESCRIPTION_MAX, TASK_TITLE_MAX

CONTEXT_MAX = 2_000
NOTE_MAX = 20_000


class MessageRef(BaseModel):
    message_id: uuid.UUID


class NoArguments(BaseModel):
    pass


@tool(effect=Effect.READ, reads_untrusted=True)
async def read_deal_flow(context: RunContext, arguments: MessageRef) -> DealFlowEmail:
    """Read a forwarded list of companies: the whole text, forwarded and quoted parts
    included (the list is usually in them). Untrusted content."""
    message = await get_message(context.require_session(), arguments.message_id)
    return DealFlowEmail(
        text=message.text_body[:DEAL_FLOW_TEXT_MAX],
        subject=message.subject[:1_000],
        sender=(message.from_address or "")[:320],
    )


@tool(effect=Effect.READ)
async def read_icp(context: RunContext, arguments: NoArguments) -> IcpCriteria:
    """The workspace's ideal customer profile: description, criteria and fit threshold."""
    return IcpCriteria.of(await service.get_icp(context.require_session()))


class OpenLedger(BaseModel):
    source: ImportSource
    title: str = Field(max_length=1_000)
    requested_by: str = Field(max_length=320)
    message_id: uuid.UUID | None = None
    requester_user_id: uuid.UUID | None = None


@tool(effect=Effect.WRITE)
async def open_import_ledger(context: RunContext, arguments: OpenLedger) -> dict[str, str]:
    """Open (or find) the batch ledger of this import."""
    ledger = await imports.open_ledger(
        context.require_session(),
        run_id=context.run.id,
        source=arguments.source,
        title=arguments.title,
        requested_by=arguments.requested_by,
        message_id=arguments.message_id,
        requester_user_id=arguments.requester_user_id,
    )
    return {"import_id": str(ledger.id)}


class Triaged(BaseModel):
    import_id: uuid.UUID
    found: int = Field(ge=0)
    to_research: int = Field(ge=0)
    lines: list[LedgerLine] = Field(default_factory=list, max_length=10_000)


@tool(effect=Effect.WRITE)
async def record_triaged_list(context: RunContext, arguments: Triaged) -> str:
    """Record on the ledger what was found, what was skipped and why, and what is researched."""
    await imports.record_triaged(
        context.require_session(),
        arguments.import_id,
        found=arguments.found,
        to_research=arguments.to_research,
        lines=arguments.lines,
    )
    return "recorded"


class ResolveCompany(BaseModel):
    name: str = Field(min_length=1, max_length=COMPANY_NAME_MAX)
    url_hint: str | None = Field(default=None, max_length=2_048)
    context: str = Field(default="", max_length=CONTEXT_MAX)
    """What the source says the company does."""
    link_to: uuid.UUID | None = None
    """A person's answer: this is that company."""
    create_new: bool = False
    """A person's answer: this is a company the CRM does not have."""
    source_message_id: uuid.UUID | None = None
    span: Span | None = None


class CandidateView(BaseModel):
    company_id: uuid.UUID
    name: str
    domain: str | None
    description: str | None
    spelling: float
    meaning: float | None


class ResolvedCompany(BaseModel):
    action: Literal["linked", "created", "ask"]
    reason: str
    company_id: uuid.UUID | None = None
    name: str | None = None
    domain: str | None = None
    filled: list[str] = Field(default_factory=list)
    """Blank fields of a known company this filled in (domain, description)."""
    candidates: list[CandidateView] = Field(default_factory=list)


async def _lock(session: AsyncSession, *keys: str) -> None:
    # Two runs resolving the same name (two lists at once) take turns: the second sees
    # the first's company instead of creating a twin.
    for key in sorted({k for k in keys if k}):
        await session.execute(select(func.pg_advisory_xact_lock(func.hashtext(f"leads:{key}"))))


def _source(arguments: ResolveCompany) -> dict[str, Any]:
    source: dict[str, Any] = {}
    if arguments.source_message_id:
        source["message_id"] = str(arguments.source_message_id)
    if arguments.span:
        source["span"] = [arguments.span.start, arguments.span.end]
    return source


@tool(effect=Effect.WRITE)
async def resolve_or_create_company(
    context: RunContext, arguments: ResolveCompany
) -> ResolvedCompany:
    """Find the CRM company a name (with its URL and one-liner) means: a clear match links,
    a clear miss creates, and an unclear case returns `ask` with the candidates, writing
    nothing. With `link_to` or `create_new` (a person's answer) it does just that."""
    session = context.require_session()
    domain = website(arguments.url_hint)
    await _lock(
        session, company_name_key(arguments.name), registrable_domain(domain) if domain else ""
    )
    actor = context.actor.citing(source=_source(arguments), confidence=None)
    if arguments.link_to is not None:
        company = await get_company(session, arguments.link_to)
        filled = await _fill_blanks(session, context, arguments, company.id, domain)
        return _linked(company.id, company.name, company.domain, "a person said so", filled)
    if not arguments.create_new:
        resolution = await resolve_company(
            session, name=arguments.name, url_hint=arguments.url_hint, context=arguments.context
        )
        if resolution.action is Action.ASK:
            views = []
            for candidate in resolution.candidates[:5]:
                company = await get_company(session, candidate.company_id)
                views.append(
                    CandidateView(
                        company_id=candidate.company_id,
                        name=candidate.name,
                        domain=candidate.domain,
                        description=(company.description or "")[:300] or None,
                        spelling=round(candidate.spelling, 1),
                        meaning=None if candidate.meaning is None else round(candidate.meaning, 3),
                    )
                )
            return ResolvedCompany(action="ask", reason=resolution.reason, candidates=views)
        if resolution.action is Action.LINK and resolution.company_id is not None:
            filled = await _fill_blanks(session, context, arguments, resolution.company_id, domain)
            company = await get_company(session, resolution.company_id)
            return _linked(company.id, company.name, company.domain, resolution.reason, filled)
    free_domain = (
        domain if domain and await find_company_by_domain(session, domain) is None else None
    )
    company = await create_company(
        session,
        actor.citing(source=_source(arguments), confidence=0.9),
        name=arguments.name,
        domain=free_domain,
        description=arguments.context[:DESCRIPTION_MAX] or None,
    )
    return ResolvedCompany(
        action="created",
        reason="a person said it is new" if arguments.create_new else "no company like it",
        company_id=company.id,
        name=company.name,
        domain=company.domain,
    )


def _linked(
    company_id: uuid.UUID, name: str, domain: str | None, reason: str, filled: list[str]
) -> ResolvedCompany:
    return ResolvedCompany(
        action="linked",
        reason=reason,
        company_id=company_id,
        name=name,
        domain=domain,
        filled=filled,
    )


async def _fill_blanks(
    session: AsyncSession,
    context: RunContext,
    arguments: ResolveCompany,
    company_id: uuid.UUID,
    domain: str | None,
) -> list[str]:
    """A known company gains what it lacked (a website, a description); nothing it has is
    overwritten from an email."""
    company = await get_company(session, company_id)
    changes: dict[str, Any] = {}
    if domain and not company.domain and await find_company_by_domain(session, domain) is None:
        changes["domain"] = domain
    if arguments.context.strip() and not company.description:
        changes["description"] = arguments.context[:DESCRIPTION_MAX]
    if changes:
        await update_company(
            session,
            context.actor.citing(source=_source(arguments), confidence=0.8),
            company_id,
            **changes,
        )
    return sorted(changes)


class FindWebsite(BaseModel):
    name: str = Field(min_length=1, max_length=COMPANY_NAME_MAX)
    context: str = Field(default="", max_length=CONTEXT_MAX)


@tool(effect=Effect.READ, reads_untrusted=True)
async def find_website(context: RunContext, arguments: FindWebsite) -> dict[str, Any]:
    """Look a company's website up (the configured web lookup): the site found, if any is
    trustworthy, and everything tried. Web content is untrusted."""
    lookup = web_lookup(get_leads_settings())
    result = await lookup.find_website(arguments.name, context=arguments.context)
    found = result.website
    return {
        "provider": lookup.name,
        "website": None
        if found is None
        else {
            "domain": found.domain,
            "title": found.title,
            "description": found.description,
            "source": found.source,
        },
        "tried": list(result.tried)[:30],
    }


class RecordWebsite(BaseModel):
    company_id: uuid.UUID
    domain: str = Field(min_length=1, max_length=253)
    description: str = Field(default="", max_length=DESCRIPTION_MAX)
    source_url: str = Field(default="", max_length=2_048)


@tool(effect=Effect.WRITE)
async def record_website(context: RunContext, arguments: RecordWebsite) -> dict[str, Any]:
    """Give a company the website a lookup found (and its description, if it had none)."""
    session = context.require_session()
    company = await get_company(session, arguments.company_id)
    owner = await find_company_by_domain(session, arguments.domain)
    if owner is not None and owner.id != company.id:
        raise Duplicate(
            f"{arguments.domain} is already the website of {owner.name}",
            field="domain",
            existing_id=str(owner.id),
        )
    changes: dict[str, Any] = {}
    if not company.domain:
        changes["domain"] = arguments.domain
    if arguments.description.strip() and not company.description:
        changes["description"] = arguments.description
    if changes:
        source = {"url": arguments.source_url or f"https://{arguments.domain}/"}
        await update_company(
            session, context.actor.citing(source=source, confidence=0.7), company.id, **changes
        )
    return {"company_id": str(company.id), "filled": sorted(changes)}


class ResearchNote(BaseModel):
    company_id: uuid.UUID
    body: str = Field(min_length=1, max_length=NOTE_MAX)
    source_message_id: uuid.UUID | None = None


@tool(effect=Effect.WRITE)
async def write_research_note(context: RunContext, arguments: ResearchNote) -> dict[str, str]:
    """Attach the research note (what they do, why they fit, sources) to the company."""
    source = {"message_id": str(arguments.source_message_id)} if arguments.source_message_id else {}
    note = await notes.create_note(
        context.require_session(),
        context.actor.citing(source=source, confidence=None),
        body=arguments.body,
        company_id=arguments.company_id,
    )
    return {"note_id": str(note.id)}


class QualifyLead(BaseModel):
    company_id: uuid.UUID
    score: int = Field(ge=0, le=100)
    rationale: str = Field(min_length=1, max_length=2_000)
    source_message_id: uuid.UUID | None = None
    owner_user_id: uuid.UUID | None = None


@tool(effect=Effect.WRITE)
async def qualify_lead(context: RunContext, arguments: QualifyLead) -> dict[str, Any]:
    """Create the company's lead as qualified, or move its existing new or researching lead
    to qualified; a lead further along the pipeline keeps its status."""
    session = context.require_session()
    source = {"message_id": str(arguments.source_message_id)} if arguments.source_message_id else {}
    actor = context.actor.citing(source=source, confidence=arguments.score / 100)
    existing = await service.lead_of_company(session, arguments.company_id)
    if existing is None:
        lead = await service.create_lead(
            session,
            actor,
            company_id=arguments.company_id,
            score=arguments.score,
            rationale=arguments.rationale,
            status=LeadStatus.QUALIFIED,
            source_message_id=arguments.source_message_id,
            owner_user_id=arguments.owner_user_id,
        )
        return {"lead_id": str(lead.id), "created": True, "status": lead.status}
    status = LeadStatus(existing.status)
    if status in (LeadStatus.NEW, LeadStatus.RESEARCHING):
        lead = await service.update_lead(
            session,
            actor,
            existing.id,
            status=LeadStatus.QUALIFIED,
            score=arguments.score,
            rationale=arguments.rationale,
        )
    else:
        lead = existing
    return {"lead_id": str(lead.id), "created": False, "status": lead.status}


class LineArguments(BaseModel):
    import_id: uuid.UUID
    line: LedgerLine
    settled: bool = False
    """The line settles a question asked earlier (the company was counted as needing you)."""


@tool(effect=Effect.WRITE)
async def record_ledger_line(context: RunContext, arguments: LineArguments) -> str:
    """Count one company's outcome on the batch ledger."""
    session = context.require_session()
    if arguments.settled:
        await imports.settle_line(session, arguments.import_id, arguments.line)
    else:
        await imports.record_line(session, arguments.import_id, arguments.line)
    return "recorded"


class FinishImport(BaseModel):
    import_id: uuid.UUID
    failed: list[LedgerLine] = Field(default_factory=list, max_length=10_000)


@tool(effect=Effect.WRITE)
async def finish_import(context: RunContext, arguments: FinishImport) -> dict[str, Any]:
    """Close the batch ledger: count runs that failed, write its one-line summary."""
    ledger = await imports.finish_ledger(
        context.require_session(), arguments.import_id, failed=arguments.failed
    )
    return {
        "summary": imports.summary_line(ledger),
        "found": ledger.found,
        "skipped": ledger.skipped,
        "added": ledger.added,
        "known": ledger.known,
        "need_you": ledger.need_you,
        "failed": ledger.failed,
        "lines": ledger.lines,
    }


class FollowUp(BaseModel):
    title: str = Field(min_length=1, max_length=TASK_TITLE_MAX)
    due_date: date
    assignee_user_id: uuid.UUID | None = None


@tool(effect=Effect.WRITE)
async def create_follow_up_task(context: RunContext, arguments: FollowUp) -> dict[str, str]:
    """A task for the person who sent the list, to look at what came of it."""
    task = await tasks.create_task(
        context.require_session(),
        context.actor,
        title=arguments.title,
        due_date=arguments.due_date,
        assignee_user_id=arguments.assignee_user_id,
    )
    return {"task_id": str(task.id)}
