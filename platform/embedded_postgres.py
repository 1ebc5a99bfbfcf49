"""The private Postgres with pgvector (from pgserver) that Compound runs when no URL is set."""

from __future__ import annotations

import logging
import warnings
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

DATABASE_NAME = "compound"
_servers: dict[Path, Any] = {}


def start_embedded_postgres(
    pgdata: Path, *, database: str = DATABASE_NAME, delete_on_exit: bool = False
) -> str:
    """Start (or attach to) the embedded server in `pgdata`; return a SQLAlchemy URL for `database`.

    pgserver counts the processes attached to one data folder and stops the server when
    the last of them exits, so `compound up`, a CLI command and the tests can share it.
    """
    with warnings.catch_warnings():
        # platformdirs warns about XDG_RUNTIME_DIR on servers; pgserver copes without it.
        warnings.simplefilter("ignore", UserWarning)
        import pgserver  # only needed when no external database is set

    pgdata = pgdata.resolve()
    pgdata.mkdir(parents=True, exist_ok=True)
    # pgserver logs every step at INFO; people only need to hear about failures.
    logging.getLogger("pgserver").setLevel(logging.WARNING)
    server = _servers.get(pgdata)
    if server is None:
        server = pgserver.get_server(  # type: ignore[attr-defined]
            pgdata, cleanup_mode="delete" if delete_on_exit else "stop"
        )
        _servers[pgdata] = server
    admin_uri: str = server.get_uri()
    ensure_database(admin_uri, database)
    # get_uri() looks like postgresql://postgres:@/postgres?host=/socket/dir
    base, query = admin_uri.split("?", 1)
    user_part = base.split("://", 1)[1].split("@", 1)[0].rstrip(":")
    return f"postgresql+psycopg://{user_part}@/{database}?{query}"


def ensure_database(admin_uri: str, database: str) -> None:
    """Create `database` on the server behind `admin_uri` unless it exists."""
    with psycopg.connect(admin_uri, autocommit=True) as connection:
        exists = connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", (database,)
        ).fetchone()
        if exists is None:
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))


def libpq_url(sqlalchemy_url: str) -> str:
    """`postgresql+psycopg://…` → `postgresql://…`, for psycopg and psql."""
    return sqlalchemy_url.replace("postgresql+psycopg://", "postgresql://", 1)
