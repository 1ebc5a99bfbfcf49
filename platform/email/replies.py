"""Answering a stored message: sent through the outbound relay, threaded with In-Reply-To and
References, and kept in the same conversation as a message of the `outbound` channel."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from email.policy import SMTP

from sqlalchemy.ext.asyncio import AsyncSession

from compound.platform.config import Settings
from compound.platform.email import processing
from compound.platform.email.addresses import recipient_address
from compound.platform.email.ingest import Envelope, ingest_raw
from compound.platform.email.models import Channel, Message, MessageState
from compound.platform.email.outbound import OutgoingEmail, send_email
from compound.platform.errors import ValidationFailed

CAP_SETTING = "COMPOUND_MAIL_MAX_REPLY_RECIPIENTS"


def _usable(addresses: Sequence[str | None]) -> tuple[list[str], list[str]]:
    """The real addresses among `addresses` (normalized, each once) and the rest as written."""
    usable: list[str] = []
    left_out: list[str] = []
    for written in addresses:
        if not written:
            continue
        try:
            address = recipient_address(written, field="recipients")
        except ValidationFailed:
            left_out.append(written)
            continue
        if address not in usable:
            usable.append(address)
    return usable, left_out


def sender_address(message: Message) -> str | None:
    """The message's From as an address a reply can go to, or None."""
    found, _ = _usable([message.from_address])
    return found[0] if found else None


@dataclass(frozen=True)
class ReplyAddresses:
    """Where a reply to a stored message would go, worked out when the reply is proposed
    (and never again after a person approved it)."""

    recipients: list[str]
    """Its Reply-To addresses when it names any, else its From: real addresses, each once."""
    left_out: list[str]
    """What it named that is not an address (kept as written; nothing is sent there)."""
    reply_to_elsewhere: list[str]
    """Reply-To addresses other than the From: where the sender asked replies to go."""


def reply_addresses(message: Message) -> ReplyAddresses:
    sender = sender_address(message)
    reply_to, bad_reply_to = _usable(message.reply_to)
    if message.reply_to:
        elsewhere = [address for address in reply_to if address != sender] + bad_reply_to
        return ReplyAddresses(reply_to, bad_reply_to, elsewhere)
    if sender is not None:
        return ReplyAddresses([sender], [], [])
    return ReplyAddresses([], [message.from_address] if message.from_address else [], [])


def reply_recipients(message: Message) -> list[str]:
    """Who a reply goes to, as the message asks: the Reply-To addresses when it names them,
    else From."""
    return reply_addresses(message).recipients


def checked_recipients(
    recipients: Sequence[str], *, cap: int, field: str = "recipients"
) -> list[str]:
    """Exactly these addresses, each one checked and kept once, at most `cap` of them."""
    checked: list[str] = []
    for written in recipients:
        address = recipient_address(written, field=field)
        if address not in checked:
            checked.append(address)
    if not checked:
        raise ValidationFailed("a reply needs at least one recipient", field=field)
    if len(checked) > cap:
        raise ValidationFailed(
            f"{len(checked)} recipients: a reply goes to at most {cap} ({CAP_SETTING}); "
            "keep only those who should get it",
            field=field,
        )
    return checked


def reply_subject(subject: str) -> str:
    clean = " ".join(subject.split())
    return clean if clean.lower().startswith("re:") else f"Re: {clean}".strip()


async def send_reply(
    session: AsyncSession,
    settings: Settings,
    answered_id: uuid.UUID,
    text: str,
    *,
    recipients: Sequence[str],
) -> Message:
    """Send `text` to exactly `recipients` (what a person approved, or what the policy let
    through) as a reply to the stored message `answered_id`; returns the sent message,
    stored in the caller's transaction in the same conversation."""
    answered = await processing.get_message(session, answered_id)
    if answered.state != MessageState.PROCESSED.value:
        raise ValidationFailed(
            f"message {answered_id} is {answered.state}; only a processed message can be answered",
            field="messageId",
        )
    # Never worked out again here: the message's headers are not asked who gets this.
    to = checked_recipients(recipients, cap=settings.mail_max_reply_recipients)
    return await _send_and_keep(
        session,
        settings,
        OutgoingEmail(
            to=to,
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
