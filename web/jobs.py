"""The modules that declare dramatiq actors: `compound worker` imports them all."""

from __future__ import annotations

# Each business module adds its `tasks` module here as it gains background work.
ACTOR_MODULES: tuple[str, ...] = ()
