"""Alembic environment: runs migrations on Compound's database (embedded unless a URL is set)."""

from __future__ import annotations

from typing import Any

from alembic import context
from sqlalchemy import create_engine, pool

from compound.platform.config import get_settings
from compound.platform.database import resolve_database_url
from compound.web.tables import metadata

config = context.config


def _include_object(
    obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
) -> bool:
    # pgvector's own objects and Alembic's bookkeeping are not ours to compare.
    return not (type_ == "table" and name == "alembic_version")


def run_migrations_online() -> None:
    url = config.attributes.get("url") or resolve_database_url(get_settings())
    engine = create_engine(url, poolclass=pool.NullPool)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=metadata,
            include_object=_include_object,
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline (SQL script) migrations are not supported; run `compound db upgrade`")
run_migrations_online()
