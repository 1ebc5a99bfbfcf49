"""Leads on the real database: one per company, moves along the pipeline with a rationale,
paging by score, and the ideal customer profile's rules."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from compound.modules.leads import service
from compound.modules.leads.models import LeadStatus
from compound.platform.auth.actor import Actor
from compound.platform.errors import Duplicate, NotFound, TooLong, ValidationFailed
from compound.platform.records.models import Activity
from tests.factories import make_company


async def test_a_company_has_one_lead(session: AsyncSession, actor: Actor) -> None:
    company = await make_company(session)
    lead = await service.create_lead(
        session, actor, company_id=company.id, score=72, rationale="B2B fintech, seed"
    )
    assert (lead.status, lead.score) == ("new", 72)
    with pytest.raises(Duplicate) as twice:
        await service.create_lead(session, actor, company_id=company.id, score=10, rationale="x")
    assert twice.value.existing_id == str(lead.id)
    with pytest.raises(NotFound):
        await service.create_lead(session, actor, company_id=uuid.uuid4(), score=1, rationale="x")
    with pytest.raises(ValidationFailed, match="between 0 and 100"):
        await service.create_lead(
            session, actor, company_id=(await make_company(session)).id, score=101, rationale="x"
        )


async def test_moves_follow_the_pipeline_and_need_a_rationale(
    session: AsyncSession, actor: Actor
) -> None:
    company = await make_company(session)
    lead = await service.create_lead(
        session, actor, company_id=company.id, score=80, rationale="fits"
    )
    with pytest.raises(ValidationFailed, match="needs a rationale") as missing:
        await service.update_lead(session, actor, lead.id, status=LeadStatus.RESEARCHING)
    assert missing.value.field == "rationale"
    with pytest.raises(ValidationFailed, match="cannot move to won") as skipped:
        await service.update_lead(session, actor, lead.id, status=LeadStatus.WON, rationale="yes")
    assert "researching" in skipped.value.message  # says where it can go
    path = [
        LeadStatus.RESEARCHING,
        LeadStatus.QUALIFIED,
        LeadStatus.CONTACTED,
        LeadStatus.ENGAGED,
        LeadStatus.WON,
    ]
    for step in path:
        lead = await service.update_lead(
            session, actor, lead.id, status=step, rationale=f"now {step.value}"
        )
    assert lead.status == "won" and lead.rationale == "now won"
    with pytest.raises(ValidationFailed, match="nowhere"):
        await service.update_lead(session, actor, lead.id, status=LeadStatus.LOST, rationale="x")
    moves = (
        await session.execute(
            select(Activity.summary)
            .where(col(Activity.subject_id) == lead.id)
            .where(col(Activity.kind) == "lead.moved")
            .order_by(col(Activity.occurred_at))
        )
    ).scalars()
    assert [m.split(": ", 1)[1].split(" (")[0] for m in moves] == [
        "new → researching",
        "researching → qualified",
        "qualified → contacted",
        "contacted → engaged",
        "engaged → won",
    ]


async def test_the_moves_offered_are_exactly_the_moves_update_lead_allows(
    session: AsyncSession, actor: Actor
) -> None:
    for status in LeadStatus:
        company = await make_company(session)
        lead_id = (
            await service.create_lead(
                session, actor, company_id=company.id, score=50, rationale="x", status=status
            )
        ).id  # kept: a rolled-back savepoint expires the row
        allowed = []
        for target in LeadStatus:
            if target is status:
                continue
            try:
                async with session.begin_nested():  # each try leaves the lead where it was
                    await service.update_lead(
                        session, actor, lead_id, status=target, rationale="try"
                    )
                    raise _Undo
            except _Undo:
                allowed.append(target)
            except ValidationFailed:
                pass
        assert service.moves_from(status) == allowed, status


class _Undo(Exception):
    """Rolls a savepoint back after a move that succeeded."""


async def test_leads_page_by_score_with_filters(session: AsyncSession, actor: Actor) -> None:
    tag = uuid.uuid4().hex[:6]
    made = []
    for score in (30, 90, 60, 90):
        company = await make_company(session, name=f"Scored {tag} {score} {len(made)}")
        made.append(
            await service.create_lead(
                session, actor, company_id=company.id, score=score, rationale=tag
            )
        )
    ids = {lead.id for lead in made}
    seen: list[int] = []
    after = None
    while True:
        page = await service.list_leads(
            session, first=2, after=after, filter=service.LeadFilter(min_score=50)
        )
        seen += [row.score for row in page.items if row.id in ids]
        if not page.has_next_page:
            break
        after = page.end_cursor
    assert seen == [90, 90, 60]
    with pytest.raises(ValidationFailed, match="minScore"):
        await service.list_leads(session, first=5, filter=service.LeadFilter(min_score=-1))


async def test_the_icp_is_cleaned_and_checked(session: AsyncSession, actor: Actor) -> None:
    icp = await service.update_icp(
        session,
        actor,
        description="B2B SaaS sales teams of 10–200 people",
        sectors=[" Fintech", "fintech", "DevTools "],
        stages=["seed", "Series A"],
        threshold=65,
    )
    assert icp.sectors == ["fintech", "devtools"]
    assert icp.stages == ["seed", "series a"]
    assert (await service.get_icp(session)).threshold == 65
    with pytest.raises(ValidationFailed, match="threshold"):
        await service.update_icp(session, actor, threshold=150)
    with pytest.raises(TooLong):
        await service.update_icp(session, actor, keywords=["x" * 101])
    with pytest.raises(ValidationFailed, match="at most 50"):
        await service.update_icp(session, actor, regions=[f"r{i}" for i in range(51)])
    with pytest.raises(ValidationFailed, match="control character"):
        await service.update_icp(session, actor, sectors=["fin\x00tech"])


async def test_the_demo_icp_is_written_once_and_never_over_a_persons(
    session: AsyncSession, actor: Actor
) -> None:
    from compound.modules.leads.demo import seed_demo_icp

    assert await seed_demo_icp(session) is True
    icp = await service.get_icp(session)
    assert icp.threshold == 50 and "north america" in icp.regions
    await service.update_icp(session, actor, threshold=70)
    assert await seed_demo_icp(session) is False
    assert (await service.get_icp(session)).threshold == 70
