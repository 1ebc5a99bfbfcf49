"""The demo work `compound up` starts on a fresh database: the demo list, imported by the
real agents (offline engines, the bundled directory), leaves a "No URL found" exception, a
"which company is it?" question and outreach approvals in the Inbox; it is started once."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from compound.agents.inbox.models import InboxItem
from compound.agents.runtime.models import AgentRun
from compound.modules.leads import imports
from compound.modules.leads.demo import (
    DEMO_LIST_TITLE,
    DEMO_NAMESAKES,
    seed_demo_icp,
    seed_demo_inbox,
)
from compound.modules.leads.imports import LedgerLine, Outcome
from compound.modules.leads.models import Lead
from compound.platform.auth import service as auth
from compound.platform.auth.actor import Actor
from compound.platform.records.companies import create_company
from compound.platform.records.models import Company
from tests.agent_driver import drive


async def demo_admin(session: AsyncSession) -> Actor:
    admin = await auth.create_user(
        session,
        Actor.system("tests"),
        email="demo-admin@tests.example",
        role="admin",
        name="Demo Admin",
    )
    return auth.actor_for_user(admin)


async def open_items(session: AsyncSession) -> list[InboxItem]:
    rows = await session.execute(
        select(InboxItem)
        .where(col(InboxItem.status) == "open")
        .order_by(col(InboxItem.created_at), col(InboxItem.id))
    )
    return list(rows.scalars())


async def import_runs(session: AsyncSession) -> int:
    return (
        await session.scalar(
            select(func.count())
            .select_from(AgentRun)
            .where(col(AgentRun.agent) == "leads.import_list")
        )
    ) or 0


async def test_the_demo_list_ends_in_an_exception_a_question_and_outreach_approvals(
    session: AsyncSession,
) -> None:
    admin = await demo_admin(session)
    assert await seed_demo_icp(session) is True
    import_id = await seed_demo_inbox(session, admin)
    assert import_id is not None
    await session.commit()
    await drive(session)

    ledger = await imports.get_import(session, import_id)
    assert ledger.title == DEMO_LIST_TITLE and ledger.state == "done"
    assert (ledger.found, ledger.added, ledger.known, ledger.skipped, ledger.failed) == (
        5,
        3,
        0,
        1,
        0,
    )
    assert ledger.need_you == 2 and ledger.requester_user_id == admin.user_id
    lines = {line.name: line for line in map(LedgerLine.model_validate, ledger.lines)}
    assert lines["Marigold Bakehouse"].outcome is Outcome.SKIPPED
    assert lines["Tamarind Payments"].outcome is Outcome.ASKED
    added = {name for name, line in lines.items() if line.outcome is Outcome.ADDED}
    assert added == {"Patchwork Billing", "Lumen Hire", "Tessellate Labs"}
    websites = dict(
        (
            await session.execute(
                select(col(Company.name), col(Company.domain)).where(col(Company.name).in_(added))
            )
        ).all()
    )
    assert websites == {
        "Patchwork Billing": "patchwork-billing.example",  # from the list
        "Lumen Hire": "lumenhire.example",  # from the bundled directory
        "Tessellate Labs": None,
    }

    items = await open_items(session)
    by_kind: dict[str, list[InboxItem]] = {}
    for item in items:
        by_kind.setdefault(item.kind, []).append(item)
    assert sorted(by_kind) == ["exception", "question"]
    missing_url = [i for i in by_kind["exception"] if i.title.startswith("No URL found for")]
    [exception] = missing_url
    assert exception.root_run_id == import_id
    assert exception.title.startswith("No URL found for Tessellate Labs: tried directory")
    [question] = by_kind["question"]
    assert question.root_run_id == import_id
    assert question.title == "Is “Tamarind Payments” one of these companies, or a new one?"
    assert question.proposal is not None
    choices = question.proposal["choices"]
    assert choices[-1] == "Create a new company"
    for name, domain, _ in DEMO_NAMESAKES:
        assert f"Link to {name} ({domain})" in choices
    # The added leads are the requester's; the CRM knows nobody to write to at their
    # companies, so each gets one "no contact known" exception, not a blank draft.
    leads = {
        lead.id: lead
        for lead in (
            await session.execute(
                select(Lead).where(
                    col(Lead.id).in_([line.lead_id for line in lines.values() if line.lead_id])
                )
            )
        ).scalars()
    }
    assert len(leads) == 3
    assert all(lead.owner_user_id == admin.user_id for lead in leads.values())
    no_contact = [i for i in by_kind["exception"] if i.title.startswith("No contact known for")]
    assert len(no_contact) == 3
    companies = {lead.company_id for lead in leads.values()}
    assert {uuid.UUID(item.evidence[0]["record_id"]) for item in no_contact} == companies
    assert all(item.title.endswith("— add a person") for item in no_contact)


async def test_the_demo_list_is_started_once(session: AsyncSession) -> None:
    admin = await demo_admin(session)
    assert await seed_demo_inbox(session, admin) is not None
    runs = await import_runs(session)
    companies = await session.scalar(select(func.count()).select_from(Company))

    assert await seed_demo_inbox(session, admin) is None

    assert await import_runs(session) == runs
    assert await session.scalar(select(func.count()).select_from(Company)) == companies


async def test_the_demo_reuses_namesakes_already_in_the_crm(session: AsyncSession) -> None:
    name, domain, description = DEMO_NAMESAKES[0]
    existing = await create_company(
        session, Actor.system("tests"), name=name, domain=domain, description=description
    )
    await seed_demo_inbox(session, await demo_admin(session))
    found = await session.execute(select(col(Company.id)).where(col(Company.domain) == domain))
    assert list(found.scalars()) == [existing.id]
