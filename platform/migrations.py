"""Running Alembic from code: `compound db upgrade`, the startup check, and the tests' checks.

The substrate's revisions live in `migrations/versions/`; each installed module's tables are
an Alembic branch of their own in `modules/<m>/migrations/`, based on the substrate. One
`alembic_version` table holds a row per branch head."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import create_engine, pool, text

from compound.platform.config import Settings, get_settings
from compound.platform.errors import DatabaseNotReady
from compound.platform.modules import installed_modules
from compound.platform.resources import package_path

SUBSTRATE_MIGRATIONS = "compound.migrations"

LEGACY_CHAIN = tuple(f"{number:04d}" for number in range(1, 16))
"""Until modules had branches (0015), every revision, the leads tables' too, formed one
chain in this order; such a database has one row in `alembic_version`."""

BRANCHES_MARK = "compound: one row per branch head"
"""The comment on `alembic_version` once branch-aware code wrote it. One row alone means
different things before and after (a database downgraded in a test can have one row too),
so only an unmarked table is read as the old chain."""


def alembic_config(url: str, settings: Settings | None = None) -> Config:
    settings = settings or get_settings()
    config = Config()
    config.set_main_option("script_location", str(package_path(SUBSTRATE_MIGRATIONS)))
    locations = [str(package_path(SUBSTRATE_MIGRATIONS, "versions"))]
    locations += [
        str(module.migrations)
        for module in installed_modules(settings)
        if module.migrations is not None
    ]
    config.set_main_option("path_separator", "os")
    config.set_main_option("version_locations", os.pathsep.join(locations))
    config.attributes["url"] = url
    config.attributes["settings"] = settings
    return config


def _script(settings: Settings | None) -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config("", settings))


def head_revisions(settings: Settings | None = None) -> frozenset[str]:
    """The revisions a database must be at: the substrate's head and each module's."""
    return frozenset(_script(settings).get_heads())


def applied_heads(rows: frozenset[str], settings: Settings | None = None) -> frozenset[str]:
    """Each branch's newest applied revision, from the rows of `alembic_version`.

    Alembic keeps no row for a revision that another row depends on (a module branch on the
    substrate's 0015 leaves only its own row), so the rows alone are not the heads. A row
    this installation does not know is kept as it is (and never equals a head)."""
    script = _script(settings)
    known = {revision.revision: revision for revision in script.walk_revisions()}
    applied: set[str] = set()
    waiting = list(rows)
    while waiting:
        name = waiting.pop()
        if name in applied:
            continue
        applied.add(name)
        revision = known.get(name)
        if revision is not None:
            waiting += [*_as_tuple(revision.down_revision), *_dependencies(script, revision)]
    below = {
        down for name in applied if name in known for down in _as_tuple(known[name].down_revision)
    }
    return frozenset(applied - below)


def _as_tuple(value: str | Sequence[str] | None) -> tuple[str, ...]:
    if value is None:
        return ()
    return (value,) if isinstance(value, str) else tuple(value)


def _dependencies(script: ScriptDirectory, revision: Any) -> list[str]:
    # depends_on may name a branch label ("leads@head") or a revision.
    found = [script.get_revision(name) for name in _as_tuple(revision.dependencies)]
    return [dependency.revision for dependency in found if dependency is not None]


def current_revisions(url: str) -> frozenset[str]:
    engine = create_engine(url, poolclass=pool.NullPool)
    try:
        with engine.connect() as connection:
            if not connection.scalar(text("SELECT to_regclass('public.alembic_version')")):
                return frozenset()
            rows = connection.execute(text("SELECT version_num FROM alembic_version"))
            return frozenset(row[0] for row in rows)
    finally:
        engine.dispose()


def _restamp_legacy(config: Config, url: str) -> None:
    # A database migrated as one chain records only its last revision; under branches that
    # row no longer implies the module revisions before it. Record each branch's head that
    # the chain had reached, so upgrade runs only what is new. The schema does not change.
    current = current_revisions(url)
    if len(current) != 1 or next(iter(current)) not in LEGACY_CHAIN or _marked(url):
        return
    reached = set(LEGACY_CHAIN[: LEGACY_CHAIN.index(next(iter(current))) + 1])
    script = ScriptDirectory.from_config(config)
    known = {revision.revision: revision for revision in script.walk_revisions()}
    applied = reached & known.keys()
    heads = {name for name in applied if not any(child in applied for child in known[name].nextrev)}
    if heads != applied_heads(current, config.attributes["settings"]):
        command.stamp(config, sorted(heads), purge=True)


def _marked(url: str) -> bool:
    engine = create_engine(url, poolclass=pool.NullPool)
    try:
        with engine.connect() as connection:
            comment = connection.scalar(
                text("SELECT obj_description(to_regclass('public.alembic_version'), 'pg_class')")
            )
    finally:
        engine.dispose()
    return bool(comment == BRANCHES_MARK)


def _mark(url: str) -> None:
    engine = create_engine(url, poolclass=pool.NullPool)
    try:
        with engine.begin() as connection:
            connection.execute(text(f"COMMENT ON TABLE alembic_version IS '{BRANCHES_MARK}'"))
    finally:
        engine.dispose()


def upgrade(url: str, revision: str = "heads", settings: Settings | None = None) -> None:
    config = alembic_config(url, settings)
    try:
        _restamp_legacy(config, url)
        command.upgrade(config, revision)
    except CommandError as error:
        raise DatabaseNotReady(_explain(error, url, settings)) from error
    _mark(url)


def downgrade(url: str, revision: str, settings: Settings | None = None) -> None:
    command.downgrade(alembic_config(url, settings), revision)
    _mark(url)


def check(url: str, settings: Settings | None = None) -> None:
    """Raise if the models and the migrations disagree (alembic check)."""
    command.check(alembic_config(url, settings))


def _explain(error: CommandError, url: str, settings: Settings | None) -> str:
    try:
        unknown = sorted(current_revisions(url) - _known_revisions(settings))
    except CommandError:  # the scripts themselves are broken: the first error says how
        unknown = []
    if unknown:
        return (
            f"the database has migrations this installation does not know ({', '.join(unknown)}): "
            "they belong to a module that is not installed (see COMPOUND_MODULES) or to a "
            "newer Compound"
        )
    return f"migrations failed: {error}"


def _known_revisions(settings: Settings | None) -> frozenset[str]:
    return frozenset(revision.revision for revision in _script(settings).walk_revisions())


def describe_heads(revisions: frozenset[str]) -> str:
    return ", ".join(sorted(revisions)) or "none"
