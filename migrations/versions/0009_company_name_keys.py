"""Company name keys: every spelling of a company's name and aliases, for name matching.

Revision ID: 0009
Revises: 0007
Create Date: 2026-11-24 01:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from compound.platform.records.companies import refill_name_keys

revision: str = "0009"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "company",
        sa.Column("name_keys", postgresql.ARRAY(sa.Text()), server_default="{}", nullable=False),
    )
    # The companies already there get their keys the way the service computes them.
    refill_name_keys(op.get_bind())
    op.create_index(
        "ix_company_name_keys", "company", ["name_keys"], unique=False, postgresql_using="gin"
    )


def downgrade() -> None:
    op.drop_index("ix_company_name_keys", table_name="company", postgresql_using="gin")
    op.drop_column("company", "name_keys")
