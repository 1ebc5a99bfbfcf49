"""Recompute company name keys: dotted legal forms (S.p.A., B.V., A/S), more legal forms
(Pvt, Pte, OÜ, DAC, Lda…) and letters NFKD keeps whole (ø, æ, ł) now fold.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-24 01:40:00
"""

from collections.abc import Sequence

from alembic import op

from compound.platform.records.companies import refill_name_keys

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    refill_name_keys(op.get_bind())


def downgrade() -> None:
    # Keys from newer rules still find every company the older rules did.
    pass
