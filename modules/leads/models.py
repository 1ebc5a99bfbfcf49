"""Tables the leads module owns: leads in the pipeline, and the ideal customer profile."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, Column, ForeignKey, Index, Integer, String, Text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import UUID as PG_UUID
from sqlmodel import Field, SQLModel

from compound.platform.models import created_at_field, id_field, updated_at_field

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
