"""Leads: the batch ledger of an imported list (one row per import run), and the thread of a
lead's first outreach email.

Revision ID: 0011
Revises: 0008
Create Date: 2026-12-02 11:25:03.760562
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0011"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "lead_import",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("state", sa.String(length=16), server_default="extracting", nullable=False),
        sa.Column("title", sa.String(length=300), server_default="", nullable=False),
        sa.Column("message_id", sa.UUID(), nullable=True),
        sa.Column("requested_by", sa.String(length=320), nullable=False),
        sa.Column("requester_user_id", sa.UUID(), nullable=True),
        sa.Column("found", sa.Integer(), server_default="0", nullable=False),
        sa.Column("skipped", sa.Integer(), server_default="0", nullable=False),
        sa.Column("to_research", sa.Integer(), server_default="0", nullable=False),
        sa.Column("researched", sa.Integer(), server_default="0", nullable=False),
        sa.Column("added", sa.Integer(), server_default="0", nullable=False),
        sa.Column("known", sa.Integer(), server_default="0", nullable=False),
        sa.Column("need_you", sa.Integer(), server_default="0", nullable=False),
        sa.Column("failed", sa.Integer(), server_default="0", nullable=False),
        sa.Column("summary", sa.Text(), server_default="", nullable=False),
        sa.Column(
            "lines", postgresql.JSONB(astext_type=sa.Text()), server_default="[]", nullable=False
        ),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "source IN ('email', 'text', 'csv')", name=op.f("ck_lead_import_source_known")
        ),
        sa.CheckConstraint(
            "state IN ('extracting', 'researching', 'done', 'failed')",
            name=op.f("ck_lead_import_state_known"),
        ),
        sa.ForeignKeyConstraint(
            ["id"], ["agent_run.id"], name=op.f("fk_lead_import_id_agent_run"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["message.id"],
            name=op.f("fk_lead_import_message_id_message"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["requester_user_id"],
            ["user.id"],
            name=op.f("fk_lead_import_requester_user_id_user"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lead_import")),
    )
    op.create_index(
        "ix_lead_import_created_at_id", "lead_import", ["created_at", "id"], unique=False
    )
    op.add_column("lead", sa.Column("outreach_conversation_id", sa.UUID(), nullable=True))
    op.create_index(op.f("ix_lead_outreach_conversation_id"), "lead", ["outreach_conversation_id"])
    op.create_foreign_key(
        op.f("fk_lead_outreach_conversation_id_conversation"),
        "lead",
        "conversation",
        ["outreach_conversation_id"],
        ["id"],
        ondelete="SET NULL",
    )


def downgrade() -> None:
    op.drop_constraint(
        op.f("fk_lead_outreach_conversation_id_conversation"), "lead", type_="foreignkey"
    )
    op.drop_index(op.f("ix_lead_outreach_conversation_id"), table_name="lead")
    op.drop_column("lead", "outreach_conversation_id")
    op.drop_index("ix_lead_import_created_at_id", table_name="lead_import")
    op.drop_table("lead_import")
