"""Golden-case evals: each agent's cases run in the configured engine, scored against a floor.

Evals are smoke tests, not targets: a prompt or model change that breaks a workflow turns
`compound eval` red. Runs are detached (no database, nothing persisted).
"""

from __future__ import annotations

import time
import tomllib
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ValidationError

from compound.agents.runtime.agent import Agent
from compound.agents.runtime.context import RunContext, Suspended
from compound.agents.runtime.executor import run_engine
from compound.agents.runtime.models import AgentRun, Engine
from compound.platform.errors import CompoundError, NotFound
from compound.platform.llm.gateway import ModelGateway

InputT = TypeVar("InputT", bound=BaseModel)
ExpectedT = TypeVar("ExpectedT")


@dataclass(frozen=True)
class GoldenCase(Generic[InputT, ExpectedT]):
    name: str
    input: InputT
    expected: ExpectedT


@dataclass(frozen=True)
class CaseResult:
    name: str
    passed: bool
    detail: str


@dataclass(frozen=True)
class EvalReport:
    agent: str
    engine: Engine
    floor: float
    results: tuple[CaseResult, ...]
    seconds: float

    @property
    def score(self) -> float:
        return sum(r.passed for r in self.results) / len(self.results) if self.results else 0.0

    @property
    def passed(self) -> bool:
        return bool(self.results) and self.score >= self.floor

    def summary(self) -> str:
        verdict = "ok" if self.passed else "BELOW FLOOR"
        return (
            f"{self.agent}: {self.score:.3f} accuracy on {len(self.results)} cases "
            f"(floor {self.floor:.2f}, engine {self.engine.value}, {self.seconds:.2f} s) {verdict}"
        )


@dataclass(frozen=True)
class EvalSuite(Generic[InputT, ExpectedT]):
    """An agent's golden cases, how to judge one output, and the score it must reach."""

    agent: Agent[InputT, Any]
    floor: float
    load_cases: Callable[[], Sequence[GoldenCase[InputT, ExpectedT]]]
    judge: Callable[[ExpectedT, dict[str, Any]], tuple[bool, str]]
    """(expected, output as JSON) → (passed, what was seen)."""
    description: str = ""
    tags: tuple[str, ...] = field(default=())


_suites: dict[str, EvalSuite[Any, Any]] = {}


def register_suite(suite: EvalSuite[InputT, ExpectedT]) -> EvalSuite[InputT, ExpectedT]:
    _suites[suite.agent.name] = suite
    return suite


def suites(agent: str | None = None) -> list[EvalSuite[Any, Any]]:
    if agent is None:
        return [_suites[name] for name in sorted(_suites)]
    if agent not in _suites:
        known = ", ".join(sorted(_suites)) or "none"
        raise NotFound(f"no eval suite for agent {agent!r}; suites: {known}", field="agent")
    return [_suites[agent]]


def toml_cases(
    folder: Path, input_schema: type[InputT], expected_key: str
) -> list[GoldenCase[InputT, Any]]:
    """Cases from `folder/*.toml`: an `[email]`-style input table and an expected value."""
    cases = []
    for path in sorted(folder.glob("*.toml")):
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
            input_key = next(key for key, value in data.items() if isinstance(value, dict))
            cases.append(
                GoldenCase(
                    name=path.stem,
                    input=input_schema.model_validate(data[input_key]),
                    expected=data[expected_key],
                )
            )
        except (tomllib.TOMLDecodeError, ValidationError, KeyError, StopIteration) as error:
            raise CompoundError(f"golden case {path} is broken: {error}") from None
    return cases


async def run_suite(
    suite: EvalSuite[Any, Any], *, engine: Engine, gateway: ModelGateway | None
) -> EvalReport:
    started = time.perf_counter()
    results = []
    for case in suite.load_cases():
        run = AgentRun(
            id=uuid.uuid4(),
            agent=suite.agent.name,
            title=case.name,
            engine=engine.value,
            tier=suite.agent.tier.value,
            root_id=uuid.uuid4(),
            input=case.input.model_dump(mode="json"),
            tainted=suite.agent.untrusted_input,
            started_by="eval",
        )
        context = RunContext(session=None, run=run, agent=suite.agent, journal=[], gateway=gateway)
        try:
            output = await run_engine(context, suite.agent, run.input)
        except Suspended as suspension:
            results.append(CaseResult(case.name, False, f"waits for {suspension.waiting_for}"))
            continue
        except CompoundError as error:
            results.append(CaseResult(case.name, False, f"failed: {error.message}"))
            continue
        passed, detail = suite.judge(case.expected, output)
        results.append(CaseResult(case.name, passed, detail))
    return EvalReport(
        agent=suite.agent.name,
        engine=engine,
        floor=suite.floor,
        results=tuple(results),
        seconds=time.perf_counter() - started,
    )
