"""SQLModel tables of the shared records: companies, people, notes, tasks, timeline, audit."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    Column,
    Float,
    ForeignKey,
    Index,
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

COMPANY_NAME_MAX = 200
PERSON_NAME_MAX = 200
TITLE_MAX = 200
TASK_TITLE_MAX = 300
DESCRIPTION_MAX = 10_000
NOTE_BODY_MAX = 100_000
ALIAS_MAX = 200


def _hnsw_cosine(table: str) -> Index:
    return Index(
        f"ix_{table}_embedding_hnsw",
        "embedding",
        postgresql_using="hnsw",
        postgresql_with={"m": 16, "ef_construction": 64},
        postgresql_ops={"embedding": "vector_cosine_ops"},
    )


def _foreign_key(target: str, *, on_delete: str, nullable: bool = True, index: bool = True) -> Any:
    return Field(
        default=None,
        sa_column=Column(
            PG_UUID(as_uuid=True),
            ForeignKey(target, ondelete=on_delete),
            nullable=nullable,
            index=index,
        ),
    )


class Company(SQLModel, table=True):
    __tablename__ = "company"
    __table_args__ = (
        # Unique only when present: many companies are known before their website is.
        Index(
            "uq_company_domain",
            "domain",
            unique=True,
            postgresql_where=text("domain IS NOT NULL"),
        ),
        Index("ix_company_name_id", "name", "id"),
        Index("ix_company_created_at_id", "created_at", "id"),
        Index("ix_company_lower_name", text("lower(name)")),
        # Name matching (normalize.company_name_key of the name and each alias).
        Index("ix_company_name_keys", "name_keys", postgresql_using="gin"),
        # What the embedding backfill looks for (platform/records/embedding_backfill.py).
        Index(
            "ix_company_embedding_missing",
            "created_at",
            postgresql_where=text("embedding IS NULL"),
        ),
        CheckConstraint("char_length(name) BETWEEN 1 AND 200", name="name_length"),
        _hnsw_cosine("company"),
    )

    id: uuid.UUID = id_field()
    name: str = Field(sa_column=Column(String(COMPANY_NAME_MAX), nullable=False))
    domain: str | None = Field(default=None, sa_column=Column(String(253), nullable=True))
    aliases: list[str] = Field(
        default_factory=list,
        sa_column=Column(ARRAY(Text), nullable=False, server_default="{}"),
    )
    description: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    # Derived from name and aliases by the company service; how a name finds its company.
    name_keys: list[str] = Field(
        default_factory=list,
        sa_column=Column(ARRAY(Text), nullable=False, server_default="{}"),
    )
    embedding: list[float] | None = embedding_field()
    created_at: datetime = created_at_field()
    updated_at: datetime = updated_at_field()


class Person(SQLModel, table=True):
    __tablename__ = "person"
    __table_args__ = (
        Index("ix_person_name_id", "name", "id"),
        Index("ix_person_created_at_id", "created_at", "id"),
        Index(
            "ix_person_embedding_missing",
            "created_at",
            postgresql_where=text("embedding IS NULL"),
        ),
        CheckConstraint("char_length(name) BETWEEN 1 AND 200", name="name_length"),
        _hnsw_cosine("person"),
    )

    id: uuid.UUID = id_field()
    name: str = Field(sa_column=Column(String(PERSON_NAME_MAX), nullable=False))
    title: str | None = Field(default=None, sa_column=Column(String(TITLE_MAX), nullable=True))
    company_id: uuid.UUID | None = _foreign_key("company.id", on_delete="SET NULL")
    embedding: list[float] | None = embedding_field()
    created_at: datetime = created_at_field()
    updated_at: datetime = updated_at_field()


class PersonEmail(SQLModel, table=True):
    """One normalized address; the primary key makes an address belong to one person only."""

    __tablename__ = "person_email"

    email: str = Field(sa_column=Column(String(254), primary_key=True))
    person_id: uuid.UUID = _foreign_key("person.id", on_delete="CASCADE", nullable=False)
    position: int = Field(default=0, nullable=False)


class Note(SQLModel, table=True):
    __tablename__ = "note"
    __table_args__ = (
        CheckConstraint(
            "company_id IS NOT NULL OR person_id IS NOT NULL", name="attached_to_a_record"
        ),
        _hnsw_cosine("note"),
    )

    id: uuid.UUID = id_field()
    body: str = Field(sa_column=Column(Text, nullable=False))
    company_id: uuid.UUID | None = _foreign_key("company.id", on_delete="CASCADE")
    person_id: uuid.UUID | None = _foreign_key("person.id", on_delete="CASCADE")
    author_user_id: uuid.UUID | None = _foreign_key("user.id", on_delete="SET NULL", index=False)
    embedding: list[float] | None = embedding_field()
    created_at: datetime = created_at_field()
    updated_at: datetime = updated_at_field()


class TaskStatus(StrEnum):
    OPEN = "open"
    DONE = "done"
    CANCELLED = "cancelled"


class Task(SQLModel, table=True):
    __tablename__ = "task"
    __table_args__ = (
        CheckConstraint("status IN ('open', 'done', 'cancelled')", name="status_known"),
    )

    id: uuid.UUID = id_field()
    title: str = Field(sa_column=Column(String(TASK_TITLE_MAX), nullable=False))
    due_date: date | None = Field(default=None, nullable=True)
    status: str = Field(
        default=TaskStatus.OPEN.value,
        sa_column=Column(String(16), nullable=False, server_default="open"),
    )
    assignee_user_id: uuid.UUID | None = _foreign_key("user.id", on_delete="SET NULL")
    # Agents are not users: an agent assignee is named, e.g. "leads.researcher".
    assignee_agent: str | None = Field(default=None, sa_column=Column(String(100), nullable=True))
    company_id: uuid.UUID | None = _foreign_key("company.id", on_delete="SET NULL")
    person_id: uuid.UUID | None = _foreign_key("person.id", on_delete="SET NULL")
    completed_at: datetime | None = optional_timestamp_field()
    created_at: datetime = created_at_field()
    updated_at: datetime = updated_at_field()


class Activity(SQLModel, table=True):
    """An append-only timeline entry; company_id/person_id place it on those timelines."""

    __tablename__ = "activity"
    __table_args__ = (
        Index("ix_activity_company_occurred", "company_id", "occurred_at"),
        Index("ix_activity_person_occurred", "person_id", "occurred_at"),
        Index("ix_activity_subject", "subject_type", "subject_id"),
    )

    id: uuid.UUID = id_field()
    occurred_at: datetime = created_at_field()
    kind: str = Field(sa_column=Column(String(64), nullable=False))
    summary: str = Field(sa_column=Column(Text, nullable=False))
    subject_type: str = Field(sa_column=Column(String(32), nullable=False))
    subject_id: uuid.UUID = Field(sa_column=Column(PG_UUID(as_uuid=True), nullable=False))
    # Not foreign keys: the timeline outlives the records it speaks of.
    company_id: uuid.UUID | None = Field(
        default=None, sa_column=Column(PG_UUID(as_uuid=True), nullable=True)
    )
    person_id: uuid.UUID | None = Field(
        default=None, sa_column=Column(PG_UUID(as_uuid=True), nullable=True)
    )
    actor: str = Field(sa_column=Column(String(200), nullable=False))
    data: dict[str, Any] = Field(
        default_factory=dict,
        sa_column=Column(JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    )


class AuditEvent(SQLModel, table=True):
    """Who changed what, with the values before and after; append-only."""

    __tablename__ = "audit_event"
    __table_args__ = (
        Index("ix_audit_event_subject", "subject_type", "subject_id"),
        Index("ix_audit_event_occurred_at", "occurred_at"),
    )

    id: uuid.UUID = id_field()
    occurred_at: datetime = created_at_field()
    action: str = Field(sa_column=Column(String(64), nullable=False))
    subject_type: str = Field(sa_column=Column(String(32), nullable=False))
    subject_id: uuid.UUID = Field(sa_column=Column(PG_UUID(as_uuid=True), nullable=False))
    actor_user_id: uuid.UUID | None = Field(
        default=None, sa_column=Column(PG_UUID(as_uuid=True), nullable=True)
    )
    actor_token_id: uuid.UUID | None = Field(
        default=None, sa_column=Column(PG_UUID(as_uuid=True), nullable=True)
    )
    actor_label: str = Field(sa_column=Column(String(200), nullable=False))
    before: dict[str, Any] | None = Field(default=None, sa_column=Column(JSONB, nullable=True))
    after: dict[str, Any] | None = Field(default=None, sa_column=Column(JSONB, nullable=True))


class RecordProvenance(SQLModel, table=True):
    """What an agent wrote and on what grounds: its run, tool, cited source and confidence.

    One row per created or deleted record (`field` is null) and per changed field, with
    the values before and after, so a run's writes can be shown and undone.
    """

    __tablename__ = "record_provenance"
    __table_args__ = (
        Index("ix_record_provenance_subject", "subject_type", "subject_id"),
        Index("ix_record_provenance_run_id", "run_id"),
        CheckConstraint(
            "confidence IS NULL OR (confidence >= 0 AND confidence <= 1)",
            name="confidence_range",
        ),
    )

    id: uuid.UUID = id_field()
    created_at: datetime = created_at_field()
    action: str = Field(sa_column=Column(String(64), nullable=False))
    subject_type: str = Field(sa_column=Column(String(32), nullable=False))
    subject_id: uuid.UUID = Field(sa_column=Column(PG_UUID(as_uuid=True), nullable=False))
    field: str | None = Field(default=None, sa_column=Column(String(64), nullable=True))
    # Not a foreign key: the platform knows nothing of agent runs, and provenance is history.
    run_id: uuid.UUID = Field(sa_column=Column(PG_UUID(as_uuid=True), nullable=False))
    agent: str = Field(sa_column=Column(String(100), nullable=False))
    tool: str | None = Field(default=None, sa_column=Column(String(100), nullable=True))
    source: dict[str, Any] = Field(
        default_factory=dict,
        sa_column=Column(JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    )
    confidence: float | None = Field(default=None, sa_column=Column(Float, nullable=True))
    value_before: Any = Field(default=None, sa_column=Column(JSONB, nullable=True))
    value_after: Any = Field(default=None, sa_column=Column(JSONB, nullable=True))
    undone_at: datetime | None = optional_timestamp_field()
    """When an undo of the run reverted this write; null while it stands."""
