"""Leads: the ledger's one line is computed from its counts when read (summary_line), not
stored beside them.

Revision ID: 0013
Revises: 0011
Create Date: 2026-12-02 13:39:29.757972
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_column("lead_import", "summary")


def downgrade() -> None:
    op.add_column(
        "lead_import",
        sa.Column(
            "summary",
            sa.TEXT(),
            server_default=sa.text("''::text"),
            autoincrement=False,
            nullable=False,
        ),
    )
