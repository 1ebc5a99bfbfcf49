"""The research agent: one company from a list → resolve it or create it in the CRM, find its
website, write what is known as a note and qualify the lead. What it cannot decide (which
of two namesakes, no website found) goes to a person's Inbox as a question."""

from __future__ import annotations

import uuid
from typing import Any

from pydantic import BaseModel, Field

from compound.agents.inbox.items import Evidence
from compound.agents.runtime.agent import Agent, Budget, register
from compound.agents.runtime.context import (
    QuestionDismissed,
    RunContext,
    ToolFailed,
)
from compound.modules.leads import tools
from compound.modules.leads.contract import (
    ExtractedCompany,
)
from compound.modules.leads.imports import LedgerLine, Outcome
from compound.modules.leads.outreach import OutreachBatch, start_outreach_drafts


class Question(BaseModel):
    reason: str = Field(max_length=1_000)
    candidates: list[tools.CandidateView] = Field(max_length=10)


class ResearchCompany(BaseModel):
    import_id: uuid.UUID
    company: ExtractedCompany
    score: int = Field(ge=0, le=100)
    rationale: str = Field(min_length=1, max_length=2_000)
    message_id: uuid.UUID | None = None
    owner_user_id: uuid.UUID | None = None
    question: Question | None = None
    """Set on the run that asks a person which company this is, then finishes the research."""


class Researched(BaseModel):
    outcome: Outcome
    company_id: uuid.UUID | None = None
    lead_id: uuid.UUID | None = None
    detail: str = ""


CREATE_NEW = "Create a new company"


def _choice(candidate: tools.CandidateView) -> str:
    return f"Link to {candidate.name} ({candidate.domain or 'no website'})"


async def _research_offline(context: RunContext, request: ResearchCompany) -> Researched:
    resolve = _resolve_arguments(request)
    if request.question is not None:
        decided = await _ask_which(context, request, request.question)
        if decided is None:
            return await _skip_dismissed(context, request)
        resolve = resolve.model_copy(update=decided)
    resolved = tools.ResolvedCompany.model_validate(
        await context.call("resolve_or_create_company", resolve)
    )
    if resolved.action == "ask":
        return await _ask_in_a_run_of_its_own(context, request, resolved)
    assert resolved.company_id is not None
    details = [resolved.reason]
    web: dict[str, Any] | None = None
    needs_you = False
    if not resolved.domain:
        web, found = await _find_website(context, request, resolved, resolved.company_id)
        details.append(found)
        needs_you = web is None
    lead_id = await _write_up(context, request, resolved, resolved.company_id, web)
    return await _finish_research(
        context, request, resolved, lead_id, details=details, needs_you=needs_you
    )


def _resolve_arguments(request: ResearchCompany) -> tools.ResolveCompany:
    company = request.company
    return tools.ResolveCompany(
        name=company.name,
        url_hint=company.url or None,
        context=company.one_liner[: tools.CONTEXT_MAX],
        source_message_id=request.message_id,
        span=company.span,
    )


async def _skip_dismissed(context: RunContext, request: ResearchCompany) -> Researched:
    line = LedgerLine(
        name=request.company.name,
        outcome=Outcome.SKIPPED,
        detail="a person dismissed the question",
    )
    await _record(context, request, line, settled=True)
    return Researched(outcome=Outcome.SKIPPED, detail=line.detail)


async def _ask_in_a_run_of_its_own(
    context: RunContext, request: ResearchCompany, resolved: tools.ResolvedCompany
) -> Researched:
    # The batch does not wait for a person: a run of its own asks and finishes the job.
    question = Question(reason=resolved.reason[:1_000], candidates=resolved.candidates)
    await context.start_children(RESEARCH, [request.model_copy(update={"question": question})])
    line = LedgerLine(
        name=request.company.name,
        outcome=Outcome.ASKED,
        detail=f"which company is it? {resolved.reason}"[:500],
        needs_you=True,
        run_id=context.run.id,
    )
    await _record(context, request, line)
    return Researched(outcome=Outcome.ASKED, detail=line.detail)


async def _find_website(
    context: RunContext,
    request: ResearchCompany,
    resolved: tools.ResolvedCompany,
    company_id: uuid.UUID,
) -> tuple[dict[str, Any] | None, str]:
    """Look up and record the company's website: the website (None if none) and the ledger's
    word on it; a company left without one is reported to a person."""
    company = request.company
    found = await context.call(
        "find_website", tools.FindWebsite(name=company.name, context=company.one_liner[:2_000])
    )
    web: dict[str, Any] | None = found.get("website")
    tried = "; ".join(found.get("tried", [])) or "nothing to try"
    if web:
        try:
            await context.call(
                "record_website",
                tools.RecordWebsite(
                    company_id=company_id,
                    domain=web["domain"],
                    description=(web.get("description") or "")[:2_000],
                    source_url=web.get("source") or "",
                ),
            )
            return web, f"website {web['domain']} found ({found['provider']})"
        except ToolFailed as failure:
            tried = failure.message
    await context.report_exception(
        f"No URL found for {company.name}: tried {tried}"[:300],
        explanation=(
            f"{company.name} was {'added' if resolved.action == 'created' else 'linked'}"
            f" without a website. Tried: {tried}. Add it on the company if you know it."
        ),
        evidence=_evidence(request, company_id),
    )
    return None, "no website found"


async def _write_up(
    context: RunContext,
    request: ResearchCompany,
    resolved: tools.ResolvedCompany,
    company_id: uuid.UUID,
    web: dict[str, Any] | None,
) -> uuid.UUID:
    """The research note and the qualified lead; the lead's id."""
    await context.call(
        "write_research_note",
        tools.ResearchNote(
            company_id=company_id,
            body=_note(request, resolved, web),
            source_message_id=request.message_id,
        ),
    )
    lead = await context.call(
        "qualify_lead",
        tools.QualifyLead(
            company_id=company_id,
            score=request.score,
            rationale=request.rationale,
            source_message_id=request.message_id,
            owner_user_id=request.owner_user_id,
        ),
    )
    return uuid.UUID(lead["lead_id"])


async def _finish_research(
    context: RunContext,
    request: ResearchCompany,
    resolved: tools.ResolvedCompany,
    lead_id: uuid.UUID,
    *,
    details: list[str],
    needs_you: bool,
) -> Researched:
    company = request.company
    outcome = Outcome.ADDED if resolved.action == "created" else Outcome.KNOWN
    line = LedgerLine(
        name=company.name,
        outcome=outcome,
        detail="; ".join([*details, *company.notes])[:500],
        needs_you=needs_you,
        company_id=resolved.company_id,
        lead_id=lead_id,
        run_id=context.run.id,
    )
    await _record(context, request, line, settled=request.question is not None)
    if request.question is not None:
        # Settled after the batch was done: its outreach is drafted on its own.
        await context.call(
            "start_outreach_drafts", OutreachBatch(title=company.name, lead_ids=[lead_id])
        )
    return Researched(
        outcome=outcome, company_id=resolved.company_id, lead_id=lead_id, detail=line.detail
    )


async def _ask_which(
    context: RunContext, request: ResearchCompany, question: Question
) -> dict[str, Any] | None:
    """Ask which company the name means, candidates side by side; None if dismissed."""
    company = request.company
    choices = [_choice(candidate) for candidate in question.candidates] + [CREATE_NEW]
    evidence = [
        Evidence(
            label=f"{c.name} — {c.domain or 'no website'} — {c.description or 'no description'}",
            record_type="company",
            record_id=c.company_id,
        )
        for c in question.candidates
    ]
    try:
        answer = await context.ask(
            f"Is “{company.name}” one of these companies, or a new one?",
            choices=choices,
            explanation=(
                f"The list says: {company.name}"
                + (f" ({company.url})" if company.url else "")
                + (f" — {company.one_liner}" if company.one_liner else "")
                + f". {question.reason}."
            ),
            evidence=[*evidence, *_evidence(request, None)],
        )
    except QuestionDismissed:
        return None
    for candidate in question.candidates:
        if answer == _choice(candidate):
            return {"link_to": candidate.company_id}
    return {"create_new": True}


def _evidence(request: ResearchCompany, company_id: uuid.UUID | None) -> list[Evidence]:
    found = []
    if company_id is not None:
        found.append(
            Evidence(label=request.company.name, record_type="company", record_id=company_id)
        )
    if request.message_id is not None:
        found.append(
            Evidence(
                label="the list it came from",
                record_type="message",
                record_id=request.message_id,
                quote=request.company.source or None,
            )
        )
    return found


def _note(
    request: ResearchCompany, resolved: tools.ResolvedCompany, web: dict[str, Any] | None
) -> str:
    company = request.company
    facts = [
        ("Sector", company.sector.value if company.sector else ""),
        ("Stage", company.stage.value if company.stage else ""),
        ("Location", company.location),
    ]
    lines = [
        f"Research: {company.name}",
        "",
        f"What they do: {company.one_liner or 'the list does not say'}",
    ]
    if web and web.get("description"):
        lines.append(f"Their website says: {web['description']}")
    lines += [f"{label}: {value}" for label, value in facts if value]
    lines += ["", f"Why they fit ({request.score}/100): {request.rationale}", "", "Sources:"]
    if request.message_id is not None:
        lines.append(f"- the email (message {request.message_id}): “{company.source[:500]}”")
    else:
        lines.append(f"- the imported list: “{company.source[:500]}”")
    if web:
        lines.append(f"- the website: {web.get('source') or web['domain']}")
    lines.append(f"- CRM match: {resolved.reason}")
    return "\n".join(lines)


async def _record(
    context: RunContext, request: ResearchCompany, line: LedgerLine, *, settled: bool = False
) -> None:
    await context.call(
        "record_ledger_line",
        tools.LineArguments(import_id=request.import_id, line=line, settled=settled),
    )


RESEARCH: Agent[ResearchCompany, Researched] = register(
    Agent(
        name="leads.research_company",
        # Bookkeeping around the resolution and the lookup: no model of its own.
        instructions="",
        input_schema=ResearchCompany,
        output_schema=Researched,
        offline=_research_offline,
        tools=(
            tools.resolve_or_create_company,
            tools.find_website,
            tools.record_website,
            tools.write_research_note,
            tools.qualify_lead,
            tools.record_ledger_line,
            start_outreach_drafts,
        ),
        budget=Budget(max_steps=20, max_tokens=1, max_cost_usd=0.01),
        title=lambda request: (
            f"Settle which company “{request.company.name}” is"
            if request.question
            else f"Research {request.company.name}"
        ),
    )
)


# --- the import: one run per list -------------------------------------------------------
