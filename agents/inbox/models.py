"""The Inbox item table: what an agent brings back to a person, and what the person decided."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import CheckConstraint, Column, ForeignKey, Index, String, Text, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.dialects.postgresql import UUID as PG_UUID
from sqlmodel import Field, SQLModel

from compound.platform.models import (
    created_at_field,
    id_field,
    optional_timestamp_field,
    updated_at_field,
)

ITEM_TITLE_MAX = 300


class ItemKind(StrEnum):
    APPROVAL = "approval"
    QUESTION = "question"
    EXCEPTION = "exception"
    REPORT = "report"


class ItemStatus(StrEnum):
    OPEN = "open"
    APPROVED = "approved"
    ANSWERED = "answered"
    REJECTED = "rejected"
    DISMISSED = "dismissed"


class InboxItem(SQLModel, table=True):
    __tablename__ = "inbox_item"
    __table_args__ = (
        Index("ix_inbox_item_status_created_at_id", "status", "created_at", "id"),
        Index("ix_inbox_item_root_run_id", "root_run_id"),
        # A run waits on at most one open item per journal position: replays never duplicate.
        Index(
            "uq_inbox_item_run_step",
            "run_id",
            "step_position",
            unique=True,
            postgresql_where=text("step_position IS NOT NULL"),
        ),
        CheckConstraint(
            "kind IN ('approval', 'question', 'exception', 'report')", name="kind_known"
        ),
        CheckConstraint(
            "status IN ('open', 'approved', 'answered', 'rejected', 'dismissed')",
            name="status_known",
        ),
    )

    id: uuid.UUID = id_field()
    kind: str = Field(sa_column=Column(String(16), nullable=False))
    status: str = Field(
        default=ItemStatus.OPEN.value,
        sa_column=Column(String(16), nullable=False, server_default="open"),
    )
    run_id: uuid.UUID = Field(
        sa_column=Column(
            PG_UUID(as_uuid=True), ForeignKey("agent_run.id", ondelete="CASCADE"), nullable=False
        )
    )
    root_run_id: uuid.UUID = Field(sa_column=Column(PG_UUID(as_uuid=True), nullable=False))
    # The journal position of the step that waits on this item (approvals and questions).
    step_position: int | None = Field(default=None, nullable=True)
    title: str = Field(sa_column=Column(String(ITEM_TITLE_MAX), nullable=False))
    explanation: str = Field(default="", sa_column=Column(Text, nullable=False))
    evidence: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSONB, nullable=False, server_default="[]")
    )
    # {"tool": name, "arguments": {...}} for approvals; the choices for questions.
    proposal: dict[str, Any] | None = Field(default=None, sa_column=Column(JSONB, nullable=True))
    decision: dict[str, Any] | None = Field(default=None, sa_column=Column(JSONB, nullable=True))
    decided_by: str | None = Field(default=None, sa_column=Column(String(300), nullable=True))
    decided_at: datetime | None = optional_timestamp_field()
    created_at: datetime = created_at_field()
    updated_at: datetime = updated_at_field()
