"""Tables of the runtime: a run of an agent, and the journal of its steps."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Float,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.dialects.postgresql import UUID as PG_UUID
from sqlmodel import Field, SQLModel

from compound.platform.models import (
    created_at_field,
    id_field,
    optional_timestamp_field,
    updated_at_field,
)

RUN_TITLE_MAX = 300


class RunState(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    WAITING = "waiting"
    DONE = "done"
    FAILED = "failed"

    @property
    def finished(self) -> bool:
        return self in (RunState.DONE, RunState.FAILED)


class Engine(StrEnum):
    MODEL = "model"
    OFFLINE = "offline"


class StepKind(StrEnum):
    MODEL_CALL = "model_call"
    TOOL_CALL = "tool_call"
    POLICY = "policy"
    CHILDREN = "children"
    QUESTION = "question"
    OUTPUT = "output"
    FAILURE = "failure"


class AgentRun(SQLModel, table=True):
    """One execution of an agent on one input; children fan out from a parent and join it."""

    __tablename__ = "agent_run"
    __table_args__ = (
        Index("ix_agent_run_created_at_id", "created_at", "id"),
        Index("ix_agent_run_state_created_at", "state", "created_at"),
        Index("ix_agent_run_agent_created_at", "agent", "created_at"),
        Index("ix_agent_run_root_id", "root_id"),
        CheckConstraint(
            "state IN ('queued', 'running', 'waiting', 'done', 'failed')", name="state_known"
        ),
        CheckConstraint("engine IN ('model', 'offline')", name="engine_known"),
    )

    id: uuid.UUID = id_field()
    agent: str = Field(sa_column=Column(String(100), nullable=False))
    title: str = Field(sa_column=Column(String(RUN_TITLE_MAX), nullable=False))
    state: str = Field(
        default=RunState.QUEUED.value,
        sa_column=Column(String(16), nullable=False, server_default="queued"),
    )
    engine: str = Field(sa_column=Column(String(16), nullable=False))
    tier: str = Field(sa_column=Column(String(16), nullable=False))
    parent_id: uuid.UUID | None = Field(
        default=None,
        sa_column=Column(
            PG_UUID(as_uuid=True),
            ForeignKey("agent_run.id", ondelete="CASCADE"),
            nullable=True,
            index=True,
        ),
    )
    # The run that started the whole task; items in the Inbox are grouped by it.
    root_id: uuid.UUID = Field(sa_column=Column(PG_UUID(as_uuid=True), nullable=False))
    input: dict[str, Any] = Field(sa_column=Column(JSONB, nullable=False))
    output: dict[str, Any] | None = Field(default=None, sa_column=Column(JSONB, nullable=True))
    error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    # Read untrusted content (email, web, attachments): external actions need approval.
    tainted: bool = Field(
        default=False, sa_column=Column(Boolean, nullable=False, server_default="false")
    )
    waiting_for: str | None = Field(default=None, sa_column=Column(String(16), nullable=True))
    children_total: int = Field(default=0, nullable=False)
    children_finished: int = Field(default=0, nullable=False)
    step_count: int = Field(default=0, nullable=False)
    prompt_tokens: int = Field(default=0, nullable=False)
    completion_tokens: int = Field(default=0, nullable=False)
    cost_usd: float = Field(default=0.0, sa_column=Column(Float, nullable=False))
    crashes: int = Field(default=0, nullable=False)
    started_by: str = Field(sa_column=Column(String(300), nullable=False))
    created_at: datetime = created_at_field()
    updated_at: datetime = updated_at_field()
    started_at: datetime | None = optional_timestamp_field()
    finished_at: datetime | None = optional_timestamp_field()
    undone_at: datetime | None = optional_timestamp_field()
    """When a person last undid this run's writes (agents.runtime.undo)."""


class RunStep(SQLModel, table=True):
    """One entry of a run's journal: a model call, a tool call, a policy decision, a wait.

    A resumed run replays its journal: recorded results are returned, not recomputed.
    """

    __tablename__ = "run_step"
    __table_args__ = (UniqueConstraint("run_id", "position", name="uq_run_step_position"),)

    id: uuid.UUID = id_field()
    run_id: uuid.UUID = Field(
        sa_column=Column(
            PG_UUID(as_uuid=True), ForeignKey("agent_run.id", ondelete="CASCADE"), nullable=False
        )
    )
    position: int = Field(nullable=False)
    kind: str = Field(sa_column=Column(String(16), nullable=False))
    name: str = Field(sa_column=Column(String(200), nullable=False))
    arguments: dict[str, Any] | None = Field(default=None, sa_column=Column(JSONB, nullable=True))
    result: Any = Field(default=None, sa_column=Column(JSONB, nullable=True))
    error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    prompt_tokens: int = Field(default=0, nullable=False)
    completion_tokens: int = Field(default=0, nullable=False)
    cost_usd: float = Field(default=0.0, sa_column=Column(Float, nullable=False))
    latency_ms: float = Field(default=0.0, sa_column=Column(Float, nullable=False))
    created_at: datetime = created_at_field()
