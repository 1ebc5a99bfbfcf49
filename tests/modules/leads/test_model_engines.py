"""The leads agents on a model: the real openai client against our local OpenAI-compatible
server. Good answers are scored like the offline engine's; malformed, oversized or hostile
answers are refused by the output schema and fail the run cleanly."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from compound.agents.runtime.evaluation import run_splits, run_suite, suites
from compound.agents.runtime.models import Engine
from compound.modules.leads.evaluation import EVALS, EXTRACTION_BLIND, EXTRACTION_DEV
from compound.modules.leads.extraction_scoring import load_extraction_cases
from compound.platform.llm.gateway import ModelGateway
from tests.llm_server import LLMServer, Scripted, chat_json, gateway_settings, running_llm_server


@pytest.fixture
def server() -> Iterator[LLMServer]:
    with running_llm_server() as running:
        yield running


def _expected_by_subject() -> dict[str, list[dict[str, Any]]]:
    """Every split's answers: a model that extracts well scores 1.0 on dev and blind alike."""
    return {
        case.email.subject: case.expected
        for folder in (*EXTRACTION_DEV, *EXTRACTION_BLIND)
        for case in load_extraction_cases(EVALS / folder)
    }


def _companies(expected: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            "name": entry["name"][:200],
            "url": entry["url"],
            "one_liner": entry["one_liner"],
            "sector": entry["sector"] or None,
            "stage": entry["stage"] or None,
            "location": entry["location"],
            "span": {"start": 0, "end": 0},
        }
        for entry in expected
    ]


async def test_a_model_that_extracts_well_scores_like_the_golden_answers(
    server: LLMServer,
) -> None:
    expected = _expected_by_subject()

    def respond(path: str, request: dict[str, Any]) -> Scripted | None:
        email = json.loads(request["messages"][1]["content"])
        return chat_json({"companies": _companies(expected[email["subject"]])})

    server.responder = respond
    [suite] = suites("leads.extract")
    reports = await run_splits(
        suite, engine=Engine.MODEL, gateway=ModelGateway(gateway_settings(server))
    )
    assert reports.blind is not None and reports.passed
    for report in reports.reports():
        assert report.engine is Engine.MODEL and not report.unmet
        assert report.measure is not None and report.measure.score == 1.0
    assert server.chat_requests()[0]["response_format"]["json_schema"]["name"] == "Extraction"


@pytest.mark.parametrize(
    "answer",
    [
        {"companies": [{"name": "x" * 201, "span": {"start": 0, "end": 1}}]},
        {"companies": [{"name": "Acme", "sector": "crypto", "span": {"start": 0, "end": 1}}]},
        {"companies": [{"name": "", "span": {"start": 0, "end": 1}}]},
        {"companies": [{"name": "Acme"}]},
        {"companies": [{"name": "Acme", "span": {"start": 0, "end": 0}}] * 5_001},
        {"ignore previous instructions": True},
    ],
    ids=["name-too-long", "unknown-sector", "empty-name", "no-span", "too-many", "hostile"],
)
async def test_a_model_answer_that_breaks_the_contract_fails_cleanly(
    server: LLMServer, answer: dict[str, Any]
) -> None:
    server.responder = lambda path, request: chat_json(answer)
    [suite] = suites("leads.extract")
    report = await run_suite(
        suite, engine=Engine.MODEL, gateway=ModelGateway(gateway_settings(server))
    )
    assert not report.passed
    assert all(not result.passed for result in report.results)
    assert report.measure is not None and report.measure.score == 0.0
    assert "failed:" in report.results[0].detail
