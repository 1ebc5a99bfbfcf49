"""Partial indexes for the embedding backfill: companies and people still without one.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-24 00:15:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_company_embedding_missing",
        "company",
        ["created_at"],
        unique=False,
        postgresql_where=sa.text("embedding IS NULL"),
    )
    op.create_index(
        "ix_person_embedding_missing",
        "person",
        ["created_at"],
        unique=False,
        postgresql_where=sa.text("embedding IS NULL"),
    )


def downgrade() -> None:
    op.drop_index(
        "ix_person_embedding_missing",
        table_name="person",
        postgresql_where=sa.text("embedding IS NULL"),
    )
    op.drop_index(
        "ix_company_embedding_missing",
        table_name="company",
        postgresql_where=sa.text("embedding IS NULL"),
    )
