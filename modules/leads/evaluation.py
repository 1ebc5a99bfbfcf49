"""The leads module's golden sets, registered for `compound eval leads`: extraction
precision/recall (F1 floor 0.85), fit accuracy, and resolution precision and recall on the
golden CRM (precision ≥ 0.99 with recall ≥ 0.90)."""

from __future__ import annotations

import time
import tomllib
from collections.abc import Sequence
from typing import Any

from compound.agents.runtime.evaluation import (
    CaseResult,
    EvalReport,
    EvalSuite,
    GoldenCase,
    Measure,
    register_database_check,
    register_suite,
)
from compound.agents.runtime.models import Engine
from compound.modules.leads import extraction_scoring
from compound.modules.leads.agents import EXTRACT, JUDGE_FIT, FitRequest
from compound.modules.leads.contract import DealFlowEmail, ExtractedCompany, Span
from compound.modules.leads.fit import IcpCriteria
from compound.modules.leads.resolution_eval import (
    PRECISION_FLOOR,
    RECALL_FLOOR,
    load_golden_crm,
    score_resolution,
)
from compound.platform.database import Database
from compound.platform.errors import CompoundError
from compound.platform.resources import package_path

EVALS = package_path("compound.modules.leads", "evals")
EXTRACTION_F1_FLOOR = 0.85
FIT_ACCURACY_FLOOR = 0.75


# --- extraction ---------------------------------------------------------------------------


def _extraction_cases() -> list[GoldenCase[DealFlowEmail, extraction_scoring.ExtractionCase]]:
    return [
        GoldenCase(name=case.name, input=case.email, expected=case)
        for case in extraction_scoring.load_extraction_cases()
    ]


def _extraction_judge(
    case: extraction_scoring.ExtractionCase, output: dict[str, Any]
) -> tuple[bool, str]:
    got = [ExtractedCompany.model_validate(c) for c in output.get("companies", [])]
    score = extraction_scoring.score_case(case, got)
    return score.f1 >= EXTRACTION_F1_FLOOR, score.detail()


def _extraction_measure(
    outputs: Sequence[tuple[extraction_scoring.ExtractionCase, dict[str, Any] | None]],
) -> Measure:
    scores = [
        extraction_scoring.score_case(
            case,
            [ExtractedCompany.model_validate(c) for c in (output or {}).get("companies", [])],
        )
        for case, output in outputs
    ]
    total = extraction_scoring.combine(scores)
    return Measure(
        score=total.f1,
        metric="F1",
        detail=f"precision {total.precision:.3f}, recall {total.recall:.3f}",
    )


register_suite(
    EvalSuite(
        agent=EXTRACT,
        floor=EXTRACTION_F1_FLOOR,
        load_cases=_extraction_cases,
        judge=_extraction_judge,
        measure=_extraction_measure,
        description="candidates extracted from deal-flow emails written for this purpose",
    )
)


# --- fit ----------------------------------------------------------------------------------


def _fit_cases() -> list[GoldenCase[FitRequest, list[bool]]]:
    cases = []
    for path in sorted((EVALS / "fit").glob("*.toml")):
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
            companies = [
                ExtractedCompany(
                    name=c["name"],
                    url=c.get("url", ""),
                    one_liner=c.get("one_liner", ""),
                    sector=c.get("sector") or None,
                    stage=c.get("stage") or None,
                    location=c.get("location", ""),
                    span=Span(start=0, end=0),
                )
                for c in data["candidates"]
            ]
            cases.append(
                GoldenCase(
                    name=path.stem,
                    input=FitRequest(
                        icp=IcpCriteria.model_validate(data["icp"]), companies=companies
                    ),
                    expected=[bool(c["fit"]) for c in data["candidates"]],
                )
            )
        except (tomllib.TOMLDecodeError, KeyError, ValueError) as error:
            raise CompoundError(f"golden case {path} is broken: {error}") from None
    return cases


def _fit_agreement(expected: list[bool], output: dict[str, Any] | None) -> int:
    verdicts = (output or {}).get("verdicts", [])
    return sum(
        1
        for label, verdict in zip(expected, verdicts, strict=False)
        if bool(verdict.get("fits")) == label
    )


def _fit_judge(expected: list[bool], output: dict[str, Any]) -> tuple[bool, str]:
    right = _fit_agreement(expected, output)
    return right / len(
        expected
    ) >= FIT_ACCURACY_FLOOR, f"{right}/{len(expected)} fit decisions agree"


def _fit_measure(outputs: Sequence[tuple[list[bool], dict[str, Any] | None]]) -> Measure:
    right = sum(_fit_agreement(expected, output) for expected, output in outputs)
    total = sum(len(expected) for expected, _ in outputs)
    return Measure(
        score=right / total if total else 0.0,
        metric="fit accuracy",
        detail=f"{right}/{total} candidates",
    )


register_suite(
    EvalSuite(
        agent=JUDGE_FIT,
        floor=FIT_ACCURACY_FLOOR,
        load_cases=_fit_cases,
        judge=_fit_judge,
        measure=_fit_measure,
        description="fit/skip decisions against three ICPs, labelled by hand",
    )
)


# --- resolution (needs a database) ----------------------------------------------------------


async def _resolution_check(database: Database) -> EvalReport:
    started = time.perf_counter()
    keys = await load_golden_crm(database)
    score = await score_resolution(database, keys)
    return EvalReport(
        agent="leads.resolve",
        engine=Engine.OFFLINE,
        floor=PRECISION_FLOOR,
        results=tuple(
            [
                CaseResult(name=miss.split(" ", 1)[0], passed=False, detail=miss)
                for miss in score.misses
            ]
            + [CaseResult(name="right", passed=True, detail="")] * (score.cases - len(score.misses))
        ),
        seconds=time.perf_counter() - started,
        measure=Measure(
            # Precision is the floor that matters (a wrong link is a silent merge); below the
            # recall floor the check fails too, by scoring it zero.
            score=score.precision if score.recall >= RECALL_FLOOR else 0.0,
            metric="precision",
            detail=f"recall {score.recall:.3f} (floor {RECALL_FLOOR:.2f}), "
            f"{score.wrong_links} wrong links of {score.links_made}, "
            f"accuracy {score.accuracy:.3f} on {len(keys)} companies",
        ),
    )


register_database_check("leads.resolve", _resolution_check)
