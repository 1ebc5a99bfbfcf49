"""The module manifest and the registry of installed modules.

A business module (leads, support, marketing) is one folder whose `api.py` exports a
`MODULE`: everything the rest of Compound needs from it. `web/` never names a module; it
loops over `installed_modules(settings)`. `COMPOUND_MODULES` chooses which are installed
(default: every module found under `compound.modules`)."""

from __future__ import annotations

import importlib
import pkgutil
import re
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from types import ModuleType
from typing import Any

from pydantic import ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict, SettingsError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import SQLModel

from compound.platform.auth.actor import Actor
from compound.platform.config import Settings, settings_problem
from compound.platform.errors import CompoundError
from compound.platform.resources import package_path

MODULES_PACKAGE = "compound.modules"
NAME = re.compile(r"[a-z][a-z0-9_]{0,39}")


class ModuleSettings(BaseSettings):
    """Base of a module's own settings: each module reads `COMPOUND_<MODULE>_<NAME>`."""

    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        use_attribute_docstrings=True,
    )


@dataclass(frozen=True)
class NavEntry:
    """A link in the main navigation (or, with `settings=True`, in the settings menu)."""

    key: str
    """What pages pass as `active` to highlight it."""
    label: str
    href: str
    settings: bool = False


@dataclass(frozen=True)
class CompanyPanel:
    """A section a module adds to the company page: its template, given what `load` returns
    (None: the template is shown with `panel` None)."""

    template: str
    load: Callable[[AsyncSession, uuid.UUID], Awaitable[object | None]]


@dataclass(frozen=True)
class RecordKind:
    """How undo deletes and restores one kind of the module's own records."""

    subject_type: str
    model: type[SQLModel]
    delete: Callable[[AsyncSession, Actor, uuid.UUID], Awaitable[None]]
    describe: Callable[[Any], str]
    restorable: frozenset[str] = frozenset()
    restore: Callable[[AsyncSession, Actor, uuid.UUID, str, Any], Awaitable[None]] | None = None


@dataclass(frozen=True)
class Demo:
    """What `compound up` loads on a first run: `seed` fills the module's own demo records,
    `work` queues real agent work for the demo and says what it queued (None: nothing)."""

    seed: Callable[[AsyncSession], Awaitable[object]]
    work: Callable[[AsyncSession, Actor], Awaitable[str | None]]


TriageHandler = Callable[..., Awaitable[Any]]
"""`(RunContext, InboundEmail) -> str`: what the module did with a routed message."""

RunSummaries = Callable[[AsyncSession, Sequence[uuid.UUID]], Awaitable[Mapping[uuid.UUID, str]]]
"""One line per root run the module knows (e.g. an import's ledger), for the Inbox."""


@dataclass(frozen=True)
class Module:
    """Everything the rest of Compound needs from one business module."""

    name: str
    """Lower-case identifier: the `COMPOUND_<NAME>_` settings prefix, the agents' prefix."""
    title: str
    package: str
    """The module's package (`compound.modules.<name>`): its templates and migrations live
    under it as package data."""
    graphql_query: type | None = None
    graphql_mutation: type | None = None
    pages: Sequence[Any] = ()
    """Litestar route handlers."""
    navigation: Sequence[NavEntry] = ()
    tables: Sequence[ModuleType] = ()
    """The modules that declare its SQLModel tables (for Alembic and the metadata)."""
    agent_modules: Sequence[str] = ()
    """Modules that register its agents, tools and actors (workers and the app import them)."""
    eval_modules: Sequence[str] = ()
    """Modules that register its eval suites (only `compound eval` imports them)."""
    settings: type[ModuleSettings] | None = None
    triage_handlers: Mapping[str, TriageHandler] = field(default_factory=dict)
    """Triage kind (`deal_flow`, `support_request`, …) → the handler for such mail."""
    record_kinds: Sequence[RecordKind] = ()
    company_panels: Sequence[CompanyPanel] = ()
    run_summaries: RunSummaries | None = None
    demo: Demo | None = None

    @property
    def templates(self) -> Path | None:
        """The folder of its page templates (named `<module>/…` inside), if it has pages."""
        folder = package_path(self.package, "templates")
        return folder if folder.is_dir() else None

    @property
    def migrations(self) -> Path | None:
        """The folder of its Alembic branch, if it has tables."""
        folder = package_path(self.package, "migrations")
        return folder if folder.is_dir() else None


class ModuleNotFound(CompoundError):
    code = "MODULE_NOT_FOUND"


def available_module_names() -> tuple[str, ...]:
    """Every module found under `compound.modules` (each a package with an `api`)."""
    package = importlib.import_module(MODULES_PACKAGE)
    return tuple(
        sorted(
            info.name
            for info in pkgutil.iter_modules(package.__path__)
            if info.ispkg and NAME.fullmatch(info.name)
        )
    )


def _load(name: str) -> Module:
    # A name under compound.modules first; else a top-level package of that name (a module
    # installed beside Compound, or a test's).
    candidates = (f"{MODULES_PACKAGE}.{name}.api", f"{name}.api")
    for candidate in candidates:
        try:
            api = importlib.import_module(candidate)
        except ModuleNotFoundError as error:
            if error.name is not None and candidate.startswith(error.name):
                continue
            raise
        manifest = getattr(api, "MODULE", None)
        if not isinstance(manifest, Module):
            raise ModuleNotFound(f"{candidate} has no MODULE (a compound.platform.modules.Module)")
        if manifest.name != name:
            raise ModuleNotFound(f"{candidate} declares the module {manifest.name!r}, not {name!r}")
        return manifest
    raise ModuleNotFound(
        f"COMPOUND_MODULES names {name!r}, which is neither in {MODULES_PACKAGE} "
        f"({', '.join(available_module_names()) or 'none found'}) nor an importable package "
        "with an api.py"
    )


@lru_cache(maxsize=16)
def load_modules(names: tuple[str, ...]) -> tuple[Module, ...]:
    return tuple(_load(name) for name in names)


def installed_modules(settings: Settings) -> tuple[Module, ...]:
    """The modules this instance runs, in the order `COMPOUND_MODULES` gives (else by name)."""
    names = settings.modules if settings.modules is not None else available_module_names()
    return load_modules(tuple(names))


class InvalidModuleSettings(CompoundError):
    code = "INVALID_SETTINGS"


def check_module_settings(modules: Sequence[Module]) -> None:
    """Read each module's settings from the environment now, so that a bad
    `COMPOUND_<MODULE>_…` stops the command at once, named, not the first run that reads it."""
    for module in modules:
        if module.settings is None:
            continue
        try:
            module.settings()
        except (ValidationError, SettingsError) as error:
            prefix = str(module.settings.model_config.get("env_prefix", ""))
            raise InvalidModuleSettings(settings_problem(error, prefix)) from error


def table_modules(settings: Settings) -> tuple[ModuleType, ...]:
    return tuple(table for module in installed_modules(settings) for table in module.tables)
