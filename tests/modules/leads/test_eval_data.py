"""The leads golden cases are well-formed: every expected answer appears in its email, the
vocabularies hold, names are unique (the folder's own check script decides)."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import REPOSITORY_ROOT

EXTRACTION = REPOSITORY_ROOT / "modules" / "leads" / "evals" / "extraction"
RESOLUTION = REPOSITORY_ROOT / "modules" / "leads" / "evals" / "resolution"


def test_the_extraction_cases_pass_their_checks() -> None:
    result = subprocess.run(
        [sys.executable, str(EXTRACTION / "check.py")],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    totals = dict(
        line.split(":", 1)
        for line in result.stdout.splitlines()
        if line.startswith(("emails", "candidates"))
    )
    assert int(totals["emails"]) >= 15
    assert int(totals["candidates"]) >= 300


def test_the_resolution_crm_and_cases_pass_their_checks() -> None:
    result = subprocess.run(
        [sys.executable, str(RESOLUTION / "check.py")],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
