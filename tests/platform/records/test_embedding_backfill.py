"""Records created without an embedding get one from the background batch, with the same
text the synchronous path would embed; the sweep is queued once however often it is asked."""

from __future__ import annotations

import numpy as np
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from compound.platform.auth.actor import Actor
from compound.platform.embeddings import embed_one
from compound.platform.queue.models import Job
from compound.platform.records import companies, people
from compound.platform.records.embedding_backfill import embed_later, embed_missing
from compound.platform.records.people import person_embedding_text


async def test_missing_embeddings_are_filled_in_a_batch(
    session: AsyncSession, actor: Actor
) -> None:
    company = await companies.create_company(
        session, actor, name="Backfill Robotics", domain="backfill.example", compute_embedding=False
    )
    person = await people.create_person(
        session,
        actor,
        name="Ana Backfill",
        emails=["ana@backfill.example"],
        company_id=company.id,
        compute_embedding=False,
    )
    assert company.embedding is None and person.embedding is None
    done = await embed_missing(session)
    assert done >= 2
    await session.refresh(company)
    await session.refresh(person)
    assert company.embedding is not None and person.embedding is not None
    expected = await embed_one(person_embedding_text(person, ["ana@backfill.example"], company))
    assert np.allclose(np.asarray(person.embedding), np.asarray(expected), atol=1e-4)
    assert await embed_missing(session) == 0


async def test_the_sweep_is_queued_once_while_one_waits(session: AsyncSession) -> None:
    # Other tests' committed work may have left a sweep waiting: out of the way (rolled back).
    await session.execute(
        update(Job)
        .where(col(Job.actor_name) == "records.embed_missing")
        .where(col(Job.state) == "queued")
        .values(state="done")
    )
    for _ in range(3):
        await embed_later(session)
    waiting = await session.scalar(
        select(func.count())
        .select_from(Job)
        .where(col(Job.actor_name) == "records.embed_missing")
        .where(col(Job.state) == "queued")
    )
    assert waiting == 1
