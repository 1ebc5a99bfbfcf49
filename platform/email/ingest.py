"""Taking a raw message in: kept as received, once, with its processing job in the same
transaction — the one door every channel (SMTP, HTTP, IMAP) uses."""

from __future__ import annotations

import hashlib
import re
import uuid
from dataclasses import dataclass, field
from email.parser import BytesHeaderParser
from email.policy import compat32

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from compound.platform.email.models import MESSAGE_ID_MAX, Channel, Message
from compound.platform.errors import TooLong, ValidationFailed
from compound.platform.queue.service import enqueue

_HEADER_END = re.compile(rb"\r?\n\r?\n")


@dataclass(frozen=True)
class Envelope:
    """How a message reached us: what the channel knows beyond the message's own headers."""

    channel: Channel
    mail_from: str | None = None
    recipients: tuple[str, ...] = ()
    peer: str | None = None
    submitted_by: str | None = None
    """The SMTP AUTH user or the ingest token that handed it in, if any."""
    submitter_user_id: uuid.UUID | None = None
    """The account that logged in (SMTP AUTH user or the token's owner)."""
    trusted_authserv_id: str | None = None
    """The authserv-id whose Authentication-Results (the topmost) are believed: our own
    relay's, or the provider named by the ingest token; None believes no header."""

    @property
    def via_trusted_relay(self) -> bool:
        return self.trusted_authserv_id is not None

    extra: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Ingested:
    message_id: uuid.UUID
    duplicate: bool
    """True when the same message (same Message-ID, or same bytes) was already stored."""


def internet_message_id(raw: bytes) -> str | None:
    """The Message-ID header's value without angle brackets, or None (absent or unusable)."""
    head = _HEADER_END.split(raw[: 256 * 1024], maxsplit=1)[0]
    try:
        # compat32 and headers only: this must not fail on a message the full parser
        # would reject; a broken header just means "no usable Message-ID".
        headers = BytesHeaderParser(policy=compat32).parsebytes(head)
        value = headers.get("Message-ID")
    except Exception:
        return None
    if value is None:
        return None
    cleaned = "".join(str(value).split()).strip("<>")
    if not cleaned or len(cleaned) > MESSAGE_ID_MAX or "\x00" in cleaned:
        return None
    return cleaned


async def ingest_raw(
    session: AsyncSession,
    raw: bytes,
    envelope: Envelope,
    *,
    max_bytes: int,
    enqueue_processing: bool = True,
) -> Ingested:
    """Store `raw` unless it is already stored, and enqueue its processing, in the caller's
    transaction: committed, the message is kept and will be processed; rolled back, neither.
    A caller that processes the message itself passes `enqueue_processing=False`."""
    from compound.platform.email import tasks  # the actor module imports this one

    if not raw.strip():
        raise ValidationFailed("the message is empty", field="message")
    if len(raw) > max_bytes:
        raise TooLong(
            f"the message is {len(raw):,} bytes; the limit is {max_bytes:,}", field="message"
        )
    message_id = internet_message_id(raw)
    digest = hashlib.sha256(raw).hexdigest()
    row_id = uuid.uuid4()
    inserted = await session.scalar(
        insert(Message)
        .values(
            id=row_id,
            # The clock, not the transaction's start: two messages stored in one
            # transaction still keep their order of arrival.
            received_at=func.clock_timestamp(),
            raw=raw,
            raw_size=len(raw),
            content_sha256=digest,
            internet_message_id=message_id,
            channel=envelope.channel.value,
            envelope_from=(envelope.mail_from or None) and envelope.mail_from[:320],
            envelope_to=[recipient[:320] for recipient in envelope.recipients[:100]],
            peer=envelope.peer[:200] if envelope.peer else None,
            submitted_by=envelope.submitted_by[:300] if envelope.submitted_by else None,
            submitter_user_id=envelope.submitter_user_id,
            via_trusted_relay=envelope.via_trusted_relay,
            trusted_authserv_id=envelope.trusted_authserv_id,
        )
        # Either unique index (Message-ID, or the hash when there is none) makes it a
        # duplicate; a concurrent twin waits for our commit and then finds ours.
        .on_conflict_do_nothing()
        .returning(col(Message.id))
    )
    if inserted is None:
        existing = select(col(Message.id))
        existing = (
            existing.where(col(Message.internet_message_id) == message_id)
            if message_id
            else existing.where(col(Message.content_sha256) == digest).where(
                col(Message.internet_message_id).is_(None)
            )
        )
        found = await session.scalar(existing)
        if found is None:  # pragma: no cover — the conflicting row vanished (deleted)
            raise ValidationFailed("the message conflicts with one being deleted; send again")
        return Ingested(message_id=found, duplicate=True)
    if enqueue_processing:
        await enqueue(session, tasks.process_message, message_id=str(inserted))
    return Ingested(message_id=inserted, duplicate=False)
