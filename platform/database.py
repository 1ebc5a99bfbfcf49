"""Engines and units of work: one async engine per process, sessions opened by the edges."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from compound.platform.config import Settings
from compound.platform.embedded_postgres import start_embedded_postgres
from compound.platform.errors import DatabaseNotReady

# The exceptions that mean "the database is not there right now", not "this input is bad":
# an edge answers them with "try again later" (SMTP 451, HTTP 503).
DATABASE_UNAVAILABLE: tuple[type[BaseException], ...] = (
    OperationalError,
    InterfaceError,
    PoolTimeout,
    DatabaseNotReady,
    OSError,  # refused connections, and the TimeoutError of a store that took too long
)


def resolve_database_url(settings: Settings) -> str:
    """The external URL when set; otherwise start the embedded Postgres and return its URL.

    The resolved URL is exported to the environment so that child processes (web
    workers) connect to the same server instead of each starting their own.
    """
    if settings.database_url:
        return settings.database_url.get_secret_value()
    url = start_embedded_postgres(settings.pgdata_dir)
    os.environ["COMPOUND_DATABASE_URL"] = url
    return url


class Database:
    """An engine and its session factory; `session()` is a unit of work for one edge."""

    def __init__(self, engine: AsyncEngine, sessionmaker: async_sessionmaker[AsyncSession]):
        self.engine = engine
        self.sessionmaker = sessionmaker

    @classmethod
    def connect(cls, url: str, *, pool_size: int = 10) -> Database:
        engine = create_async_engine(
            url,
            pool_size=pool_size,
            max_overflow=pool_size,
            # No pre-ping: it costs a round trip per checkout; a connection broken by a
            # database restart fails one request and is replaced.
            pool_pre_ping=False,
        )
        return cls(engine, async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False))

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """Commit when the block ends normally, roll back when it raises."""
        async with self.sessionmaker() as session:
            try:
                yield session
                await session.commit()
            except BaseException:
                await session.rollback()
                raise

    async def dispose(self) -> None:
        await self.engine.dispose()


async def ensure_schema_current(database: Database, settings: Settings | None = None) -> None:
    """Refuse to serve from a database that is unreachable or not at the code's migrations
    (the substrate's head and each installed module's)."""
    # Alembic is imported only by what checks or runs migrations, not by every session.
    from compound.platform.migrations import applied_heads, describe_heads, head_revisions

    try:
        async with database.engine.connect() as connection:
            has_table = await connection.scalar(
                text("SELECT to_regclass('public.alembic_version') IS NOT NULL")
            )
            rows = (
                await connection.scalars(text("SELECT version_num FROM alembic_version"))
                if has_table
                else None
            )
            rows_read = frozenset(rows or ())
    except (OperationalError, DBAPIError) as error:
        raise DatabaseNotReady(f"cannot reach the database: {error.orig}") from error
    expected = head_revisions(settings)
    current = applied_heads(rows_read, settings)
    if current != expected:
        raise DatabaseNotReady(
            f"the database is at migration {describe_heads(current)}, the code needs "
            f"{describe_heads(expected)}: "
            "run `compound db upgrade`"
        )
