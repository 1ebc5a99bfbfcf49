"""Tests for the demo data seed: counts, determinism, unique identifiers, embeddings, timeline."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy import func
from sqlmodel import col, select

from compound.platform import demo_data, demo_vocabulary
from compound.platform.clock import utcnow
from compound.platform.database import Database
from compound.platform.demo_data import database_is_empty, seed_demo_data
from compound.platform.errors import ValidationFailed
from compound.platform.models import EMBEDDING_DIMENSIONS
from compound.platform.normalize import email_domain, normalize_domain, normalize_email
from compound.platform.records.models import Activity, Company, Note, Person, PersonEmail, Task
from tests.conftest import EmbeddedServer

COMPANIES = 30
PEOPLE = 60
SMALL = 8


@dataclass(frozen=True)
class Seeded:
    database: Database
    counts: dict[str, int]


@pytest.fixture(scope="module")
async def seeded(embedded_server: EmbeddedServer) -> AsyncIterator[Seeded]:
    """The default seed at test size, with real embeddings, committed as `compound seed` does."""
    database = Database.connect(embedded_server.database_url("compound_seeded"), pool_size=2)
    async with database.session() as session:
        counts = await seed_demo_data(session, companies=COMPANIES, people=PEOPLE)
    yield Seeded(database, counts)
    await database.dispose()


async def _company_names_for_seed(database: Database, seed: int) -> list[str]:
    async with database.sessionmaker() as session:
        try:
            await seed_demo_data(session, companies=SMALL, people=SMALL, seed=seed)
            return sorted((await session.execute(select(col(Company.name)))).scalars())
        finally:
            await session.rollback()


async def test_seed_creates_the_requested_counts(seeded: Seeded) -> None:
    assert seeded.counts["companies"] == COMPANIES
    assert seeded.counts["people"] == PEOPLE
    assert seeded.counts["notes"] > 0
    assert seeded.counts["tasks"] > 0
    async with seeded.database.session() as session:
        for model, key in (
            (Company, "companies"),
            (Person, "people"),
            (Note, "notes"),
            (Task, "tasks"),
        ):
            stored = await session.scalar(select(func.count()).select_from(model))
            assert stored == seeded.counts[key], key


async def test_same_seed_gives_the_same_company_names(test_database: Database) -> None:
    first = await _company_names_for_seed(test_database, seed=7)
    again = await _company_names_for_seed(test_database, seed=7)
    other = await _company_names_for_seed(test_database, seed=8)

    assert len(set(first)) == SMALL
    assert first == again
    assert first != other


async def test_domains_are_unique_and_normalized(seeded: Seeded) -> None:
    async with seeded.database.session() as session:
        domains = (await session.execute(select(col(Company.domain)))).scalars().all()
    present = [domain for domain in domains if domain is not None]

    assert len(present) > COMPANIES // 2
    assert len(set(present)) == len(present)
    for domain in present:
        assert normalize_domain(domain) == domain


async def test_person_emails_are_unique_normalized_and_first_at_the_company_domain(
    seeded: Seeded,
) -> None:
    async with seeded.database.session() as session:
        rows = (
            await session.execute(
                select(col(PersonEmail.email), col(PersonEmail.position), col(Company.domain))
                .join(Person, col(Person.id) == col(PersonEmail.person_id))
                .outerjoin(Company, col(Company.id) == col(Person.company_id))
            )
        ).all()
    addresses = [email for email, _, _ in rows]

    assert len(addresses) >= PEOPLE // 2
    assert len(set(addresses)) == len(addresses)
    assert all(normalize_email(address) == address for address in addresses)
    for email, position, company_domain in rows:
        if position == 0 and company_domain is not None:
            assert email_domain(email) == company_domain


def _generator() -> demo_data._DemoGenerator:
    return demo_data._DemoGenerator(
        random.Random(1),  # noqa: S311 - the generator under test takes the seeded stdlib RNG
        taken_names=set(),
        taken_domains=set(),
        taken_emails=set(),
    )


def test_repeated_company_names_get_distinct_valid_domains() -> None:
    generator = _generator()
    berlin = next(city for city in demo_vocabulary.CITIES if city.name == "Berlin")

    domains = [generator.domain("Kestrel Bio", berlin) for _ in range(40)]
    present = [domain for domain in domains if domain is not None]

    assert len(present) > 20
    assert len(set(present)) == len(present)
    assert all(normalize_domain(domain) == domain for domain in present)


def test_colliding_names_get_distinct_work_addresses() -> None:
    generator = _generator()

    addresses = [generator.work_email("José", "García", "example.com") for _ in range(5)]

    assert addresses[0] == "jose.garcia@example.com"
    assert len(set(addresses)) == len(addresses)
    assert all(email_domain(address) == "example.com" for address in addresses)


async def test_companies_people_and_notes_have_embeddings(seeded: Seeded) -> None:
    async with seeded.database.session() as session:
        for model in (Company, Person, Note):
            vectors = (await session.execute(select(col(model.embedding)))).scalars().all()
            assert vectors, model.__name__
            assert all(
                vector is not None and len(vector) == EMBEDDING_DIMENSIONS for vector in vectors
            ), model.__name__


async def test_each_created_company_has_a_created_activity(seeded: Seeded) -> None:
    async with seeded.database.session() as session:
        company_ids = set((await session.execute(select(col(Company.id)))).scalars())
        activities = (
            (await session.execute(select(Activity).where(col(Activity.kind) == "company.created")))
            .scalars()
            .all()
        )

    assert len(company_ids) == COMPANIES
    assert sorted(activity.subject_id for activity in activities) == sorted(company_ids)
    assert {activity.actor for activity in activities} == {"system:seed"}


async def test_task_due_dates_run_from_two_weeks_ago_to_six_weeks_ahead(seeded: Seeded) -> None:
    async with seeded.database.session() as session:
        tasks = (await session.execute(select(Task))).scalars().all()
    today = utcnow().date()
    due_dates = [task.due_date for task in tasks if task.due_date is not None]

    assert len(due_dates) == len(tasks)
    assert all(today - timedelta(days=14) <= due <= today + timedelta(days=42) for due in due_dates)
    assert {task.status for task in tasks} == {"open", "done"}
    assert sum(task.status == "open" for task in tasks) > len(tasks) / 2


async def test_seed_leaves_the_commit_to_the_caller(test_database: Database) -> None:
    async with test_database.sessionmaker() as session:
        assert await database_is_empty(session)
        await seed_demo_data(session, companies=3, people=5)
        assert not await database_is_empty(session)
        await session.rollback()

    async with test_database.sessionmaker() as session:
        assert await database_is_empty(session)


async def test_negative_counts_are_rejected(test_database: Database) -> None:
    async with test_database.sessionmaker() as session:
        with pytest.raises(ValidationFailed):
            await seed_demo_data(session, companies=-1)
