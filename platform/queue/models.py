"""The job table: one row per dramatiq message, its state, when it may run and who holds it."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import CheckConstraint, Column, DateTime, Index, String, Text, func, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.dialects.postgresql import UUID as PG_UUID
from sqlmodel import Field, SQLModel

from compound.platform.models import created_at_field, optional_timestamp_field


class JobState(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    DEAD = "dead"


class Job(SQLModel, table=True):
    __tablename__ = "job"
    __table_args__ = (
        # What consumers scan: the runnable jobs of a queue, oldest eta first.
        Index(
            "ix_job_runnable",
            "queue_name",
            "eta",
            postgresql_where=text("state = 'queued'"),
        ),
        Index("ix_job_leases", "lease_until", postgresql_where=text("state = 'running'")),
        Index("ix_job_state_created", "state", "created_at"),
        CheckConstraint("state IN ('queued', 'running', 'done', 'dead')", name="state_known"),
    )

    id: uuid.UUID = Field(sa_column=Column(PG_UUID(as_uuid=True), primary_key=True))
    queue_name: str = Field(sa_column=Column(String(100), nullable=False))
    actor_name: str = Field(sa_column=Column(String(200), nullable=False))
    message: dict[str, Any] = Field(sa_column=Column(JSONB, nullable=False))
    state: str = Field(
        default=JobState.QUEUED.value,
        sa_column=Column(String(16), nullable=False, server_default="queued"),
    )
    eta: datetime = Field(
        sa_column=Column(DateTime(timezone=True), nullable=False, server_default=func.now())
    )
    attempts: int = Field(default=0, nullable=False)
    # Set when a consumer claims the job; an ack or nack only counts with the same token,
    # so a worker that lost its lease cannot finish a job someone else is running.
    lease_token: uuid.UUID | None = Field(
        default=None, sa_column=Column(PG_UUID(as_uuid=True), nullable=True)
    )
    lease_until: datetime | None = optional_timestamp_field()
    last_error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    created_at: datetime = created_at_field()
    started_at: datetime | None = optional_timestamp_field()
    finished_at: datetime | None = optional_timestamp_field()
