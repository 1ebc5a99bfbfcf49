"""The record of every model call: who asked, which model, tokens, cost, latency, outcome."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Column, Float, Index, String, Text
from sqlalchemy.dialects.postgresql import UUID as PG_UUID
from sqlmodel import Field, SQLModel

from compound.platform.models import created_at_field, id_field


class LLMCall(SQLModel, table=True):
    """One attempt at a model call; failed attempts are kept too, they cost time and money."""

    __tablename__ = "llm_call"
    __table_args__ = (
        Index("ix_llm_call_run_id", "run_id"),
        Index("ix_llm_call_agent_created_at", "agent", "created_at"),
    )

    id: uuid.UUID = id_field()
    agent: str | None = Field(default=None, sa_column=Column(String(100), nullable=True))
    # A plain id, not a foreign key: runs belong to the agents layer, and a call's cost
    # stays on record even if its run is deleted.
    run_id: uuid.UUID | None = Field(
        default=None, sa_column=Column(PG_UUID(as_uuid=True), nullable=True)
    )
    model: str = Field(sa_column=Column(String(200), nullable=False))
    tier: str = Field(sa_column=Column(String(16), nullable=False))
    outcome: str = Field(sa_column=Column(String(32), nullable=False))
    prompt_tokens: int = Field(default=0, nullable=False)
    completion_tokens: int = Field(default=0, nullable=False)
    cost_usd: float = Field(default=0.0, sa_column=Column(Float, nullable=False))
    latency_ms: float = Field(default=0.0, sa_column=Column(Float, nullable=False))
    error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    created_at: datetime = created_at_field()
