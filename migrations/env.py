"""Alembic environment: runs migrations on Compound's database (embedded unless a URL is set)."""

from __future__ import annotations

from typing import Any

from alembic import context
from sqlalchemy import create_engine, pool

from compound.agents.inbox import models as inbox_models
from compound.agents.runtime import models as runtime_models
from compound.platform.auth import models as auth_models
from compound.platform.config import Settings, get_settings
from compound.platform.database import resolve_database_url
from compound.platform.email import models as email_models
from compound.platform.llm import models as llm_models
from compound.platform.models import metadata
from compound.platform.modules import table_modules
from compound.platform.queue import models as queue_models
from compound.platform.records import models as record_models

SUBSTRATE_TABLES = (
    auth_models,
    queue_models,
    record_models,
    llm_models,
    runtime_models,
    inbox_models,
    email_models,
)
"""The substrate's tables; each installed module adds its own (its manifest's `tables`)."""

config = context.config


def _include_object(
    obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
) -> bool:
    # pgvector's own objects and Alembic's bookkeeping are not ours to compare.
    return not (type_ == "table" and name == "alembic_version")


def run_migrations_online() -> None:
    settings: Settings = config.attributes.get("settings") or get_settings()
    # Loading the installed modules imports their table modules, which registers their
    # tables in the shared metadata beside the substrate's (SUBSTRATE_TABLES, imported above).
    table_modules(settings)
    url = config.attributes.get("url") or resolve_database_url(settings)
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
