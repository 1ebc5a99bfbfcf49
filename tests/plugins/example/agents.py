"""The example module's one agent: it says a name back, with golden cases."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from compound.agents.runtime.agent import Agent, Budget, register
from compound.agents.runtime.context import RunContext
from compound.agents.runtime.evaluation import EvalSuite, GoldenCase, register_suite
from compound.platform.llm.gateway import Tier


class Name(BaseModel):
    name: str


class Greeting(BaseModel):
    text: str


async def _offline(context: RunContext, request: Name) -> Greeting:
    return Greeting(text=f"Hello, {request.name}")


GREETER: Agent[Name, Greeting] = register(
    Agent(
        name="example.greeter",
        instructions="Greet the person by name.",
        input_schema=Name,
        output_schema=Greeting,
        offline=_offline,
        tier=Tier.FAST,
        budget=Budget(max_steps=2, max_tokens=1_000, max_cost_usd=0.01),
        title=lambda request: f"Greet {request.name}",
    )
)


def _judge(expected: str, output: dict[str, Any]) -> tuple[bool, str]:
    return output.get("text") == expected, f"got {output.get('text')!r}"


register_suite(
    EvalSuite(
        agent=GREETER,
        floor=1.0,
        load_cases=lambda: [
            GoldenCase(name="ada", input=Name(name="Ada"), expected="Hello, Ada"),
            GoldenCase(name="grace", input=Name(name="Grace"), expected="Hello, Grace"),
        ],
        judge=_judge,
        description="the example module's greeting",
    )
)
