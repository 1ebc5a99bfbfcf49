"""The leads module's golden sets, registered for `compound eval leads`: extraction
precision/recall, fit accuracy, and resolution precision and recall on a golden CRM. Each
has a dev split (the sets the engines were written from) and a blind split (written by
someone who had not read them, before they changed); the floors are the blind split's."""

from __future__ import annotations

import time
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from compound.agents.runtime.evaluation import (
    CaseResult,
    EvalReport,
    EvalSuite,
    GoldenCase,
    Measure,
    Split,
    register_database_check,
    register_suite,
)
from compound.agents.runtime.models import Engine
from compound.modules.leads import extraction_scoring
from compound.modules.leads.agents import EXTRACT, JUDGE_FIT, FitRequest
from compound.modules.leads.contract import DealFlowEmail, ExtractedCompany, Span
from compound.modules.leads.fit import IcpCriteria
from compound.modules.leads.resolution_eval import (
    BLIND as RESOLUTION_BLIND,
)
from compound.modules.leads.resolution_eval import (
    GOLDEN as RESOLUTION_DEV,
)
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
EXTRACTION_DEV = ("extraction", "extraction_dev", "extraction_holdout")
"""The first held-out set counts as dev: its failures were named to the rule writer."""
EXTRACTION_BLIND = ("extraction_blind", "extraction_blind_2")
"""The second batch was written after the first one's failures had been looked at."""
EXTRACTION_F1_FLOOR = 0.90
FIT_ACCURACY_FLOOR = 0.85
FIT_RECALL_FLOOR = 0.90
"""Of the candidates the ICP plainly fits, the share judged fit (a missed fit is a lost lead)."""


# --- extraction ---------------------------------------------------------------------------


def _extraction_cases(
    folders: Sequence[str],
) -> list[GoldenCase[DealFlowEmail, extraction_scoring.ExtractionCase]]:
    return [
        GoldenCase(name=f"{folder}/{case.name}", input=case.email, expected=case)
        for folder in folders
        for case in extraction_scoring.load_extraction_cases(EVALS / folder)
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
        load_cases=lambda: _extraction_cases(EXTRACTION_DEV),
        load_blind_cases=lambda: _extraction_cases(EXTRACTION_BLIND),
        # Blind F1 0.495 on the first batch when it was written (issue 15), 0.661 once lists
        # were read by their shape; the second batch, written after that, scores 0.949 (0.593
        # without the shapes), 0.762 together. Raised as the engine improves.
        blind_interim_floor=0.76,
        judge=_extraction_judge,
        measure=_extraction_measure,
        description="candidates extracted from deal-flow emails written for this purpose",
    )
)


# --- fit ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class FitLabel:
    """A person's label for one candidate: fit or skip, and how plain the call is
    (`plain_fit`, `plain_miss`, `borderline`, `little_known`; "" in the dev split)."""

    fit: bool
    kind: str = ""


def _fit_cases(folder: str) -> list[GoldenCase[FitRequest, list[FitLabel]]]:
    cases = []
    for path in sorted((EVALS / folder).glob("*.toml")):
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
                    expected=[
                        FitLabel(fit=bool(c["fit"]), kind=c.get("kind", ""))
                        for c in data["candidates"]
                    ],
                )
            )
        except (tomllib.TOMLDecodeError, KeyError, ValueError) as error:
            raise CompoundError(f"golden case {path} is broken: {error}") from None
    return cases


def _fit_pairs(
    expected: list[FitLabel], output: dict[str, Any] | None
) -> list[tuple[FitLabel, bool]]:
    """(label, judged fit) per candidate; a missing verdict counts as a skip."""
    verdicts = (output or {}).get("verdicts", [])
    judged = [bool(verdict.get("fits")) for verdict in verdicts]
    return [(label, index < len(judged) and judged[index]) for index, label in enumerate(expected)]


def _fit_judge(expected: list[FitLabel], output: dict[str, Any]) -> tuple[bool, str]:
    pairs = _fit_pairs(expected, output)
    right = sum(label.fit == judged for label, judged in pairs)
    wrong = [
        f"#{index + 1} {'missed fit' if label.fit else 'false fit'}"
        + (f" ({label.kind})" if label.kind else "")
        for index, (label, judged) in enumerate(pairs)
        if label.fit != judged
    ]
    detail = f"{right}/{len(expected)} fit decisions agree" + (
        f": {', '.join(wrong)}" if wrong else ""
    )
    return right / len(expected) >= FIT_ACCURACY_FLOOR, detail


def _fit_measure(outputs: Sequence[tuple[list[FitLabel], dict[str, Any] | None]]) -> Measure:
    pairs = [pair for expected, output in outputs for pair in _fit_pairs(expected, output)]
    right = sum(label.fit == judged for label, judged in pairs)
    plain = [judged for label, judged in pairs if label.kind == "plain_fit"]
    recall = sum(plain) / len(plain) if plain else None
    plain_recall = (
        f", recall of plain fits {recall:.3f} ({sum(plain)}/{len(plain)})" if plain else ""
    )
    unmet = (
        f"recall of plain fits {recall:.3f} < {FIT_RECALL_FLOOR:.2f}"
        if recall is not None and recall < FIT_RECALL_FLOOR
        else ""
    )
    return Measure(
        score=right / len(pairs) if pairs else 0.0,
        metric="fit accuracy",
        detail=f"{right}/{len(pairs)} candidates{plain_recall}",
        unmet=unmet,
    )


register_suite(
    EvalSuite(
        agent=JUDGE_FIT,
        floor=FIT_ACCURACY_FLOOR,
        load_cases=lambda: _fit_cases("fit"),
        load_blind_cases=lambda: _fit_cases("fit_blind"),
        # Blind accuracy 0.481 when the split was written (issue 15), 0.759 once an ICP
        # sentence was read into criteria; raised as the judge improves.
        blind_interim_floor=0.75,
        judge=_fit_judge,
        measure=_fit_measure,
        description="fit/skip decisions against ICPs, labelled by hand",
    )
)


# --- resolution (needs a database) ----------------------------------------------------------


async def _resolution_check(database: Database, split: Split) -> EvalReport:
    started = time.perf_counter()
    folder = RESOLUTION_BLIND if split is Split.BLIND else RESOLUTION_DEV
    keys = await load_golden_crm(database, folder)
    score = await score_resolution(database, keys, folder)
    unmet = [
        *(
            [f"recall {score.recall:.3f} < {RECALL_FLOOR:.2f}"]
            if score.recall < RECALL_FLOOR
            else []
        ),
        *([f"{score.silent_duplicates} silent duplicates"] if score.silent_duplicates else []),
    ]
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
            # Precision is the floor that matters (a wrong link is a silent merge); recall and
            # silent duplicates of renamed companies are floors too.
            score=score.precision,
            metric="precision",
            detail=f"recall {score.recall:.3f}, "
            f"{score.wrong_links} wrong links of {score.links_made}, "
            f"{score.silent_duplicates} silent duplicates, "
            f"accuracy {score.accuracy:.3f} on {len(keys)} companies",
            unmet=", ".join(unmet),
        ),
        split=split,
        # Blind precision 0.815 (recall 0.537, 53 silent duplicates) when the split was
        # written (issue 15), 0.950 (recall 0.601, 50) once name, domain and description were
        # weighed together; raised as the resolver improves.
        interim_floor=0.94 if split is Split.BLIND else None,
    )


register_database_check(
    "leads.resolve",
    _resolution_check,
    splits=(Split.DEV, Split.BLIND)
    if (RESOLUTION_BLIND / "cases.json").is_file()
    else (Split.DEV,),
)
