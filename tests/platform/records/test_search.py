"""Semantic search ranks companies, people and notes by meaning, not by shared words; the
site search puts exact and typed names first."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from compound.platform.errors import Required, TooLong, ValidationFailed
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


# --- the site search ----------------------------------------------------------------


async def test_site_search_puts_exact_names_then_typed_names_then_meaning(
    session: AsyncSession,
) -> None:
    word = f"Tamsin{uuid.uuid4().hex[:6]}"
    typed = await make_company(session, name=f"{word}worth Freight", embed=True)
    alias_of = await make_company(session, name=f"{word} GmbH", embed=True)
    meaning = await make_company(
        session, name="Palletpilot", description=f"Shipping by sea, like {word}", embed=True
    )

    results = await search.site_search(session, word, first=10, ef_search=100)

    order = [result.id for result in results]
    # "Tamsin… GmbH" is "Tamsin…" by its name key; "Tamsin…worth" only starts like it.
    assert order[:2] == [alias_of.id, typed.id]
    assert [r.match for r in results[:2]] == [search.Match.EXACT, search.Match.NAME]
    if meaning.id in order:
        assert results[order.index(meaning.id)].match == search.Match.MEANING
    assert all(result.url == f"/companies/{result.id}" for result in results[:2])


@pytest.mark.parametrize(
    ("query", "error"),
    [("", Required), (" \t ", Required), ("q" * 201, TooLong), ("a\x07b", ValidationFailed)],
)
async def test_site_search_refuses_a_bad_query_by_name(
    session: AsyncSession, query: str, error: type[Exception]
) -> None:
    with pytest.raises(error):
        await search.site_search(session, query, first=5, ef_search=100)


def test_a_snippet_is_one_line_cut_at_a_word() -> None:
    assert search.snippet("  two\n\nlines  ") == "two lines"
    long = search.snippet("word " * 100, 40)
    assert len(long) <= 40 and long.endswith("word…")
    assert search.snippet(None) == ""
