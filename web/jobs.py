"""The modules that declare dramatiq actors and register agents: the worker, the web app
(which starts runs by agent name) and `compound eval` all load them."""

from __future__ import annotations

import importlib

from compound.modules.leads.api import AGENT_MODULES as LEADS_AGENT_MODULES
from compound.modules.leads.api import EVAL_MODULES as LEADS_EVAL_MODULES

# The runtime's actor, the modules that register agents (a run names its agent), and each
# business module's `tasks` as it gains background work.
ACTOR_MODULES: tuple[str, ...] = (
    "compound.platform.email.tasks",
    "compound.platform.records.embedding_backfill",
    "compound.agents.runtime.tasks",
    "compound.agents.triage.agent",
    "compound.agents.triage.routing",
    *LEADS_AGENT_MODULES,
)


EVAL_MODULES: tuple[str, ...] = LEADS_EVAL_MODULES
"""Modules that register golden-case suites beyond those declared beside their agents."""


def load_actor_modules(*, with_evals: bool = False) -> None:
    for module in (*ACTOR_MODULES, *(EVAL_MODULES if with_evals else ())):
        importlib.import_module(module)
