"""Alembic owns the schema: migrations match the models, go down and up, and gate startup."""

from __future__ import annotations

import psycopg
import pytest

from compound.platform import migrations
from compound.platform.database import Database, ensure_schema_current, head_revision
from compound.platform.embedded_postgres import libpq_url, start_embedded_postgres
from compound.platform.errors import DatabaseNotReady
from tests.conftest import EmbeddedServer


def test_models_and_migrations_agree(database_url: str) -> None:
    # alembic check: autogenerate finds nothing the migrations have not done.
    migrations.check(database_url)


def test_downgrade_to_base_and_upgrade_again(embedded_server: EmbeddedServer) -> None:
    url = embedded_server.database_url("compound_roundtrip")
    migrations.downgrade(url, "base")
    with psycopg.connect(libpq_url(url)) as connection:
        tables = connection.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public' AND table_name <> 'alembic_version'"
        ).fetchone()
    assert tables == (0,)
    migrations.upgrade(url)
    migrations.check(url)


async def test_startup_refuses_an_unmigrated_database(embedded_server: EmbeddedServer) -> None:
    url = start_embedded_postgres(embedded_server.data_dir / "pgdata", database="compound_empty")
    database = Database.connect(url, pool_size=1)
    try:
        with pytest.raises(DatabaseNotReady, match="run `compound db upgrade`") as raised:
            await ensure_schema_current(database)
        assert f"needs {head_revision()}" in raised.value.message
    finally:
        await database.dispose()


async def test_unreachable_database_is_a_clear_error() -> None:
    database = Database.connect("postgresql+psycopg://nobody@127.0.0.1:1/none", pool_size=1)
    try:
        with pytest.raises(DatabaseNotReady, match="cannot reach the database"):
            await ensure_schema_current(database)
    finally:
        await database.dispose()


def test_companies_already_stored_get_their_name_keys(embedded_server: EmbeddedServer) -> None:
    url = embedded_server.database_url("compound_name_keys")
    migrations.downgrade(url, "0008")
    with psycopg.connect(libpq_url(url), autocommit=True) as connection:
        connection.execute(
            "INSERT INTO company (id, name, aliases) VALUES "
            "(gen_random_uuid(), 'Kestrel Systems GmbH', ARRAY['Kestrel AI']), "
            "(gen_random_uuid(), 'The Bloom Co.', '{}')"
        )
    migrations.upgrade(url)
    with psycopg.connect(libpq_url(url)) as connection:
        keys = dict(connection.execute("SELECT name, name_keys FROM company").fetchall())
    assert keys == {
        "Kestrel Systems GmbH": ["kestrel", "kestrelsystems"],
        "The Bloom Co.": ["bloom"],
    }
