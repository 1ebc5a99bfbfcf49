"""Benchmark: the triage agent's offline engine — ms per email on the golden cases and on
hostile, huge bodies (no database: the engine is pure Python)."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from harness import percentile, run_bench, say  # bench/harness.py

from compound.agents.triage.contract import EmailForTriage
from compound.agents.triage.evaluation import TRIAGE_EVALS
from compound.agents.triage.offline import triage_offline

TARGET_P95_MS = 5.0


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=50, help="passes over the golden cases")
    parser.add_argument("--time-limit", type=int, default=300, help="abort the run after seconds")
    parser.add_argument("--keep-data", action="store_true", help="(no data is written)")
    return parser.parse_args(argv)


def timed(emails: list[EmailForTriage], rounds: int) -> list[float]:
    durations = []
    for _ in range(rounds):
        for email in emails:
            started = time.perf_counter()
            triage_offline(email)
            durations.append((time.perf_counter() - started) * 1000)
    return durations


def run(args: argparse.Namespace, data_dir: Path) -> dict[str, Any]:
    golden = [case.input for case in TRIAGE_EVALS.load_cases()]
    huge = [
        EmailForTriage(sender="a@b.example", text="- Acme (acme.io) — robots\n" * 7_500),
        EmailForTriage(sender="a@b.example", text="word " * 40_000),
        EmailForTriage(sender="a@b.example", text="\u0301" * 150_000),
    ]
    timed(golden, 1)  # warm-up: regex compilation, imports
    golden_ms = timed(golden, args.rounds)
    huge_ms = timed(huge, max(1, args.rounds // 5))
    say(f"{len(golden_ms)} golden triages, {len(huge_ms)} huge ones")
    return {
        "golden_emails": len(golden),
        "golden_p50_ms": round(percentile(golden_ms, 50), 3),
        "golden_p95_ms": round(percentile(golden_ms, 95), 3),
        "huge_p95_ms": round(percentile(huge_ms, 95), 3),
        "huge_max_ms": round(max(huge_ms), 3),
        "emails_per_s": round(len(golden_ms) / (sum(golden_ms) / 1000), 1),
        "target_p95_ms": TARGET_P95_MS,
        "target_met": percentile(golden_ms, 95) <= TARGET_P95_MS
        and percentile(huge_ms, 95) <= TARGET_P95_MS,
    }


def main(argv: Sequence[str] | None = None) -> int:
    return run_bench(run, parse_args(argv), prefix="ct-")


if __name__ == "__main__":
    sys.exit(main())
