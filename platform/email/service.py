"""Reading conversations and messages back, and asking for a message to be processed again."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from email import message_from_bytes
from email.policy import compat32
from typing import Any

from sqlalchemy import update
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
from compound.platform.errors import NotFound
from compound.platform.queue.service import enqueue
from compound.platform.records.lookups import RecordView, by_ids, grouped_by, select_view
from compound.platform.records.paging import Page, paginate
from compound.platform.records.timeline import record_change

MAX_PARTS = 200


@dataclass(frozen=True)
class ConversationFilter:
    company_id: uuid.UUID | None = None
    person_id: uuid.UUID | None = None
    subject_contains: str | None = None


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
    if filter.subject_contains:
        pattern = "%" + filter.subject_contains.replace("\\", "\\\\").replace("%", "\\%") + "%"
        statement = statement.where(col(Conversation.subject).ilike(pattern))
    if filter.person_id is not None:
        involved = (
            select_view(Message)
            .with_only_columns(col(Message.conversation_id))
            .join(MessageParticipant, col(MessageParticipant.message_id) == col(Message.id))
            .where(col(MessageParticipant.person_id) == filter.person_id)
        )
        statement = statement.where(col(Conversation.id).in_(involved))
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
    session: AsyncSession, ids: Sequence[uuid.UUID]
) -> list[list[RecordView]]:
    # Date headers have whole seconds: arrival order breaks the ties.
    return await grouped_by(
        session, Message, "conversation_id", ids, order_by=("sort_at", "received_at", "id")
    )


async def attachments_of_messages(
    session: AsyncSession, ids: Sequence[uuid.UUID]
) -> list[list[RecordView]]:
    return await grouped_by(session, Attachment, "message_id", ids, order_by="position")


async def participants_of_messages(
    session: AsyncSession, ids: Sequence[uuid.UUID]
) -> list[list[RecordView]]:
    return await grouped_by(session, MessageParticipant, "message_id", ids, order_by="role")


@dataclass(frozen=True)
class MimePart:
    path: str
    content_type: str
    charset: str | None
    filename: str | None
    disposition: str | None
    size: int


async def mime_structure(session: AsyncSession, message_id: uuid.UUID) -> list[MimePart]:
    """The message's MIME tree, read from the raw bytes (compat32: it shows even what the
    strict parser refuses)."""
    message = await session.get(Message, message_id)
    if message is None:
        raise NotFound(f"no message with id {message_id}", field="id")
    root = message_from_bytes(message.raw, policy=compat32)
    parts: list[MimePart] = []

    def walk(part: Any, path: str) -> None:
        if len(parts) >= MAX_PARTS:
            return
        payload = part.get_payload(decode=False)
        size = len(payload) if isinstance(payload, (str, bytes)) else 0
        parts.append(
            MimePart(
                path=path,
                content_type=part.get_content_type(),
                charset=part.get_content_charset(),
                filename=part.get_filename(),
                disposition=part.get_content_disposition(),
                size=size,
            )
        )
        if part.is_multipart() and isinstance(payload, list):
            for index, child in enumerate(payload, start=1):
                walk(child, f"{path}.{index}" if path else str(index))

    walk(root, "")
    return parts


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
