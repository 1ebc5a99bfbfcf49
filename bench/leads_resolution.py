"""Benchmark and score: company resolution (modules/leads/resolution.py) on the golden CRM
of modules/leads/evals/resolution/ — 2,400 companies with near-duplicates loaded through
the company service, then every case resolved. Prints precision (wrong links count
against it), link recall, accuracy over link/create/ask, latency, and the misses by kind."""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from harness import percentile, run_bench, say  # bench/harness.py

from compound.modules.leads.resolution_eval import load_golden_crm, score_resolution
from compound.platform import migrations
from compound.platform.database import Database
from compound.platform.embedded_postgres import start_embedded_postgres


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--time-limit", type=int, default=900, help="abort the run after seconds")
    parser.add_argument("--keep-data", action="store_true", help="leave the data folder behind")
    parser.add_argument("-v", "--verbose", action="store_true", help="print every miss")
    return parser.parse_args(argv)


async def measure(args: argparse.Namespace, url: str) -> dict[str, Any]:
    database = Database.connect(url, pool_size=2)
    started = time.monotonic()
    keys = await load_golden_crm(database)
    say(f"loaded {len(keys)} companies in {time.monotonic() - started:.1f} s")
    score = await score_resolution(database, keys)
    await database.dispose()
    if args.verbose:
        for miss in score.misses:
            say(f"  miss {miss}")
    for kind in sorted(score.by_kind):
        if score.right_by_kind[kind] < score.by_kind[kind]:
            say(f"{kind:42} {score.right_by_kind[kind]}/{score.by_kind[kind]}")
    return {
        "companies": len(keys),
        "cases": score.cases,
        "links_made": score.links_made,
        "wrong_links": score.wrong_links,
        "precision": round(score.precision, 4),
        "link_recall": round(score.recall, 4),
        "accuracy": round(score.accuracy, 4),
        "p50_ms": round(percentile(score.latencies_ms, 50), 1),
        "p95_ms": round(percentile(score.latencies_ms, 95), 1),
    }


def run(args: argparse.Namespace, data_dir: Path) -> dict[str, Any]:
    url = start_embedded_postgres(data_dir / "pgdata", database="bench_resolution")
    migrations.upgrade(url)
    return asyncio.run(measure(args, url))


def main(argv: Sequence[str] | None = None) -> int:
    return run_bench(run, parse_args(argv), prefix="cl-")


if __name__ == "__main__":
    sys.exit(main())
