"""Who may speak for a colleague: a message keeps the account that submitted it (SMTP AUTH)
and the authserv-id whose Authentication-Results it may carry; an ingest token names the
mail provider whose header it vouches for.

Messages stored before this revision have neither: reprocessed, they believe no header
and count no submission (their earlier verdicts, made under the old rules, stay until then).
HTTP-ingested mail is no longer marked as having come through a trusted relay: a token
alone is not one.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 15:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "message",
        sa.Column("submitter_user_id", postgresql.UUID(as_uuid=True), nullable=True),
    )
    op.create_foreign_key(
        "message_submitter_user_id_fkey",
        "message",
        "user",
        ["submitter_user_id"],
        ["id"],
        ondelete="SET NULL",
    )
    op.add_column("message", sa.Column("trusted_authserv_id", sa.String(length=255), nullable=True))
    op.execute("UPDATE message SET via_trusted_relay = false WHERE channel = 'http'")
    op.add_column("api_token", sa.Column("mail_provider", sa.String(length=255), nullable=True))


def downgrade() -> None:
    op.drop_column("api_token", "mail_provider")
    op.drop_column("message", "trusted_authserv_id")
    op.drop_constraint("message_submitter_user_id_fkey", "message", type_="foreignkey")
    op.drop_column("message", "submitter_user_id")
