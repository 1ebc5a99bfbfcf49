"""Records created without an embedding get one from the background batch, with the same
text the synchronous path would embed; the sweep is queued once however often it is asked;
processed messages are embedded by the sweep their processing asks for."""

from __future__ import annotations

import numpy as np
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from compound.platform.auth.actor import Actor
from compound.platform.email.ingest import Envelope, ingest_raw
from compound.platform.email.models import Channel, Message, message_embedding_text
from compound.platform.embeddings import embed_one
from compound.platform.queue.models import Job
from compound.platform.records import companies, people
from compound.platform.records.embedding_backfill import embed_later, embed_missing
from compound.platform.records.people import person_embedding_text
from tests.platform.email.test_processing import MAX, mail, receive


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


async def test_processed_messages_are_embedded_by_the_sweep_it_asks_for(
    session: AsyncSession,
) -> None:
    await session.execute(
        update(Job)
        .where(col(Job.actor_name) == "records.embed_missing")
        .where(col(Job.state) == "queued")
        .values(state="done")
    )
    message = await receive(session, mail(subject="Renewal terms", body="Two more years?"))
    waiting = await session.scalar(
        select(func.count())
        .select_from(Job)
        .where(col(Job.actor_name) == "records.embed_missing")
        .where(col(Job.state) == "queued")
    )
    assert waiting == 1
    unprocessed = await ingest_raw(
        session,
        mail(subject="Not processed yet"),
        Envelope(channel=Channel.SMTP, peer="203.0.113.9"),
        max_bytes=MAX,
    )

    assert await embed_missing(session) >= 1

    stored = await session.get(Message, message.id, populate_existing=True)
    assert stored is not None and stored.embedding is not None
    expected = await embed_one(message_embedding_text(stored))
    assert np.allclose(np.asarray(stored.embedding), np.asarray(expected), atol=1e-4)
    waiting_raw = await session.get(Message, unprocessed.message_id, populate_existing=True)
    assert waiting_raw is not None and waiting_raw.embedding is None
