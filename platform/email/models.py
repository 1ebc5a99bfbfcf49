"""Tables of email: every raw message kept, its parse, its thread, its attachments, and the
people it links to."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.dialects.postgresql import UUID as PG_UUID
from sqlmodel import Field, SQLModel

from compound.platform.models import (
    created_at_field,
    embedding_field,
    id_field,
    optional_timestamp_field,
    updated_at_field,
)

SUBJECT_MAX = 2_000
ADDRESS_MAX = 320
MESSAGE_ID_MAX = 998  # RFC 5322's line limit: the longest header a Message-ID can be
AUTHSERV_ID_MAX = 255  # a domain name (RFC 8601 §2.5)


class MessageState(StrEnum):
    RECEIVED = "received"
    """Stored raw, waiting for its processing job."""
    PROCESSED = "processed"
    """Parsed, threaded and linked."""
    UNPARSEABLE = "unparseable"
    """Kept raw with its error; `reprocessMessage` tries again."""


class Channel(StrEnum):
    SMTP = "smtp"
    HTTP = "http"
    IMAP = "imap"
    OUTBOUND = "outbound"
    """A reply Compound sent, kept in its thread."""


class Conversation(SQLModel, table=True):
    """A thread of messages (by Message-ID / In-Reply-To / References, subject as last resort)."""

    __tablename__ = "conversation"
    __table_args__ = (
        Index("ix_conversation_last_message_at_id", "last_message_at", "id"),
        Index("ix_conversation_subject_key", "subject_key"),
    )

    id: uuid.UUID = id_field()
    subject: str = Field(default="", sa_column=Column(String(SUBJECT_MAX), nullable=False))
    # The subject without Re:/Fwd:/[list] prefixes, lower-cased: the last-resort thread key.
    subject_key: str = Field(default="", sa_column=Column(String(SUBJECT_MAX), nullable=False))
    company_id: uuid.UUID | None = Field(
        default=None,
        sa_column=Column(
            PG_UUID(as_uuid=True),
            ForeignKey("company.id", ondelete="SET NULL"),
            nullable=True,
            index=True,
        ),
    )
    message_count: int = Field(default=0, nullable=False)
    last_message_at: datetime = created_at_field()
    created_at: datetime = created_at_field()
    updated_at: datetime = updated_at_field()


class Message(SQLModel, table=True):
    """One email as received: the raw MIME always, the parse once it succeeded."""

    __tablename__ = "message"
    __table_args__ = (
        # The same message arriving twice is stored once: by Message-ID, or without one
        # by the hash of its bytes.
        Index(
            "uq_message_internet_id",
            "internet_message_id",
            unique=True,
            postgresql_where=text("internet_message_id IS NOT NULL"),
        ),
        Index(
            "uq_message_content_sha256",
            "content_sha256",
            unique=True,
            postgresql_where=text("internet_message_id IS NULL"),
        ),
        Index("ix_message_conversation_sent", "conversation_id", "sort_at"),
        # Threading a message finds the replies that arrived before it by this.
        Index(
            "ix_message_in_reply_to",
            "in_reply_to",
            postgresql_where=text("in_reply_to IS NOT NULL"),
        ),
        Index("ix_message_received_at_id", "received_at", "id"),
        # The site search finds mail by meaning (platform/records/search.py) ...
        Index(
            "ix_message_embedding_hnsw",
            "embedding",
            postgresql_using="hnsw",
            postgresql_with={"m": 16, "ef_construction": 64},
            postgresql_ops={"embedding": "vector_cosine_ops"},
        ),
        # ... once the embedding backfill has found it (platform/records/embedding_backfill.py).
        Index(
            "ix_message_embedding_missing",
            "received_at",
            postgresql_where=text("embedding IS NULL AND state = 'processed'"),
        ),
        CheckConstraint("state IN ('received', 'processed', 'unparseable')", name="state_known"),
        CheckConstraint("channel IN ('smtp', 'http', 'imap', 'outbound')", name="channel_known"),
    )

    id: uuid.UUID = id_field()
    # --- as received ---------------------------------------------------------------
    raw: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    raw_size: int = Field(sa_column=Column(Integer, nullable=False))
    content_sha256: str = Field(sa_column=Column(String(64), nullable=False))
    internet_message_id: str | None = Field(
        default=None, sa_column=Column(String(MESSAGE_ID_MAX), nullable=True)
    )
    channel: str = Field(sa_column=Column(String(8), nullable=False))
    envelope_from: str | None = Field(
        default=None, sa_column=Column(String(ADDRESS_MAX), nullable=True)
    )
    envelope_to: list[str] = Field(
        default_factory=list, sa_column=Column(ARRAY(Text), nullable=False, server_default="{}")
    )
    peer: str | None = Field(default=None, sa_column=Column(String(200), nullable=True))
    # Who submitted it, when they authenticated (SMTP AUTH user or an ingest token's label).
    submitted_by: str | None = Field(default=None, sa_column=Column(String(300), nullable=True))
    # The account behind `submitted_by`: over SMTP AUTH the message is that person's only
    # when their address is its From (platform/email/authentication.py).
    submitter_user_id: uuid.UUID | None = Field(
        default=None,
        sa_column=Column(
            PG_UUID(as_uuid=True), ForeignKey("user.id", ondelete="SET NULL"), nullable=True
        ),
    )
    via_trusted_relay: bool = Field(
        default=False, sa_column=Column(Boolean, nullable=False, server_default="false")
    )
    # Whose Authentication-Results it may carry: our relay's id, or the id of the provider
    # whose ingest token handed it in; None = no header in it is believed.
    trusted_authserv_id: str | None = Field(
        default=None, sa_column=Column(String(AUTHSERV_ID_MAX), nullable=True)
    )
    received_at: datetime = created_at_field()
    state: str = Field(
        default=MessageState.RECEIVED.value,
        sa_column=Column(String(16), nullable=False, server_default="received"),
    )
    parse_error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    defects: list[str] = Field(
        default_factory=list, sa_column=Column(JSONB, nullable=False, server_default="[]")
    )
    processed_at: datetime | None = optional_timestamp_field()
    # --- parsed ---------------------------------------------------------------------
    conversation_id: uuid.UUID | None = Field(
        default=None,
        sa_column=Column(
            PG_UUID(as_uuid=True),
            ForeignKey("conversation.id", ondelete="SET NULL"),
            nullable=True,
        ),
    )
    from_address: str | None = Field(
        default=None, sa_column=Column(String(ADDRESS_MAX), nullable=True)
    )
    from_name: str | None = Field(default=None, sa_column=Column(String(300), nullable=True))
    reply_to: list[str] = Field(
        default_factory=list, sa_column=Column(ARRAY(Text), nullable=False, server_default="{}")
    )
    to_addresses: list[str] = Field(
        default_factory=list, sa_column=Column(ARRAY(Text), nullable=False, server_default="{}")
    )
    cc_addresses: list[str] = Field(
        default_factory=list, sa_column=Column(ARRAY(Text), nullable=False, server_default="{}")
    )
    subject: str = Field(
        default="", sa_column=Column(String(SUBJECT_MAX), nullable=False, server_default="")
    )
    sent_at: datetime | None = optional_timestamp_field()
    # When it belongs in its thread: the Date header when sane, else when it arrived.
    sort_at: datetime = created_at_field()
    in_reply_to: str | None = Field(
        default=None, sa_column=Column(String(MESSAGE_ID_MAX), nullable=True)
    )
    references: list[str] = Field(
        default_factory=list, sa_column=Column(ARRAY(Text), nullable=False, server_default="{}")
    )
    text_body: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    html_body: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    # What agents read: the text without quoted history and signature.
    new_text: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    quoted_text: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    signature: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    headers: list[list[str]] = Field(
        default_factory=list, sa_column=Column(JSONB, nullable=False, server_default="[]")
    )
    is_bulk: bool = Field(
        default=False, sa_column=Column(Boolean, nullable=False, server_default="false")
    )
    # SPF/DKIM/DMARC as recorded (from a trusted Authentication-Results header, or unknown).
    authentication: dict[str, Any] = Field(
        default_factory=dict, sa_column=Column(JSONB, nullable=False, server_default="{}")
    )
    sender_authenticated: bool = Field(
        default=False, sa_column=Column(Boolean, nullable=False, server_default="false")
    )
    sender_internal: bool = Field(
        default=False, sa_column=Column(Boolean, nullable=False, server_default="false")
    )
    # What the triage agent said, once it did: kind, ask, confidence, run id, route.
    triage: dict[str, Any] | None = Field(default=None, sa_column=Column(JSONB, nullable=True))
    # Of subject, sender and new text (message_embedding_text), filled in the background.
    embedding: list[float] | None = embedding_field()
    created_at: datetime = created_at_field()
    updated_at: datetime = updated_at_field()


def message_embedding_text(message: Message) -> str:
    """What a message means for search: its subject, who sent it, and what they wrote new
    (without the quoted history that would make every reply in a thread look alike)."""
    sender = " ".join(part for part in (message.from_name, message.from_address) if part)
    body = message.new_text or message.text_body
    return "\n".join(part for part in (message.subject, sender, body) if part) or "(empty)"


class Attachment(SQLModel, table=True):
    __tablename__ = "attachment"

    id: uuid.UUID = id_field()
    message_id: uuid.UUID = Field(
        sa_column=Column(
            PG_UUID(as_uuid=True),
            ForeignKey("message.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        )
    )
    position: int = Field(nullable=False)
    filename: str | None = Field(default=None, sa_column=Column(String(500), nullable=True))
    content_type: str = Field(sa_column=Column(String(200), nullable=False))
    size: int = Field(nullable=False)
    sha256: str = Field(sa_column=Column(String(64), nullable=False))
    inline: bool = Field(
        default=False, sa_column=Column(Boolean, nullable=False, server_default="false")
    )
    content: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    created_at: datetime = created_at_field()


class MessageParticipant(SQLModel, table=True):
    """A message's sender or recipient, linked to the Person with that address."""

    __tablename__ = "message_participant"
    __table_args__ = (
        CheckConstraint("role IN ('from', 'to', 'cc', 'reply_to')", name="role_known"),
        Index("ix_message_participant_person_id", "person_id"),
    )

    message_id: uuid.UUID = Field(
        sa_column=Column(
            PG_UUID(as_uuid=True),
            ForeignKey("message.id", ondelete="CASCADE"),
            primary_key=True,
        )
    )
    role: str = Field(sa_column=Column(String(8), primary_key=True))
    address: str = Field(sa_column=Column(String(ADDRESS_MAX), primary_key=True))
    person_id: uuid.UUID | None = Field(
        default=None,
        sa_column=Column(
            PG_UUID(as_uuid=True), ForeignKey("person.id", ondelete="SET NULL"), nullable=True
        ),
    )
