"""Semantic search ranks companies, people and notes by meaning, not by shared words."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from compound.platform.errors import Required, TooLong
from compound.platform.records import search
from tests.factories import make_company, make_note, make_person


async def test_search_ranks_by_meaning_across_record_kinds(session: AsyncSession) -> None:
    robots = await make_company(
        session,
        name="Kestrel Automation",
        description="Autonomous forklifts for warehouses",
        embed=True,
    )
    bank = await make_company(
        session, name="Ledgerly", description="Bookkeeping software for accountants", embed=True
    )
    person = await make_person(session, name="Grace Hopper", embed=True)
    await make_note(session, company=bank, body="They asked about invoice reconciliation")

    hits = await search.search(
        session, "robots that move pallets in logistics centres", first=5, ef_search=100
    )

    assert hits[0].kind == "company" and hits[0].id == robots.id
    ranks = [hit.id for hit in hits]
    assert ranks.index(robots.id) < ranks.index(bank.id)
    assert all(0 <= hit.score <= 1.0001 for hit in hits)
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    people_hits = await search.search(session, "Grace Hopper", first=3, ef_search=100)
    assert people_hits[0].id == person.id


@pytest.mark.parametrize(
    ("query", "error"), [("", Required), ("  ", Required), ("q" * 1001, TooLong)]
)
async def test_bad_query_is_refused(
    session: AsyncSession, query: str, error: type[Exception]
) -> None:
    with pytest.raises(error):
        await search.search(session, query, first=5, ef_search=100)


async def test_first_zero_returns_nothing(session: AsyncSession) -> None:
    assert await search.search(session, "anything", first=0, ef_search=100) == []
