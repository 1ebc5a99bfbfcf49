"""The modules that declare dramatiq actors and register agents: the worker, the web app
(which starts runs by agent name) and `compound eval` all load them."""

from __future__ import annotations

import importlib

from compound.modules.leads.api import AGENT_MODULES as LEADS_AGENT_MODULES

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


def load_actor_modules() -> None:
    for module in ACTOR_MODULES:
        importlib.import_module(module)
