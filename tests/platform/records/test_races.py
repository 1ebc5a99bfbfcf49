"""Two transactions racing for the same unique value: the loser gets a Duplicate, not a crash."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from compound.platform.auth.actor import Actor
from compound.platform.database import Database
from compound.platform.errors import Duplicate
from compound.platform.records import companies, people
from tests.conftest import EmbeddedServer

ACTOR = Actor.system("race")


@pytest.fixture(scope="module")
async def race_database(embedded_server: EmbeddedServer) -> AsyncIterator[Database]:
    database = Database.connect(embedded_server.database_url("compound_races"), pool_size=4)
    yield database
    await database.dispose()


async def race(
    database: Database, create: Callable[[AsyncSession, int], Awaitable[object]]
) -> Duplicate:
    """The first transaction inserts and holds; the second checks (sees nothing), inserts and
    blocks on the unique index; when the first commits, the second must report a Duplicate."""
    async with database.sessionmaker() as first, database.sessionmaker() as second:
        await create(first, 1)
        loser = asyncio.create_task(create(second, 2))
        await asyncio.sleep(0.5)  # let the second reach the unique index and wait there
        assert not loser.done()
        await first.commit()
        with pytest.raises(Duplicate) as raised:
            await loser
        await second.rollback()
        return raised.value


async def test_racing_for_a_domain(race_database: Database) -> None:
    async def create(session: AsyncSession, n: int) -> object:
        return await companies.create_company(
            session, ACTOR, name=f"Racer {n}", domain="race.example.com", compute_embedding=False
        )

    error = await race(race_database, create)
    assert error.field == "domain"
    assert "Racer 1" in error.message


async def test_racing_for_an_email(race_database: Database) -> None:
    async def create(session: AsyncSession, n: int) -> object:
        return await people.create_person(
            session, ACTOR, name=f"Runner {n}", emails=["race@example.com"], compute_embedding=False
        )

    error = await race(race_database, create)
    assert error.field == "emails"
