"""`compound eval`: golden cases scored per agent on the offline engine and, through the real
openai client, on a model; a score below the floor is a failing exit code."""

from __future__ import annotations

import json
import os
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import pytest

from compound.agents.runtime import evaluation
from compound.agents.runtime.evaluation import Split
from compound.agents.runtime.models import Engine
from compound.agents.triage.contract import EmailForTriage, TriageKind
from compound.agents.triage.evaluation import GOLDEN_CASES, TRIAGE_EVALS
from compound.platform.errors import CompoundError
from tests.conftest import REPOSITORY_ROOT, compound_command
from tests.llm_server import Scripted, chat_json, running_llm_server


def compound_eval(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        compound_command("eval", *args),
        env={**os.environ, "COMPOUND_OPENAI_BASE_URL": "", **env},
        cwd=REPOSITORY_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )


def expected_by_subject() -> dict[str, str]:
    answers = {}
    for path in GOLDEN_CASES.glob("*.toml"):
        data = tomllib.loads(path.read_text())
        answers[data["email"].get("subject", "")] = data["expected_kind"]
    return answers


def test_the_triage_set_has_at_least_40_realistic_cases_of_every_kind() -> None:
    cases = TRIAGE_EVALS.load_cases()
    assert len(cases) >= 40
    kinds = {case.expected.kind for case in cases}
    assert kinds == {kind.value for kind in TriageKind}


async def test_the_offline_engine_reaches_the_floor() -> None:
    report = await evaluation.run_suite(TRIAGE_EVALS, engine=Engine.OFFLINE, gateway=None)
    assert report.passed, [r for r in report.results if not r.passed]
    assert report.score >= 0.8


def test_compound_eval_prints_the_score_and_passes_offline() -> None:
    result = compound_eval("triage", "--engine", "offline")
    assert result.returncode == 0, result.stderr
    line = result.stdout.strip().splitlines()[-1]
    # Dev and blind side by side; the floor is the blind split's.
    assert line.startswith("triage: dev 0.9") and " | blind " in line, line
    assert "(blind floor 0.80, engine offline" in line and ") ok" in line, line


def _answer_from(expected: dict[str, str], *, wrong: bool) -> Any:
    def respond(path: str, request: dict[str, Any]) -> Scripted | None:
        if not path.endswith("/chat/completions"):
            return None
        email = json.loads(request["messages"][1]["content"])
        kind = expected.get(email.get("subject", ""), "other")
        if wrong:
            kind = "newsletter" if kind != "newsletter" else "other"
        return chat_json({"kind": kind, "ask": "Handle this email.", "confidence": 0.9})

    return respond


@pytest.mark.parametrize("wrong", [False, True], ids=["model-right", "model-wrong"])
def test_compound_eval_on_a_model_scores_its_answers(wrong: bool) -> None:
    with running_llm_server() as server:
        server.responder = _answer_from(expected_by_subject(), wrong=wrong)
        result = compound_eval(
            "triage",
            "--engine",
            "model",
            COMPOUND_OPENAI_BASE_URL=server.url,
            COMPOUND_OPENAI_API_KEY="test-key",
        )
        requests = server.chat_requests()
    both_splits = [*TRIAGE_EVALS.cases(Split.DEV), *TRIAGE_EVALS.cases(Split.BLIND)]
    assert len(requests) == len(both_splits)
    assert requests[0]["response_format"]["json_schema"]["name"] == "Triage"
    line = result.stdout.strip().splitlines()[-1]
    if wrong:
        assert result.returncode == 1
        assert line.startswith("triage: dev 0.000 accuracy") and "BELOW FLOOR" in line
    else:
        assert result.returncode == 0, result.stdout + result.stderr
        assert line.startswith("triage: dev 1.000 accuracy") and "engine model" in line


def test_compound_eval_refuses_what_it_cannot_do() -> None:
    unknown = compound_eval("nobody")
    assert unknown.returncode == 2
    assert "no eval suite for agent 'nobody'; suites: " in unknown.stderr
    assert "leads.extract" in unknown.stderr and "triage" in unknown.stderr
    no_model = compound_eval("triage", "--engine", "model")
    assert no_model.returncode == 2
    assert "COMPOUND_OPENAI_BASE_URL" in no_model.stderr


@pytest.mark.parametrize(
    "content",
    [
        'expected_kind = "other"\n[email\nsender = "x"',
        'expected_kind = "other"\n[email]\nsender = "x@y.z"\nsurprise = 1\n',
        '[email]\nsender = "x@y.z"\n',
        'expected_kind = "other"\n',
    ],
    ids=["bad-toml", "unknown-field", "no-expected", "no-email"],
)
def test_a_broken_golden_case_is_named(tmp_path: Path, content: str) -> None:
    (tmp_path / "001-broken.toml").write_text(content)
    with pytest.raises(CompoundError, match=r"001-broken\.toml is broken"):
        evaluation.toml_cases(tmp_path, EmailForTriage, "expected_kind")
