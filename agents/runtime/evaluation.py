"""Golden-case evals: each agent's cases run in the configured engine, scored against a floor.

An agent has a **dev** split, which its engine may be tuned on, and may have a **blind**
split, written by someone who had not read the engine, in layouts the dev split lacks; the
floor applies to the blind split when there is one. Runs are detached (no database,
nothing persisted).
"""

from __future__ import annotations

import time
import tomllib
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
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


class Split(StrEnum):
    DEV = "dev"
    """Cases the engine may be tuned on."""
    BLIND = "blind"
    """Cases written before the engine was changed, by someone who had not read it; never
    tuned on. When one fails, the fix is general and the case is replaced."""


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
    unmet: str = ""
    """A second floor the split misses besides the score's ("recall 0.85 < 0.90"), or ""."""


@dataclass(frozen=True)
class EvalReport:
    agent: str
    engine: Engine
    floor: float
    results: tuple[CaseResult, ...]
    seconds: float
    measure: Measure | None = None
    split: Split = Split.DEV
    interim_floor: float | None = None
    """While the engine is below `floor` on this split: the score enforced meanwhile (the
    score it had when the split was written, rounded down, raised as the engine improves);
    `floor` and any second floor are reported as the target, not yet enforced."""

    @property
    def score(self) -> float:
        if self.measure is not None:
            return self.measure.score
        return sum(r.passed for r in self.results) / len(self.results) if self.results else 0.0

    @property
    def unmet(self) -> str:
        """Every floor the split misses, said in words; "" when it meets them all."""
        missed = [f"{self.score:.3f} < {self.floor:.2f}"] if self.score < self.floor else []
        if self.measure and self.measure.unmet:
            missed.append(self.measure.unmet)
        return ", ".join(missed)

    @property
    def passed(self) -> bool:
        if not self.results:
            return False
        if self.interim_floor is not None:
            return self.score >= self.interim_floor
        return not self.unmet

    def verdict(self) -> str:
        if not self.passed:
            return f"BELOW FLOOR ({self.unmet})" if self.unmet else "BELOW FLOOR"
        if self.interim_floor is not None and self.unmet:
            return (
                f"ok at the interim floor {self.interim_floor:.2f}; target not met ({self.unmet})"
            )
        return "ok"

    def figures(self) -> str:
        """The split's score and its parts, without verdict: `1.000 F1 on 36 cases; …`."""
        metric = self.measure.metric if self.measure else "accuracy"
        detail = f"; {self.measure.detail}" if self.measure and self.measure.detail else ""
        return f"{self.score:.3f} {metric} on {len(self.results)} cases{detail}"

    def summary(self) -> str:
        return (
            f"{self.agent} [{self.split.value}]: {self.figures()} (floor {self.floor:.2f}, "
            f"engine {self.engine.value}, {self.seconds:.2f} s) {self.verdict()}"
        )


@dataclass(frozen=True)
class SplitReports:
    """An agent's dev report and, when it has a blind split, its blind report: the floor is
    the blind split's; the dev figures are shown beside it."""

    dev: EvalReport
    blind: EvalReport | None = None

    @property
    def floored(self) -> EvalReport:
        return self.blind or self.dev

    @property
    def passed(self) -> bool:
        return self.floored.passed

    def summary(self) -> str:
        """One line per agent, dev and blind side by side."""
        if self.blind is None:
            return self.dev.summary()
        seconds = self.dev.seconds + self.blind.seconds
        return (
            f"{self.dev.agent}: dev {self.dev.figures()} | blind {self.blind.figures()} "
            f"(blind floor {self.blind.floor:.2f}, engine {self.blind.engine.value}, "
            f"{seconds:.2f} s) {self.blind.verdict()}"
        )

    def reports(self) -> list[EvalReport]:
        return [self.dev] if self.blind is None else [self.dev, self.blind]


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
    load_blind_cases: Callable[[], Sequence[GoldenCase[InputT, ExpectedT]]] | None = None
    """The blind split (see Split.BLIND), judged and measured the same way; None when the
    agent has none yet, and then the floor applies to the dev cases."""
    blind_interim_floor: float | None = None
    """See EvalReport.interim_floor: None once the engine meets `floor` on the blind split."""

    def cases(self, split: Split) -> Sequence[GoldenCase[InputT, ExpectedT]]:
        if split is Split.DEV:
            return self.load_cases()
        return self.load_blind_cases() if self.load_blind_cases is not None else ()


_suites: dict[str, EvalSuite[Any, Any]] = {}

DatabaseCheck = Callable[[Database, Split], Awaitable[EvalReport]]
"""A golden set scored against a database of its own (the check loads its split's data
into it): each split gets a fresh database."""


@dataclass(frozen=True)
class RegisteredCheck:
    name: str
    check: DatabaseCheck
    splits: tuple[Split, ...]


_database_checks: dict[str, RegisteredCheck] = {}


def register_database_check(
    name: str, check: DatabaseCheck, splits: tuple[Split, ...] = (Split.DEV,)
) -> DatabaseCheck:
    _database_checks[name] = RegisteredCheck(name, check, splits)
    return check


def database_checks(selector: str | None = None) -> list[RegisteredCheck]:
    """Checks named `selector` or under it (`leads` selects `leads.*`); all when None."""
    return [
        _database_checks[name]
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


async def run_splits(
    suite: EvalSuite[Any, Any], *, engine: Engine, gateway: ModelGateway | None
) -> SplitReports:
    """The suite's dev split and, when it has one, its blind split."""
    dev = await run_suite(suite, engine=engine, gateway=gateway)
    if suite.load_blind_cases is None:
        return SplitReports(dev=dev)
    blind = await run_suite(suite, engine=engine, gateway=gateway, split=Split.BLIND)
    return SplitReports(dev=dev, blind=blind)


async def run_suite(
    suite: EvalSuite[Any, Any],
    *,
    engine: Engine,
    gateway: ModelGateway | None,
    split: Split = Split.DEV,
) -> EvalReport:
    started = time.perf_counter()
    results = []
    outputs: list[tuple[Any, dict[str, Any] | None]] = []
    for case in suite.cases(split):
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
        split=split,
        interim_floor=suite.blind_interim_floor if split is Split.BLIND else None,
    )
