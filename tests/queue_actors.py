"""Actors for the queue tests; each run appends to a log file, so runs are visible across
processes (the worker is a real `compound worker` subprocess)."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession

from compound.platform.auth.actor import Actor
from compound.platform.queue.actors import job
from compound.platform.records import companies


def run_log(marker: str) -> Path:
    return Path(os.environ["COMPOUND_TEST_JOB_LOG"]) / marker


def note(marker: str, word: str) -> None:
    with run_log(marker).open("a") as log:
        log.write(word + "\n")


def runs(marker: str) -> list[str]:
    path = run_log(marker)
    return path.read_text().split() if path.exists() else []


@job("tests.record_run", max_retries=2, min_backoff_ms=100, max_backoff_ms=200)
async def record_run(
    session: AsyncSession,
    marker: str,
    fail_times: int = 0,
    sleep_seconds: float = 0.0,
    fail_while_exists: str | None = None,
) -> None:
    """Log a start, maybe fail or sleep, create a company named `marker` once, log an end."""
    note(marker, "start")
    attempt = runs(marker).count("start")
    if attempt <= fail_times:
        raise RuntimeError(f"planned failure {attempt} of {fail_times}")
    if fail_while_exists and os.path.exists(fail_while_exists):  # noqa: ASYNC240
        raise RuntimeError(f"{fail_while_exists} still exists")
    await asyncio.sleep(sleep_seconds)
    page = await companies.list_companies(
        session, first=1, filter=companies.CompanyFilter(name_contains=marker), with_total=False
    )
    if not page.items:  # safe to run twice
        await companies.create_company(
            session, Actor.system("tests"), name=marker, compute_embedding=False
        )
    note(marker, "end")
