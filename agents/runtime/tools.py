"""Tools: typed async business operations an agent may call, each with an effect class."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ValidationInfo

from compound.platform.llm.gateway import ToolSpec

if TYPE_CHECKING:
    from compound.agents.inbox.items import Evidence
    from compound.agents.runtime.context import RunContext


APPROVING: dict[str, Any] = {"approving": True}
"""Validation context when a person approves a proposal: an argument model may ask for more
then (a recipient the agent could leave blank) than when the agent proposes it."""


def approving(info: ValidationInfo) -> bool:
    return bool(info.context and info.context.get("approving"))


class Effect(StrEnum):
    """What calling a tool can change: the policy decides on this, not on the tool's name."""

    READ = "read"
    """Reads Compound's records; changes nothing."""
    WRITE = "write"
    """Writes Compound's records (with provenance; undoable)."""
    EXTERNAL = "external"
    """Leaves Compound: sends an email, calls a webhook. Needs approval from a tainted run."""


ToolFunction = Callable[["RunContext", Any], Awaitable[Any]]
ApprovalWaiver = Callable[["RunContext", Any], Awaitable[str | None]]
"""For an external tool: given the validated arguments, the reason a tainted run may call it
without approval (checked against stored records, never the model's word), or None."""


@dataclass(frozen=True)
class Prepared:
    """A tool's arguments completed from stored records when the agent proposes the call,
    and what a person approving it should notice."""

    arguments: BaseModel
    evidence: tuple[Evidence, ...] = ()
    """Shown on the approval item (a warning, the records it was worked out from)."""


ArgumentPreparer = Callable[["RunContext", Any], Awaitable[Prepared]]
"""Runs once, when the call is first made (never on replay, never after approval): what it
fills in is what the policy decides on, what a person approves, and what the tool gets."""


@dataclass(frozen=True)
class Tool:
    """A composite business operation: arguments validated by a Pydantic model, result JSON."""

    name: str
    description: str
    arguments: type[BaseModel]
    effect: Effect
    function: ToolFunction
    reads_untrusted: bool = False
    """Its result carries outside content (an email body, a web page): the run becomes tainted."""
    approval_waiver: ApprovalWaiver | None = None
    prepare: ArgumentPreparer | None = None

    def spec(self) -> ToolSpec:
        return ToolSpec(
            name=self.name,
            description=self.description,
            parameters=self.arguments.model_json_schema(),
        )


def tool(
    *,
    effect: Effect,
    name: str | None = None,
    reads_untrusted: bool = False,
    approval_waiver: ApprovalWaiver | None = None,
    prepare: ArgumentPreparer | None = None,
) -> Callable[[Callable[..., Awaitable[Any]]], Tool]:
    """Declare `async def f(context, arguments: SomeModel) -> JSON-able` as a Tool; the
    docstring is the description the model reads."""

    def declare(function: Callable[..., Awaitable[Any]]) -> Tool:
        parameters = list(inspect.signature(function).parameters.values())
        if len(parameters) != 2:
            raise TypeError(f"tool {function.__name__} must take (context, arguments: Model)")
        arguments = parameters[1].annotation
        if isinstance(arguments, str):
            # Postponed annotations: the model class is looked up where the tool is defined.
            arguments = function.__globals__.get(arguments)
        if not (isinstance(arguments, type) and issubclass(arguments, BaseModel)):
            raise TypeError(f"tool {function.__name__}: arguments must be a Pydantic model")
        if approval_waiver is not None and effect is not Effect.EXTERNAL:
            raise TypeError(f"tool {function.__name__}: only external tools need approval")
        return Tool(
            name=name or function.__name__,
            description=inspect.cleandoc(function.__doc__ or function.__name__),
            arguments=arguments,
            effect=effect,
            function=function,
            reads_untrusted=reads_untrusted,
            approval_waiver=approval_waiver,
            prepare=prepare,
        )

    return declare
