"""What `compound up` gives the leads module on a fresh database: an ideal customer profile,
so the first list a person forwards is judged against something real, and one demo list
imported by the real agents, so the Agent Inbox has work in it on the first visit."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from compound.modules.leads.agents import start_import
from compound.modules.leads.imports import check_list_text
from compound.modules.leads.models import ImportSource, LeadImport
from compound.modules.leads.service import get_icp, update_icp
from compound.platform.auth.actor import Actor
from compound.platform.records.companies import create_company, find_company_by_domain

DEMO_DESCRIPTION = (
    "Compound sells a CRM run by agents to B2B software startups whose founders still "
    "do sales themselves: teams of 5 to 50 that send outbound email, run demos and "
    "manage a pipeline of other businesses."
)

DEMO_LIST_TITLE = "Foundry Bay demo day: autumn cohort"
DEMO_LIST = """\
Hi!

Foundry Bay Incubator here. Our autumn cohort presents at demo day next month, and these
five are raising now:

1. Patchwork Billing (patchwork-billing.example) — metered billing API for B2B SaaS. Seed · Toronto
2. Lumen Hire — structured interviews and hiring analytics for engineering teams. Seed · Berlin
3. Tessellate Labs — sales call notes and pipeline platform for B2B teams. Pre-seed · Austin, TX
4. Tamarind Payments — payments API for B2B SaaS platforms. Seed · London, UK
5. Marigold Bakehouse — sourdough bread and pastries for neighbourhood cafés. Seed · Lyon, France

Demo day is hosted by our friends at Pier 9 Studios.

Best,
Joanna Reyes
Foundry Bay Incubator
"""
"""What each company in it shows, run by the offline engines with the bundled directory:
Patchwork Billing is added with the website the list gives; Lumen Hire's website is found
in the directory; Tessellate Labs has none anywhere (a "No URL found" exception); two
companies in the CRM go by "Tamarind Payments" (a question: which one is it?); Marigold
Bakehouse does not fit the profile (skipped). Each added lead gets an outreach draft to
approve."""

DEMO_NAMESAKES: tuple[tuple[str, str, str], ...] = (
    (
        "Tamarind Payments Inc.",
        "tamarind-payments.example",
        "Payment processing for US online marketplaces",
    ),
    (
        "Tamarind Payments Ltd",
        "tamarindpay.example",
        "Card issuing and expense management for UK small businesses",
    ),
)
"""Two companies already in the CRM under one name: what makes the demo list ask."""

DEMO_ACTOR = Actor.system("demo")


async def seed_demo_icp(session: AsyncSession) -> bool:
    """Write the demo ICP unless someone already wrote one; True when it was written."""
    icp = await get_icp(session)
    if icp.updated_by is not None:
        return False
    await update_icp(
        session,
        DEMO_ACTOR,
        description=DEMO_DESCRIPTION,
        sectors=["devtools", "ai infrastructure", "fintech", "hr tech", "legal tech", "security"],
        stages=["pre-seed", "seed", "series a"],
        regions=["north america", "europe"],
        keywords=["b2b", "saas", "sales", "platform", "api", "teams"],
        threshold=50,
    )
    return True


async def seed_demo_inbox(session: AsyncSession, actor: Actor) -> uuid.UUID | None:
    """Start importing the demo list, requested by `actor` (the demo admin), as the
    `importCompanyList` mutation would; the worker's agents turn it into companies, leads
    and Inbox items. Returns the import's id, or None when the demo list was imported
    before (it is started once per database)."""
    started = await session.scalar(
        select(col(LeadImport.id)).where(col(LeadImport.title) == DEMO_LIST_TITLE).limit(1)
    )
    if started is not None:
        return None
    for name, domain, description in DEMO_NAMESAKES:
        if await find_company_by_domain(session, domain) is None:
            await create_company(
                session, DEMO_ACTOR, name=name, domain=domain, description=description
            )
    ledger = await start_import(
        session,
        actor,
        source=ImportSource.TEXT,
        title=DEMO_LIST_TITLE,
        requested_by=actor.label,
        requester_user_id=actor.user_id,
        text=check_list_text(DEMO_LIST),
    )
    return ledger.id


async def queue_demo_work(session: AsyncSession, actor: Actor) -> str | None:
    """What `compound up` reports of the demo's agent work: the list import it queued."""
    if await seed_demo_inbox(session, actor) is None:
        return None
    return f"the agents import “{DEMO_LIST_TITLE}”"
