"""The installed modules, composed: the one place the web layer loops over the manifests
(schema, pages, navigation, workers, evals). No other code here names a module."""

from __future__ import annotations

import importlib
import uuid
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from compound.agents.runtime.undo import register_record_kind
from compound.agents.triage.contract import TriageKind
from compound.agents.triage.routing import register_handler
from compound.platform.config import Settings
from compound.platform.errors import ValidationFailed
from compound.platform.modules import (
    CompanyPanel,
    Demo,
    Module,
    NavEntry,
    check_module_settings,
    installed_modules,
)

SUBSTRATE_ACTOR_MODULES: tuple[str, ...] = (
    "compound.platform.email.tasks",
    "compound.platform.records.embedding_backfill",
    "compound.agents.runtime.tasks",
    "compound.agents.triage.agent",
    "compound.agents.triage.routing",
)
"""The runtime's actor and the substrate's agents; each module adds its own."""
SUBSTRATE_EVAL_MODULES: tuple[str, ...] = ("compound.agents.triage.evaluation",)

WORKER_ENTRY = "compound.web.worker_entry"
"""Imported by every worker process: it installs the modules as the app does."""

_installed: set[tuple[str, bool]] = set()
_process_modules: tuple[Module, ...] = ()
"""What `install_modules` installed in this process: a process runs one set of modules (its
actors, triage handlers and record kinds are registered process-wide)."""


def install_modules(settings: Settings, *, with_evals: bool = False) -> tuple[Module, ...]:
    """Import each installed module's agents (and eval suites), validate its settings, and
    register its triage handlers and undo record kinds. Idempotent."""
    modules = installed_modules(settings)
    check_module_settings(modules)
    for name in (*SUBSTRATE_ACTOR_MODULES, *(SUBSTRATE_EVAL_MODULES if with_evals else ())):
        importlib.import_module(name)
    for module in modules:
        if (module.name, with_evals) in _installed:
            continue
        for name in (*module.agent_modules, *(module.eval_modules if with_evals else ())):
            importlib.import_module(name)
        for kind, handler in module.triage_handlers.items():
            register_handler(_triage_kind(module, kind), handler)
        for record_kind in module.record_kinds:
            register_record_kind(record_kind)
        _installed.add((module.name, with_evals))
    global _process_modules
    _process_modules = modules
    return modules


def _triage_kind(module: Module, kind: str) -> TriageKind:
    try:
        return TriageKind(kind)
    except ValueError as error:
        known = ", ".join(sorted(k.value for k in TriageKind))
        raise ValidationFailed(
            f"module {module.name} handles the triage kind {kind!r}, which is not one of {known}"
        ) from error


def actor_modules(settings: Settings) -> list[str]:
    """What a worker process imports: the substrate's actors and every installed module's."""
    modules = [name for module in installed_modules(settings) for name in module.agent_modules]
    return [*SUBSTRATE_ACTOR_MODULES, *modules, WORKER_ENTRY]


def graphql_types(settings: Settings) -> tuple[list[type], list[type]]:
    modules = installed_modules(settings)
    queries = [module.graphql_query for module in modules if module.graphql_query is not None]
    mutations = [m.graphql_mutation for m in modules if m.graphql_mutation is not None]
    return queries, mutations


def page_handlers(settings: Settings) -> list[object]:
    return [handler for module in installed_modules(settings) for handler in module.pages]


def template_folders(settings: Settings) -> list[str]:
    return [
        str(module.templates)
        for module in installed_modules(settings)
        if module.templates is not None
    ]


def navigation(settings: Settings, *, in_settings: bool) -> list[NavEntry]:
    return [
        entry
        for module in installed_modules(settings)
        for entry in module.navigation
        if entry.settings == in_settings
    ]


def company_panels() -> list[CompanyPanel]:
    """The sections the installed modules add to the company page."""
    return [panel for module in _process_modules for panel in module.company_panels]


async def run_summaries(
    session: AsyncSession, root_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, str]:
    """One line per root run, from whichever installed module knows the run."""
    lines: dict[uuid.UUID, str] = {}
    for module in _process_modules:
        if module.run_summaries is not None:
            lines.update(await module.run_summaries(session, root_ids))
    return lines


def demos(settings: Settings) -> list[Demo]:
    return [module.demo for module in installed_modules(settings) if module.demo is not None]
