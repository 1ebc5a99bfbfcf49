"""Tables the leads module owns: leads in the pipeline, and the ideal customer profile."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import CheckConstraint, Column, ForeignKey, Index, Integer, String, Text
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.dialects.postgresql import UUID as PG_UUID
from sqlmodel import Field, SQLModel

from compound.platform.models import (
    created_at_field,
    id_field,
    optional_timestamp_field,
    updated_at_field,
)

RATIONALE_MAX = 2_000
ICP_DESCRIPTION_MAX = 5_000
ICP_TERM_MAX = 100
ICP_TERMS_MAX = 50


class LeadStatus(StrEnum):
    NEW = "new"
    RESEARCHING = "researching"
    QUALIFIED = "qualified"
    DISQUALIFIED = "disqualified"
    CONTACTED = "contacted"
    ENGAGED = "engaged"
    WON = "won"
    LOST = "lost"


class Lead(SQLModel, table=True):
    """A company in the sales pipeline: one lead per company."""

    __tablename__ = "lead"
    __table_args__ = (
        Index("uq_lead_company", "company_id", unique=True),
        Index("ix_lead_score_id", "score", "id"),
        Index("ix_lead_created_at_id", "created_at", "id"),
        Index("ix_lead_updated_at_id", "updated_at", "id"),
        Index("ix_lead_status", "status"),
        CheckConstraint("score BETWEEN 0 AND 100", name="score_range"),
        CheckConstraint(
            "status IN ('new', 'researching', 'qualified', 'disqualified', 'contacted', "
            "'engaged', 'won', 'lost')",
            name="status_known",
        ),
    )

    id: uuid.UUID = id_field()
    company_id: uuid.UUID = Field(
        sa_column=Column(
            PG_UUID(as_uuid=True), ForeignKey("company.id", ondelete="CASCADE"), nullable=False
        )
    )
    status: str = Field(
        default=LeadStatus.NEW.value,
        sa_column=Column(String(16), nullable=False, server_default=LeadStatus.NEW.value),
    )
    score: int = Field(default=0, sa_column=Column(Integer, nullable=False, server_default="0"))
    rationale: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    source_message_id: uuid.UUID | None = Field(
        default=None,
        sa_column=Column(
            PG_UUID(as_uuid=True), ForeignKey("message.id", ondelete="SET NULL"), nullable=True
        ),
    )
    owner_user_id: uuid.UUID | None = Field(
        default=None,
        sa_column=Column(
            PG_UUID(as_uuid=True),
            ForeignKey("user.id", ondelete="SET NULL"),
            nullable=True,
            index=True,
        ),
    )
    outreach_conversation_id: uuid.UUID | None = Field(
        default=None,
        sa_column=Column(
            PG_UUID(as_uuid=True),
            ForeignKey("conversation.id", ondelete="SET NULL"),
            nullable=True,
            index=True,
        ),
    )
    """The thread of the first outreach email: replies to it land on this lead."""
    created_at: datetime = created_at_field()
    updated_at: datetime = updated_at_field()


class IdealCustomerProfile(SQLModel, table=True):
    """The workspace's one ICP: what a fitting company looks like, and the fit threshold."""

    __tablename__ = "ideal_customer_profile"
    __table_args__ = (
        CheckConstraint("id = 1", name="single_row"),
        CheckConstraint("threshold BETWEEN 0 AND 100", name="threshold_range"),
    )

    id: int = Field(default=1, sa_column=Column(Integer, primary_key=True))
    description: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    sectors: list[str] = Field(
        default_factory=list, sa_column=Column(ARRAY(Text), nullable=False, server_default="{}")
    )
    stages: list[str] = Field(
        default_factory=list, sa_column=Column(ARRAY(Text), nullable=False, server_default="{}")
    )
    regions: list[str] = Field(
        default_factory=list, sa_column=Column(ARRAY(Text), nullable=False, server_default="{}")
    )
    keywords: list[str] = Field(
        default_factory=list, sa_column=Column(ARRAY(Text), nullable=False, server_default="{}")
    )
    threshold: int = Field(
        default=60, sa_column=Column(Integer, nullable=False, server_default="60")
    )
    updated_by: str | None = Field(default=None, sa_column=Column(String(300), nullable=True))
    updated_at: datetime = updated_at_field()


class ImportState(StrEnum):
    EXTRACTING = "extracting"
    RESEARCHING = "researching"
    DONE = "done"
    FAILED = "failed"


class ImportSource(StrEnum):
    EMAIL = "email"
    TEXT = "text"
    CSV = "csv"


class LeadImport(SQLModel, table=True):
    """The batch ledger of one imported list: what was found, skipped, added, and what needs a
    person; one row per import run (its id is the run's id), counted up as the runs finish."""

    __tablename__ = "lead_import"
    __table_args__ = (
        Index("ix_lead_import_created_at_id", "created_at", "id"),
        CheckConstraint(
            "state IN ('extracting', 'researching', 'done', 'failed')", name="state_known"
        ),
        CheckConstraint("source IN ('email', 'text', 'csv')", name="source_known"),
    )

    id: uuid.UUID = Field(
        sa_column=Column(
            PG_UUID(as_uuid=True),
            ForeignKey("agent_run.id", ondelete="CASCADE"),
            primary_key=True,
        )
    )
    source: str = Field(sa_column=Column(String(16), nullable=False))
    state: str = Field(
        default=ImportState.EXTRACTING.value,
        sa_column=Column(String(16), nullable=False, server_default="extracting"),
    )
    title: str = Field(default="", sa_column=Column(String(300), nullable=False, server_default=""))
    message_id: uuid.UUID | None = Field(
        default=None,
        sa_column=Column(
            PG_UUID(as_uuid=True), ForeignKey("message.id", ondelete="SET NULL"), nullable=True
        ),
    )
    requested_by: str = Field(sa_column=Column(String(320), nullable=False))
    requester_user_id: uuid.UUID | None = Field(
        default=None,
        sa_column=Column(
            PG_UUID(as_uuid=True), ForeignKey("user.id", ondelete="SET NULL"), nullable=True
        ),
    )
    found: int = Field(default=0, sa_column=Column(Integer, nullable=False, server_default="0"))
    skipped: int = Field(default=0, sa_column=Column(Integer, nullable=False, server_default="0"))
    to_research: int = Field(
        default=0, sa_column=Column(Integer, nullable=False, server_default="0")
    )
    researched: int = Field(
        default=0, sa_column=Column(Integer, nullable=False, server_default="0")
    )
    added: int = Field(default=0, sa_column=Column(Integer, nullable=False, server_default="0"))
    known: int = Field(default=0, sa_column=Column(Integer, nullable=False, server_default="0"))
    need_you: int = Field(default=0, sa_column=Column(Integer, nullable=False, server_default="0"))
    failed: int = Field(default=0, sa_column=Column(Integer, nullable=False, server_default="0"))
    lines: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSONB, nullable=False, server_default="[]")
    )
    """One entry per company: {name, outcome, detail, company_id, lead_id, run_id}."""
    created_at: datetime = created_at_field()
    updated_at: datetime = updated_at_field()
    finished_at: datetime | None = optional_timestamp_field()
