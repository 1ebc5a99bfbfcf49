"""Answering a stored message: sent through the outbound relay, threaded with In-Reply-To and
References, and kept in the same conversation as a message of the `outbound` channel."""

from __future__ import annotations

import uuid
from email.policy import SMTP

from sqlalchemy.ext.asyncio import AsyncSession

from compound.platform.config import Settings
from compound.platform.email import processing
from compound.platform.email.ingest import Envelope, ingest_raw
from compound.platform.email.models import Channel, Message, MessageState
from compound.platform.email.outbound import OutgoingEmail, send_email
from compound.platform.errors import ValidationFailed


def reply_recipients(message: Message) -> list[str]:
    """Who a reply goes to: the Reply-To addresses when the message names them, else From."""
    if message.reply_to:
        return list(message.reply_to)
    return [message.from_address] if message.from_address else []


def reply_subject(subject: str) -> str:
    clean = " ".join(subject.split())
    return clean if clean.lower().startswith("re:") else f"Re: {clean}".strip()


async def send_reply(
    session: AsyncSession, settings: Settings, answered_id: uuid.UUID, text: str
) -> Message:
    """Send `text` as a reply to the stored message `answered_id`; returns the sent message,
    stored in the caller's transaction in the same conversation."""
    answered = await processing.get_message(session, answered_id)
    if answered.state != MessageState.PROCESSED.value:
        raise ValidationFailed(
            f"message {answered_id} is {answered.state}; only a processed message can be answered",
            field="messageId",
        )
    recipients = reply_recipients(answered)
    if not recipients:
        raise ValidationFailed("the message has no sender address to answer", field="messageId")
    return await _send_and_keep(
        session,
        settings,
        OutgoingEmail(
            to=recipients,
            subject=reply_subject(answered.subject),
            text=text,
            in_reply_to=answered.internet_message_id,
            references=list(answered.references),
        ),
        # Into the answered thread even when headers cannot say so (it had no Message-ID).
        conversation_id=answered.conversation_id,
    )


async def send_new(
    session: AsyncSession, settings: Settings, *, to: str, subject: str, text: str
) -> Message:
    """Start a thread: send `text` to `to` and keep it as the first message of a new
    conversation (a reply to it threads there by In-Reply-To)."""
    if not " ".join(subject.split()):
        raise ValidationFailed("a new email needs a subject", field="subject")
    if not text.strip():
        raise ValidationFailed("a new email needs a body", field="text")
    return await _send_and_keep(
        session, settings, OutgoingEmail(to=[to], subject=subject, text=text)
    )


async def _send_and_keep(
    session: AsyncSession,
    settings: Settings,
    outgoing: OutgoingEmail,
    *,
    conversation_id: uuid.UUID | None = None,
) -> Message:
    sent = await send_email(settings, outgoing)
    # Sent first, then kept: a relay that refuses leaves no phantom message in the thread.
    stored = await ingest_raw(
        session,
        # As it went over the wire: CRLF line endings.
        sent.as_bytes(policy=SMTP),
        Envelope(
            channel=Channel.OUTBOUND,
            mail_from=settings.mail_from_address,
            recipients=tuple(outgoing.to),
        ),
        max_bytes=settings.mail_max_bytes,
        enqueue_processing=False,
    )
    message = await processing.get_message(session, stored.message_id)
    if conversation_id is not None:
        message.conversation_id = conversation_id
    await processing.process_message(session, stored.message_id, settings=settings)
    return message
