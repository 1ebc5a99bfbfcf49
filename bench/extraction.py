"""Benchmark: the deal-flow extractor's offline engine on the golden emails (every split)
and on hostile 500 KB bodies; target: each hostile body in ≤ 5 s (no database)."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from harness import percentile, run_bench, say  # bench/harness.py

from compound.modules.leads.contract import DealFlowEmail
from compound.modules.leads.evaluation import EVALS, EXTRACTION_BLIND, EXTRACTION_DEV
from compound.modules.leads.extraction import extract_companies
from compound.modules.leads.extraction_scoring import load_extraction_cases

TARGET_HOSTILE_S = 5.0


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=5, help="passes over the golden emails")
    parser.add_argument("--time-limit", type=int, default=600, help="abort the run after seconds")
    parser.add_argument("--keep-data", action="store_true", help="(no data is written)")
    return parser.parse_args(argv)


def hostile_bodies() -> dict[str, str]:
    entries = "\n".join(
        f"- Widget{i} (widget{i}.com) — gadgets for teams. Seed · Leeds" for i in range(20_000)
    )
    return {
        "one_word": "a" * 499_000,
        "words": "word " * 99_000,
        "parentheses": "(" * 250_000 + ")" * 249_000,
        "pipes": "|" * 499_000,
        "entries": entries[:500_000],
        "key_values": "\n".join(f"Website: x{i}.com\nStage: Seed\n" for i in range(30_000))[
            :500_000
        ],
        "numbered_no_urls": "\n".join(
            f"{i % 999}. Widget{i} — gadgets for teams" for i in range(20_000)
        )[:500_000],
    }


def run(args: argparse.Namespace, data_dir: Path) -> dict[str, Any]:
    emails = [
        case.email
        for folder in (*EXTRACTION_DEV, *EXTRACTION_BLIND)
        for case in load_extraction_cases(EVALS / folder)
    ]
    for email in emails:  # warm-up: regex compilation, caches
        extract_companies(email)
    golden_ms = []
    for _ in range(args.rounds):
        for email in emails:
            started = time.perf_counter()
            extract_companies(email)
            golden_ms.append((time.perf_counter() - started) * 1000)
    hostile_s = {}
    for name, text in hostile_bodies().items():
        started = time.perf_counter()
        extract_companies(DealFlowEmail(text=text, sender="bench@example-incubator.org"))
        hostile_s[name] = round(time.perf_counter() - started, 3)
    say(f"{len(golden_ms)} golden extractions, {len(hostile_s)} hostile bodies")
    return {
        "golden_emails": len(emails),
        "golden_p50_ms": round(percentile(golden_ms, 50), 2),
        "golden_p95_ms": round(percentile(golden_ms, 95), 2),
        "hostile_s": hostile_s,
        "hostile_max_s": max(hostile_s.values()),
        "target_hostile_s": TARGET_HOSTILE_S,
        "target_met": max(hostile_s.values()) <= TARGET_HOSTILE_S,
    }


def main(argv: Sequence[str] | None = None) -> int:
    return run_bench(run, parse_args(argv), prefix="cx-")


if __name__ == "__main__":
    sys.exit(main())
