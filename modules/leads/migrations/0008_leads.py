"""Leads: the pipeline (one lead per company) and the ideal customer profile.

Revision ID: 0008
Revises: (the leads branch's base; depends on 0007)
Create Date: 2026-11-24 01:05:11.672337
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0008"
# The root of the leads branch: its own base, run after the substrate revision whose tables
# (company, user, message) it refers to.
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = ("leads",)
depends_on: str | Sequence[str] | None = "0007"


def upgrade() -> None:
    op.create_table(
        "ideal_customer_profile",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("description", sa.Text(), server_default="", nullable=False),
        sa.Column("sectors", postgresql.ARRAY(sa.Text()), server_default="{}", nullable=False),
        sa.Column("stages", postgresql.ARRAY(sa.Text()), server_default="{}", nullable=False),
        sa.Column("regions", postgresql.ARRAY(sa.Text()), server_default="{}", nullable=False),
        sa.Column("keywords", postgresql.ARRAY(sa.Text()), server_default="{}", nullable=False),
        sa.Column("threshold", sa.Integer(), server_default="60", nullable=False),
        sa.Column("updated_by", sa.String(length=300), nullable=True),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("id = 1", name=op.f("ck_ideal_customer_profile_single_row")),
        sa.CheckConstraint(
            "threshold BETWEEN 0 AND 100", name=op.f("ck_ideal_customer_profile_threshold_range")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ideal_customer_profile")),
    )
    op.create_table(
        "lead",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("company_id", sa.UUID(), nullable=False),
        sa.Column("status", sa.String(length=16), server_default="new", nullable=False),
        sa.Column("score", sa.Integer(), server_default="0", nullable=False),
        sa.Column("rationale", sa.Text(), server_default="", nullable=False),
        sa.Column("source_message_id", sa.UUID(), nullable=True),
        sa.Column("owner_user_id", sa.UUID(), nullable=True),
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
        sa.CheckConstraint(
            "status IN ('new', 'researching', 'qualified', 'disqualified', 'contacted', 'engaged', 'won', 'lost')",
            name=op.f("ck_lead_status_known"),
        ),
        sa.CheckConstraint("score BETWEEN 0 AND 100", name=op.f("ck_lead_score_range")),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["company.id"],
            name=op.f("fk_lead_company_id_company"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["owner_user_id"],
            ["user.id"],
            name=op.f("fk_lead_owner_user_id_user"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["source_message_id"],
            ["message.id"],
            name=op.f("fk_lead_source_message_id_message"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lead")),
    )
    op.create_index("ix_lead_created_at_id", "lead", ["created_at", "id"], unique=False)
    op.create_index(op.f("ix_lead_owner_user_id"), "lead", ["owner_user_id"], unique=False)
    op.create_index("ix_lead_score_id", "lead", ["score", "id"], unique=False)
    op.create_index("ix_lead_status", "lead", ["status"], unique=False)
    op.create_index("ix_lead_updated_at_id", "lead", ["updated_at", "id"], unique=False)
    op.create_index("uq_lead_company", "lead", ["company_id"], unique=True)


def downgrade() -> None:
    op.drop_index("uq_lead_company", table_name="lead")
    op.drop_index("ix_lead_updated_at_id", table_name="lead")
    op.drop_index("ix_lead_status", table_name="lead")
    op.drop_index("ix_lead_score_id", table_name="lead")
    op.drop_index(op.f("ix_lead_owner_user_id"), table_name="lead")
    op.drop_index("ix_lead_created_at_id", table_name="lead")
    op.drop_table("lead")
    op.drop_table("ideal_customer_profile")
