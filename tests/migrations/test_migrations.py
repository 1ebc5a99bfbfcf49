"""Alembic owns the schema: migrations match the models, go down and up, and gate startup."""

from __future__ import annotations

import psycopg
import pytest

from compound.platform import migrations
from compound.platform.database import Database, ensure_schema_current
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
        needed = migrations.describe_heads(migrations.head_revisions())
        assert f"the code needs {needed}" in raised.value.message
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
    migrations.downgrade(url, "substrate@0007")
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


def test_each_module_is_a_branch_of_its_own_on_the_substrate(database_url: str) -> None:
    # One row per branch head: the substrate's and the leads module's.
    assert migrations.current_revisions(database_url) == migrations.head_revisions()
    assert migrations.head_revisions() == {"0015", "0013"}


def test_a_database_migrated_as_one_chain_upgrades_without_change(
    embedded_server: EmbeddedServer,
) -> None:
    # Before modules had branches, 0008, 0011 and 0013 (the leads tables) sat in the one
    # chain and alembic_version held a single row. Such a database must be recognised,
    # not migrated again (0008 would fail on its existing tables).
    url = embedded_server.database_url("compound_legacy_chain")
    with psycopg.connect(libpq_url(url), autocommit=True) as connection:
        connection.execute("DELETE FROM alembic_version")
        connection.execute("INSERT INTO alembic_version VALUES ('0015')")
        connection.execute("COMMENT ON TABLE alembic_version IS NULL")  # as the old code left it
        before = connection.execute(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_schema = 'public' ORDER BY 1, 2"
        ).fetchall()
    migrations.upgrade(url)
    assert migrations.current_revisions(url) == {"0015", "0013"}
    with psycopg.connect(libpq_url(url)) as connection:
        after = connection.execute(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_schema = 'public' ORDER BY 1, 2"
        ).fetchall()
    assert after == before
    migrations.check(url)


def test_a_legacy_chain_stopped_midway_runs_the_rest_of_each_branch(
    embedded_server: EmbeddedServer,
) -> None:
    # At 0010 the old chain had run the leads base (0008) but not 0011 or 0013.
    url = embedded_server.database_url("compound_legacy_midway")
    migrations.downgrade(url, "substrate@0010")
    migrations.downgrade(url, "leads@0008")
    with psycopg.connect(libpq_url(url), autocommit=True) as connection:
        connection.execute("DELETE FROM alembic_version")
        connection.execute("INSERT INTO alembic_version VALUES ('0010')")
        connection.execute("COMMENT ON TABLE alembic_version IS NULL")
    migrations.upgrade(url)
    assert migrations.current_revisions(url) == {"0015", "0013"}
    migrations.check(url)


def test_a_revision_of_a_module_not_installed_is_named(
    embedded_server: EmbeddedServer,
) -> None:
    url = embedded_server.database_url("compound_unknown_revision")
    with psycopg.connect(libpq_url(url), autocommit=True) as connection:
        connection.execute("INSERT INTO alembic_version VALUES ('e9f1')")
    with pytest.raises(DatabaseNotReady, match=r"does not know \(e9f1\).*COMPOUND_MODULES"):
        migrations.upgrade(url)
