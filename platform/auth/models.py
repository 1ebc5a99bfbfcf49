"""SQLModel tables for people who sign in and the API tokens they hold (hashes only)."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, Column, DateTime, ForeignKey, String, Text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import UUID as PG_UUID
from sqlmodel import Field, SQLModel

from compound.platform.models import created_at_field, id_field, optional_timestamp_field


class Role(StrEnum):
    ADMIN = "admin"
    MEMBER = "member"
    VIEWER = "viewer"


class Scope(StrEnum):
    READ = "read"
    WRITE = "write"
    INGEST = "ingest"


class User(SQLModel, table=True):
    __tablename__ = "user"
    __table_args__ = (CheckConstraint("role IN ('admin', 'member', 'viewer')", name="role_known"),)

    id: uuid.UUID = id_field()
    email: str = Field(sa_column=Column(String(254), nullable=False, unique=True))
    name: str = Field(sa_column=Column(String(200), nullable=False))
    role: str = Field(sa_column=Column(String(16), nullable=False))
    password_hash: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    is_active: bool = Field(default=True, nullable=False)
    created_at: datetime = created_at_field()


class ApiToken(SQLModel, table=True):
    """A bearer token; only the SHA-256 of the secret is kept, the secret is shown once."""

    __tablename__ = "api_token"

    id: uuid.UUID = id_field()
    user_id: uuid.UUID = Field(
        sa_column=Column(
            PG_UUID(as_uuid=True),
            ForeignKey("user.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        )
    )
    name: str = Field(sa_column=Column(String(200), nullable=False))
    token_hash: str = Field(sa_column=Column(String(64), nullable=False, unique=True))
    # The first characters of the secret, so a person can tell their tokens apart.
    prefix: str = Field(sa_column=Column(String(16), nullable=False))
    scopes: list[str] = Field(sa_column=Column(ARRAY(String(16)), nullable=False))
    mail_provider: str | None = Field(default=None, sa_column=Column(String(255), nullable=True))
    """For an ingest token held by a mail provider: the authserv-id of the provider's own
    Authentication-Results header, the one header of mail it posts that is believed."""
    created_at: datetime = created_at_field()
    last_used_at: datetime | None = optional_timestamp_field()
    expires_at: datetime | None = optional_timestamp_field()
    revoked_at: datetime | None = optional_timestamp_field()


class WebSession(SQLModel, table=True):
    """A signed-in browser: only the SHA-256 of the cookie's secret is kept."""

    __tablename__ = "web_session"

    token_hash: str = Field(sa_column=Column(String(64), primary_key=True))
    user_id: uuid.UUID = Field(
        sa_column=Column(
            PG_UUID(as_uuid=True),
            ForeignKey("user.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        )
    )
    csrf_token: str = Field(sa_column=Column(String(64), nullable=False))
    """Sent back with every form: a page from another site cannot know it."""
    created_at: datetime = created_at_field()
    last_seen_at: datetime = created_at_field()
    expires_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class SignInFailures(SQLModel, table=True):
    """Failed sign-ins per email address (known or not), for the lock-out."""

    __tablename__ = "sign_in_failures"

    email: str = Field(sa_column=Column(String(254), primary_key=True))
    failures: int = Field(default=0, nullable=False)
    locked_until: datetime | None = optional_timestamp_field()
    updated_at: datetime = created_at_field()
