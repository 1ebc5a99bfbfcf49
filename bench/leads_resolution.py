"""Benchmark and score: company resolution (modules/leads/resolution.py) on the golden CRM
of modules/leads/evals/resolution/ — 2,400 companies with near-duplicates loaded through
the company service, then every case resolved. Prints precision (wrong links count
against it), link recall, accuracy over link/create/ask, latency, and the misses by kind."""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from harness import percentile, run_bench, say  # bench/harness.py

from compound.modules.leads.resolution import Action, resolve_company
from compound.platform import migrations
from compound.platform.auth.actor import Actor
from compound.platform.database import Database
from compound.platform.embedded_postgres import start_embedded_postgres
from compound.platform.records import companies
from compound.platform.records.embedding_backfill import embed_missing

GOLDEN = Path(__file__).resolve().parents[1] / "modules" / "leads" / "evals" / "resolution"


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--time-limit", type=int, default=900, help="abort the run after seconds")
    parser.add_argument("--keep-data", action="store_true", help="leave the data folder behind")
    parser.add_argument("-v", "--verbose", action="store_true", help="print every miss")
    return parser.parse_args(argv)


async def load_crm(database: Database, crm: list[dict[str, Any]]) -> dict[str, str]:
    actor = Actor.system("bench")
    keys: dict[str, str] = {}
    async with database.session() as session:
        for record in crm:
            company = await companies.create_company(
                session,
                actor,
                name=record["name"],
                domain=record.get("domain"),
                description=record.get("description"),
                aliases=record.get("aliases") or [],
                compute_embedding=False,
            )
            keys[str(company.id)] = record["key"]
    while True:  # the embeddings in batches, as the background job makes them
        async with database.session() as session:
            if await embed_missing(session, limit=512) == 0:
                return keys


async def measure(args: argparse.Namespace, url: str) -> dict[str, Any]:
    crm = json.loads((GOLDEN / "crm.json").read_text())
    cases = json.loads((GOLDEN / "cases.json").read_text())
    database = Database.connect(url, pool_size=2)
    started = time.monotonic()
    keys = await load_crm(database, crm)
    say(f"loaded {len(crm)} companies in {time.monotonic() - started:.1f} s")
    links = wrong = right = link_cases = found = correct = 0
    by_kind: collections.Counter[str] = collections.Counter()
    right_by_kind: collections.Counter[str] = collections.Counter()
    latencies = []
    for case in cases:
        async with database.session() as session:
            began = time.perf_counter()
            result = await resolve_company(
                session, name=case["name"], url_hint=case.get("url_hint"), context=case["context"]
            )
            latencies.append((time.perf_counter() - began) * 1000)
        expected = case["expected"]
        got = keys.get(str(result.company_id)) if result.company_id else None
        if result.action is Action.LINK:
            links += 1
            good = expected["action"] == "link" and expected["key"] == got
            right += good
            wrong += not good
        else:
            good = result.action.value == expected["action"]
        if expected["action"] == "link":
            link_cases += 1
            found += result.action is Action.LINK and got == expected["key"]
        correct += good
        by_kind[case["kind"]] += 1
        right_by_kind[case["kind"]] += good
        if not good and args.verbose:
            say(
                f"  miss {case['id']} {case['kind']}: {case['name']!r} → {result.action.value}"
                f" ({result.reason})"
            )
    await database.dispose()
    for kind in sorted(by_kind):
        if right_by_kind[kind] < by_kind[kind]:
            say(f"{kind:42} {right_by_kind[kind]}/{by_kind[kind]}")
    return {
        "companies": len(crm),
        "cases": len(cases),
        "links_made": links,
        "wrong_links": wrong,
        "precision": round(right / links, 4) if links else None,
        "link_recall": round(found / link_cases, 4),
        "accuracy": round(correct / len(cases), 4),
        "p50_ms": round(percentile(latencies, 50), 1),
        "p95_ms": round(percentile(latencies, 95), 1),
    }


def run(args: argparse.Namespace, data_dir: Path) -> dict[str, Any]:
    url = start_embedded_postgres(data_dir / "pgdata", database="bench_resolution")
    migrations.upgrade(url)
    return asyncio.run(measure(args, url))


def main(argv: Sequence[str] | None = None) -> int:
    return run_bench(run, parse_args(argv), prefix="cl-")


if __name__ == "__main__":
    sys.exit(main())
