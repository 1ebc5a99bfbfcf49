"""Index message.in_reply_to: threading looks up the replies that arrived before their original.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-24 01:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_message_in_reply_to",
        "message",
        ["in_reply_to"],
        unique=False,
        postgresql_where=sa.text("in_reply_to IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index(
        "ix_message_in_reply_to",
        table_name="message",
        postgresql_where=sa.text("in_reply_to IS NOT NULL"),
    )
