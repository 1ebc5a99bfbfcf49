"""Reading conversations and messages back, and asking for a message to be processed again."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from compound.platform.auth.actor import Actor
from compound.platform.email import tasks
from compound.platform.email.models import (
    Attachment,
    Conversation,
    Message,
    MessageParticipant,
    MessageState,
)
from compound.platform.email.structure import MimePart as MimePart  # the pages' type too
from compound.platform.email.structure import structure_of
from compound.platform.errors import NotFound
from compound.platform.queue.service import enqueue
from compound.platform.records.lookups import RecordView, by_ids, grouped_by, select_view
from compound.platform.records.models import Person
from compound.platform.records.paging import MAX_FILTER_LENGTH, Page, paginate
from compound.platform.records.rules import optional_text
from compound.platform.records.timeline import record_change

PARTICIPANTS_LISTED = 6


@dataclass(frozen=True)
class ConversationFilter:
    company_id: uuid.UUID | None = None
    person_id: uuid.UUID | None = None
    subject_contains: str | None = None
    text_contains: str | None = None
    """In the subject, or in a sender's or recipient's address or name (case-insensitive)."""


def _matching_text(needle: str) -> Any:
    """Conversations whose subject, or one of whose participants, contains `needle`."""
    lowered = needle.lower()
    by_participant = (
        select(col(Message.conversation_id))
        .join(MessageParticipant, col(MessageParticipant.message_id) == col(Message.id))
        .outerjoin(Person, col(Person.id) == col(MessageParticipant.person_id))
        .where(
            or_(
                func.lower(col(MessageParticipant.address)).contains(lowered, autoescape=True),
                func.lower(col(Person.name)).contains(lowered, autoescape=True),
            )
        )
    )
    by_sender_name = select(col(Message.conversation_id)).where(
        func.lower(col(Message.from_name)).contains(lowered, autoescape=True)
    )
    return or_(
        func.lower(col(Conversation.subject)).contains(lowered, autoescape=True),
        col(Conversation.id).in_(by_participant),
        col(Conversation.id).in_(by_sender_name),
    )


async def list_conversations(
    session: AsyncSession,
    *,
    first: int,
    after: str | None = None,
    filter: ConversationFilter | None = None,
    with_total: bool = True,
) -> Page[Any]:
    """Conversations with the most recent message first."""
    statement = select_view(Conversation)
    filter = filter or ConversationFilter()
    if filter.company_id is not None:
        statement = statement.where(col(Conversation.company_id) == filter.company_id)
    subject = optional_text(
        filter.subject_contains, field="subjectContains", max_length=MAX_FILTER_LENGTH
    )
    if subject:
        # `_` and `%` are the person's characters, not wildcards.
        statement = statement.where(
            func.lower(col(Conversation.subject)).contains(subject.lower(), autoescape=True)
        )
    if filter.person_id is not None:
        involved = (
            select_view(Message)
            .with_only_columns(col(Message.conversation_id))
            .join(MessageParticipant, col(MessageParticipant.message_id) == col(Message.id))
            .where(col(MessageParticipant.person_id) == filter.person_id)
        )
        statement = statement.where(col(Conversation.id).in_(involved))
    needle = optional_text(filter.text_contains, field="textContains", max_length=MAX_FILTER_LENGTH)
    if needle:
        statement = statement.where(_matching_text(needle))
    return await paginate(
        session,
        statement,
        sort_column=Conversation.last_message_at,  # type: ignore[arg-type]
        id_column=Conversation.id,  # type: ignore[arg-type]
        descending=True,
        first=first,
        after=after,
        with_total=with_total,
    )


async def conversations_by_ids(
    session: AsyncSession, ids: Sequence[uuid.UUID]
) -> list[RecordView | None]:
    return await by_ids(session, Conversation, ids)


async def messages_by_ids(
    session: AsyncSession, ids: Sequence[uuid.UUID]
) -> list[RecordView | None]:
    return await by_ids(session, Message, ids)


async def messages_of_conversations(
    session: AsyncSession, ids: Sequence[uuid.UUID], *, limit: int | None = None
) -> list[list[RecordView]]:
    """Each thread's messages, oldest first; with `limit`, only the latest that many."""
    # Date headers have whole seconds: arrival order breaks the ties.
    return await grouped_by(
        session,
        Message,
        "conversation_id",
        ids,
        order_by=("sort_at", "received_at", "id"),
        limit=limit,
        keep_last=True,
    )


async def attachments_of_messages(
    session: AsyncSession, ids: Sequence[uuid.UUID], *, limit: int | None = None
) -> list[list[RecordView]]:
    return await grouped_by(
        session, Attachment, "message_id", ids, order_by="position", limit=limit
    )


async def attachment_in_conversation(
    session: AsyncSession, conversation_id: uuid.UUID, attachment_id: uuid.UUID
) -> Attachment:
    """One attachment with its bytes, only if it belongs to a message of this thread."""
    statement = (
        select(Attachment)
        .join(Message, col(Message.id) == col(Attachment.message_id))
        .where(col(Attachment.id) == attachment_id)
        .where(col(Message.conversation_id) == conversation_id)
    )
    attachment = (await session.execute(statement)).scalar_one_or_none()
    if attachment is None:
        raise NotFound(f"no attachment {attachment_id} in conversation {conversation_id}")
    return attachment


async def participants_of_messages(
    session: AsyncSession, ids: Sequence[uuid.UUID], *, limit: int | None = None
) -> list[list[RecordView]]:
    return await grouped_by(
        session, MessageParticipant, "message_id", ids, order_by="role", limit=limit
    )


async def participants_of_conversations(
    session: AsyncSession, ids: Sequence[uuid.UUID], *, limit: int = PARTICIPANTS_LISTED
) -> list[list[RecordView]]:
    """For each conversation, its distinct senders and recipients (address, person_id,
    total: how many there are in all), the first to appear first, at most `limit` each."""
    first_seen = func.min(col(Message.sort_at))
    grouped = (
        select(
            col(Message.conversation_id).label("conversation_id"),
            col(MessageParticipant.address).label("address"),
            col(MessageParticipant.person_id).label("person_id"),
            func.row_number()
            .over(
                partition_by=col(Message.conversation_id),
                order_by=(first_seen, col(MessageParticipant.address)),
            )
            .label("rank"),
            func.count().over(partition_by=col(Message.conversation_id)).label("total"),
        )
        .join(MessageParticipant, col(MessageParticipant.message_id) == col(Message.id))
        .where(col(Message.conversation_id).in_(set(ids)))
        .group_by(
            col(Message.conversation_id),
            col(MessageParticipant.address),
            col(MessageParticipant.person_id),
        )
        .subquery()
    )
    statement = (
        select(grouped)
        .where(grouped.c.rank <= limit)
        .order_by(grouped.c.conversation_id, grouped.c.rank)
    )
    groups: dict[uuid.UUID, list[RecordView]] = {}
    for row in (await session.execute(statement)).all():
        groups.setdefault(row.conversation_id, []).append(row)
    return [groups.get(key, []) for key in ids]


async def triage_of_conversations(
    session: AsyncSession, ids: Sequence[uuid.UUID]
) -> list[dict[str, Any] | None]:
    """For each conversation, the triage verdict of its latest triaged message (or None)."""
    statement = (
        select(col(Message.conversation_id), col(Message.triage))
        .where(col(Message.conversation_id).in_(set(ids)))
        # JSON null and SQL NULL alike mean "not triaged".
        .where(func.jsonb_typeof(col(Message.triage)) == "object")
        .order_by(
            col(Message.conversation_id),
            col(Message.sort_at).desc(),
            col(Message.received_at).desc(),
        )
        .ext(distinct_on(col(Message.conversation_id)))
    )
    found = {row.conversation_id: row.triage for row in (await session.execute(statement)).all()}
    return [found.get(key) for key in ids]


async def raw_of_messages(session: AsyncSession, ids: Sequence[uuid.UUID]) -> list[bytes | None]:
    """Each message's raw bytes as received (None for an unknown id), in one query."""
    rows = await session.execute(
        select(col(Message.id), col(Message.raw)).where(col(Message.id).in_(set(ids)))
    )
    found = {row.id: row.raw for row in rows}
    return [found.get(message_id) for message_id in ids]


async def mime_structure(session: AsyncSession, message_id: uuid.UUID) -> list[MimePart]:
    """The message's MIME tree (its first parts), read from the raw bytes off the event loop."""
    [raw] = await raw_of_messages(session, [message_id])
    if raw is None:
        raise NotFound(f"no message with id {message_id}", field="id")
    return await structure_of(raw)


async def mime_structures(session: AsyncSession, ids: Sequence[uuid.UUID]) -> list[list[MimePart]]:
    """The MIME tree of each message ([] for an unknown id). One message at a time, each
    raw message read, parsed and dropped before the next: a thread of 100 messages of
    25 MB never holds more than one of them in memory."""
    structures: list[list[MimePart]] = []
    for message_id in ids:
        [raw] = await raw_of_messages(session, [message_id])
        structures.append(await structure_of(raw) if raw is not None else [])
    return structures


async def reprocess_message(session: AsyncSession, actor: Actor, message_id: uuid.UUID) -> Message:
    """Parse, thread and link it again (after a parser fix, or an unparseable message)."""
    actor.require_scope("write")
    message = await session.get(Message, message_id)
    if message is None:
        raise NotFound(f"no message with id {message_id}", field="id")
    before = {"state": message.state}
    await session.execute(
        update(Message)
        .where(col(Message.id) == message_id)
        .values(state=MessageState.RECEIVED.value)
    )
    await enqueue(session, tasks.process_message, message_id=str(message_id))
    await record_change(
        session,
        actor,
        action="message.reprocess_requested",
        subject_type="message",
        subject_id=message_id,
        summary=f"reprocess requested: {message.subject or '(no subject)'}"[:500],
        before=before,
        after={"state": MessageState.RECEIVED.value},
    )
    await session.refresh(message)
    return message
