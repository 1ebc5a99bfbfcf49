"""Messages get an embedding (filled by the background sweep) so the site search finds
mail by meaning; an HNSW index to search it and a partial index for the sweep.

Messages stored before this revision are embedded by the next sweep, which runs whenever
mail is processed (platform/records/embedding_backfill.py).

Revision ID: 0014
Revises: 0012
Create Date: 2026-12-03 10:00:00
"""

from collections.abc import Sequence

import pgvector.sqlalchemy
import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "message",
        sa.Column("embedding", pgvector.sqlalchemy.vector.VECTOR(dim=384), nullable=True),
    )
    op.create_index(
        "ix_message_embedding_hnsw",
        "message",
        ["embedding"],
        unique=False,
        postgresql_using="hnsw",
        postgresql_with={"m": 16, "ef_construction": 64},
        postgresql_ops={"embedding": "vector_cosine_ops"},
    )
    op.create_index(
        "ix_message_embedding_missing",
        "message",
        ["received_at"],
        unique=False,
        postgresql_where=sa.text("embedding IS NULL AND state = 'processed'"),
    )


def downgrade() -> None:
    op.drop_index(
        "ix_message_embedding_missing",
        table_name="message",
        postgresql_where=sa.text("embedding IS NULL AND state = 'processed'"),
    )
    op.drop_index(
        "ix_message_embedding_hnsw",
        table_name="message",
        postgresql_using="hnsw",
        postgresql_with={"m": 16, "ef_construction": 64},
        postgresql_ops={"embedding": "vector_cosine_ops"},
    )
    op.drop_column("message", "embedding")
