"""Embeddings filled in the background, in batches: for companies and people created where
waiting for the model would slow a hot path (mail processing creates a person for every new
correspondent), and for every processed message (the site search finds mail by meaning).
One batch through the model costs a fraction of one call per record."""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import load_only
from sqlmodel import col

from compound.platform.email.models import Message, MessageState, message_embedding_text
from compound.platform.embeddings import embed_many
from compound.platform.queue.actors import job
from compound.platform.queue.service import enqueue, enqueue_unless_waiting
from compound.platform.records.companies import company_embedding_text
from compound.platform.records.models import Company, Person, PersonEmail
from compound.platform.records.people import person_embedding_text

BATCH = 128
DELAY = timedelta(seconds=10)
"""Long enough for a burst of mail to pile its new people up into a few large batches
(cheaper per record), and to leave the worker to the mail while the burst lasts."""
_ASKED = "compound.records.embed_later_asked"
# What message_embedding_text reads (and the id): a message's other columns stay unloaded.
_MESSAGE_TEXT: tuple[Any, ...] = (
    Message.id,
    Message.subject,
    Message.from_name,
    Message.from_address,
    Message.new_text,
    Message.text_body,
)


async def embed_missing(session: AsyncSession, *, limit: int = BATCH) -> int:
    """Embed up to `limit` companies, `limit` people and `limit` processed messages that
    have none; returns how many. Rows another transaction holds are skipped, not waited for."""
    companies = list(
        (
            await session.execute(
                select(Company)
                .where(col(Company.embedding).is_(None))
                .order_by(col(Company.created_at))
                .limit(limit)
                .with_for_update(skip_locked=True)
            )
        ).scalars()
    )
    if companies:
        vectors = await embed_many([company_embedding_text(c) for c in companies])
        for company, vector in zip(companies, vectors, strict=True):
            company.embedding = vector
    people = list(
        (
            await session.execute(
                select(Person)
                .where(col(Person.embedding).is_(None))
                .order_by(col(Person.created_at))
                .limit(limit)
                .with_for_update(skip_locked=True)
            )
        ).scalars()
    )
    if people:
        emails: dict[object, list[str]] = defaultdict(list)
        rows = await session.execute(
            select(PersonEmail.person_id, PersonEmail.email)  # type: ignore[call-overload]
            .where(col(PersonEmail.person_id).in_([p.id for p in people]))
            .order_by(col(PersonEmail.position))
        )
        for person_id, email in rows.all():
            emails[person_id].append(email)
        company_ids = {p.company_id for p in people if p.company_id}
        employers = {
            c.id: c
            for c in (
                await session.execute(select(Company).where(col(Company.id).in_(company_ids)))
            ).scalars()
        }
        texts = [
            person_embedding_text(
                p, emails[p.id], employers.get(p.company_id) if p.company_id else None
            )
            for p in people
        ]
        for person, vector in zip(people, await embed_many(texts), strict=True):
            person.embedding = vector
    messages = await _messages_without_embedding(session, limit)
    if messages:
        vectors = await embed_many([message_embedding_text(m) for m in messages])
        for message, vector in zip(messages, vectors, strict=True):
            message.embedding = vector
    await session.flush()
    return len(companies) + len(people) + len(messages)


async def _messages_without_embedding(session: AsyncSession, limit: int) -> list[Message]:
    # Skipping locked rows also skips a message being (re)processed right now: its
    # processing asks for another sweep when it commits.
    return list(
        (
            await session.execute(
                select(Message)
                # Not the raw MIME (up to 25 MB each) nor the HTML: only what is embedded.
                .options(load_only(*_MESSAGE_TEXT))
                .where(col(Message.embedding).is_(None))
                .where(col(Message.state) == MessageState.PROCESSED.value)
                .order_by(col(Message.received_at))
                .limit(limit)
                .with_for_update(skip_locked=True)
            )
        ).scalars()
    )


@job("records.embed_missing", max_retries=3)
async def embed_missing_job(session: AsyncSession) -> None:
    done = await embed_missing(session)
    if done >= BATCH:  # perhaps more waiting: the next batch in its own job
        await enqueue(session, embed_missing_job)


async def embed_later(session: AsyncSession) -> None:
    """Ask for the records this transaction created without embeddings to get them soon
    (once per transaction; call it outside a savepoint that may still roll back)."""
    transaction = session.sync_session.get_transaction()
    if session.info.get(_ASKED) is transaction:
        return
    await enqueue_unless_waiting(session, embed_missing_job, delay=DELAY)
    session.info[_ASKED] = transaction
