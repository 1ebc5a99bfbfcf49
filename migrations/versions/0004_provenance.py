"""Provenance of agent writes (record_provenance) and when a run was undone.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24 10:12:31.508114
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "record_provenance",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("subject_type", sa.String(length=32), nullable=False),
        sa.Column("subject_id", sa.UUID(), nullable=False),
        sa.Column("field", sa.String(length=64), nullable=True),
        sa.Column("run_id", sa.UUID(), nullable=False),
        sa.Column("agent", sa.String(length=100), nullable=False),
        sa.Column("tool", sa.String(length=100), nullable=True),
        sa.Column(
            "source",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column("confidence", sa.Float(), nullable=True),
        sa.Column("value_before", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("value_after", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("undone_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "confidence IS NULL OR (confidence >= 0 AND confidence <= 1)",
            name=op.f("ck_record_provenance_confidence_range"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_record_provenance")),
    )
    op.create_index("ix_record_provenance_run_id", "record_provenance", ["run_id"], unique=False)
    op.create_index(
        "ix_record_provenance_subject",
        "record_provenance",
        ["subject_type", "subject_id"],
        unique=False,
    )
    op.add_column("agent_run", sa.Column("undone_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    op.drop_column("agent_run", "undone_at")
    op.drop_index("ix_record_provenance_subject", table_name="record_provenance")
    op.drop_index("ix_record_provenance_run_id", table_name="record_provenance")
    op.drop_table("record_provenance")
