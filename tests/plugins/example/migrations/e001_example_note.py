"""The example module's table, on a branch of its own.

Revision ID: e001
Revises: (the example branch's base; depends on the substrate's 0015)
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "e001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = ("example",)
depends_on: str | Sequence[str] | None = "0015"


def upgrade() -> None:
    op.create_table(
        "example_note",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_example_note")),
    )


def downgrade() -> None:
    op.drop_table("example_note")
