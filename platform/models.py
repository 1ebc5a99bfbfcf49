"""Building blocks every SQLModel table in Compound shares: ids, timestamps, the metadata."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pgvector.sqlalchemy import Vector
from sqlalchemy import Column, DateTime, MetaData, func
from sqlmodel import Field, SQLModel

from compound.platform.clock import utcnow

EMBEDDING_DIMENSIONS = 384

# Stable constraint names, so Alembic migrations can refer to them.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
metadata: MetaData = SQLModel.metadata


def new_id() -> uuid.UUID:
    return uuid.uuid4()


def id_field() -> Any:
    return Field(default_factory=new_id, primary_key=True)


def created_at_field() -> Any:
    return Field(
        default_factory=utcnow,
        sa_column=Column(DateTime(timezone=True), nullable=False, server_default=func.now()),
    )


def updated_at_field() -> Any:
    return Field(
        default_factory=utcnow,
        sa_column=Column(DateTime(timezone=True), nullable=False, server_default=func.now()),
    )


def optional_timestamp_field() -> Any:
    return Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=True))


def embedding_field() -> Any:
    return Field(default=None, sa_column=Column(Vector(EMBEDDING_DIMENSIONS), nullable=True))


__all__ = [
    "EMBEDDING_DIMENSIONS",
    "SQLModel",
    "created_at_field",
    "datetime",
    "embedding_field",
    "id_field",
    "metadata",
    "new_id",
    "optional_timestamp_field",
    "updated_at_field",
]
