"""The leads golden cases are well-formed: every expected answer appears in its email, the
vocabularies hold, names are unique, expected companies exist (each folder's own check
script decides)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPOSITORY_ROOT

EVALS = REPOSITORY_ROOT / "modules" / "leads" / "evals"


def run_check(folder: Path, *arguments: str) -> str:
    result = subprocess.run(
        [sys.executable, str(folder / "check.py"), *arguments],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_the_extraction_cases_pass_their_checks() -> None:
    printed = run_check(EVALS / "extraction")
    totals = dict(
        line.split(":", 1)
        for line in printed.splitlines()
        if line.startswith(("emails", "candidates"))
    )
    assert int(totals["emails"]) >= 15
    assert int(totals["candidates"]) >= 300


@pytest.mark.parametrize(
    "folder", ["extraction_dev", "extraction_holdout", "extraction_blind", "extraction_blind_2"]
)
def test_the_dev_and_blind_extraction_sets_pass_the_same_check(folder: str) -> None:
    printed = run_check(EVALS / "extraction", str(EVALS / folder))
    assert printed.rstrip().endswith("ok"), printed


def test_the_blind_resolution_split_passes_its_check() -> None:
    printed = run_check(EVALS / "resolution_blind")
    assert printed.rstrip().endswith("OK"), printed


def test_the_resolution_crm_and_cases_pass_their_checks() -> None:
    printed = run_check(EVALS / "resolution")
    assert "2400 companies" in printed, printed
