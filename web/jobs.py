"""The modules that declare dramatiq actors: `compound worker` imports them all."""

from __future__ import annotations

# The runtime's actor, the modules that register agents (a worker resolves a run's agent
# by name), and each business module's `tasks` as it gains background work.
ACTOR_MODULES: tuple[str, ...] = (
    "compound.agents.runtime.tasks",
    "compound.agents.triage.agent",
)
