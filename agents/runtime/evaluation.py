"""Golden-case evals: each agent's cases run in the configured engine, scored against a floor.

Evals are smoke tests, not targets: a prompt or model change that breaks a workflow turns
`compound eval` red. Runs are detached (no database, nothing persisted).
"""

from __future__ import annotations

import time
import tomllib
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ValidationError

from compound.agents.runtime.agent import Agent
from compound.agents.runtime.context import RunContext, Suspended
from compound.agents.runtime.executor import run_engine
from compound.agents.runtime.models import AgentRun, Engine
from compound.platform.database import Database
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
class Measure:
    """A suite's score over all its cases at once (an F1, a precision), when a share of
    passing cases says too little; `detail` names the parts (precision, recall, …)."""

    score: float
    metric: str
    detail: str = ""


@dataclass(frozen=True)
class EvalReport:
    agent: str
    engine: Engine
    floor: float
    results: tuple[CaseResult, ...]
    seconds: float
    measure: Measure | None = None

    @property
    def score(self) -> float:
        if self.measure is not None:
            return self.measure.score
        return sum(r.passed for r in self.results) / len(self.results) if self.results else 0.0

    @property
    def passed(self) -> bool:
        return bool(self.results) and self.score >= self.floor

    def summary(self) -> str:
        verdict = "ok" if self.passed else "BELOW FLOOR"
        metric = self.measure.metric if self.measure else "accuracy"
        detail = f"; {self.measure.detail}" if self.measure and self.measure.detail else ""
        return (
            f"{self.agent}: {self.score:.3f} {metric} on {len(self.results)} cases{detail} "
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
    measure: Callable[[Sequence[tuple[ExpectedT, dict[str, Any] | None]]], Measure] | None = None
    """Scores the suite as a whole from (expected, output or None when the run failed)."""


_suites: dict[str, EvalSuite[Any, Any]] = {}

DatabaseCheck = Callable[[Database], Awaitable[EvalReport]]
"""A golden set scored against a database of its own (loaded by the check itself)."""
_database_checks: dict[str, DatabaseCheck] = {}


def register_database_check(name: str, check: DatabaseCheck) -> DatabaseCheck:
    _database_checks[name] = check
    return check


def database_checks(selector: str | None = None) -> list[tuple[str, DatabaseCheck]]:
    """Checks named `selector` or under it (`leads` selects `leads.*`); all when None."""
    return [
        (name, _database_checks[name])
        for name in sorted(_database_checks)
        if selector is None or name == selector or name.startswith(f"{selector}.")
    ]


def register_suite(suite: EvalSuite[InputT, ExpectedT]) -> EvalSuite[InputT, ExpectedT]:
    _suites[suite.agent.name] = suite
    return suite


def suites(agent: str | None = None) -> list[EvalSuite[Any, Any]]:
    """All suites, one agent's, or a module's: `leads` selects every `leads.*` agent.
    NotFound when neither a suite nor a database check answers to `agent`."""
    if agent is None:
        return [_suites[name] for name in sorted(_suites)]
    chosen = [
        _suites[name] for name in sorted(_suites) if name == agent or name.startswith(f"{agent}.")
    ]
    if not chosen and not database_checks(agent):
        known = ", ".join(sorted({*_suites, *_database_checks})) or "none"
        raise NotFound(f"no eval suite for agent {agent!r}; suites: {known}", field="agent")
    return chosen


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
    outputs: list[tuple[Any, dict[str, Any] | None]] = []
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
            outputs.append((case.expected, None))
            continue
        except CompoundError as error:
            results.append(CaseResult(case.name, False, f"failed: {error.message}"))
            outputs.append((case.expected, None))
            continue
        outputs.append((case.expected, output))
        passed, detail = suite.judge(case.expected, output)
        results.append(CaseResult(case.name, passed, detail))
    return EvalReport(
        agent=suite.agent.name,
        engine=engine,
        floor=suite.floor,
        results=tuple(results),
        seconds=time.perf_counter() - started,
        measure=suite.measure(outputs) if suite.measure is not None and outputs else None,
    )
