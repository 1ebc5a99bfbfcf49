"""Agents: instructions + tools + a tier + an output schema + a budget + an offline engine."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from pydantic import BaseModel

from compound.agents.runtime.tools import Tool
from compound.platform.errors import NotFound
from compound.platform.llm.gateway import Tier

if TYPE_CHECKING:
    from compound.agents.runtime.context import RunContext

InputT = TypeVar("InputT", bound=BaseModel)
OutputT = TypeVar("OutputT", bound=BaseModel)


@dataclass(frozen=True)
class Budget:
    """Limits per run; reaching one stops the run and reports an exception item."""

    max_steps: int = 30
    max_tokens: int = 100_000
    max_cost_usd: float = 1.0


@dataclass(frozen=True)
class Agent(Generic[InputT, OutputT]):
    """A stochastic subroutine with a deterministic twin.

    With a model endpoint configured the runtime loops model → tools → model until the
    model answers with the output schema; without one it runs `offline`, code that
    fulfils the same contract (and may call the same tools through the context).
    """

    name: str
    instructions: str
    input_schema: type[InputT]
    output_schema: type[OutputT]
    offline: Callable[[RunContext, InputT], Awaitable[OutputT]]
    tools: Sequence[Tool] = ()
    tier: Tier = Tier.FAST
    models: Mapping[Tier, str] | None = None
    budget: Budget = field(default_factory=Budget)
    untrusted_input: bool = False
    """Its input is outside content (an email): every run of it starts tainted."""
    title: Callable[[InputT], str] | None = None
    """A one-line title for a run, for the Inbox and run lists."""

    def tool_named(self, name: str) -> Tool | None:
        return next((tool for tool in self.tools if tool.name == name), None)

    def run_title(self, value: InputT) -> str:
        return self.title(value) if self.title else self.name

    def parse_input(self, value: Mapping[str, Any]) -> InputT:
        return self.input_schema.model_validate(value)


_registry: dict[str, Agent[Any, Any]] = {}


def register(agent: Agent[InputT, OutputT]) -> Agent[InputT, OutputT]:
    """Make `agent` runnable by name (workers resolve runs by their agent's name)."""
    existing = _registry.get(agent.name)
    if existing is not None and existing is not agent:
        raise ValueError(f"two agents are named {agent.name!r}")
    _registry[agent.name] = agent
    return agent


def agent_named(name: str) -> Agent[Any, Any]:
    agent = _registry.get(name)
    if agent is None:
        known = ", ".join(sorted(_registry)) or "none"
        raise NotFound(f"no agent named {name!r}; known agents: {known}", field="agent")
    return agent


def registered_agents() -> list[Agent[Any, Any]]:
    return [_registry[name] for name in sorted(_registry)]
