"""Benchmark: agent runs through `compound worker` — a batch fanning out N child runs (offline
engines, one write each) until the join, and single runs end to end."""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from harness import percentile, run_bench, say  # bench/harness.py
from job_queue import STALL_SECONDS, start_worker, stop_worker  # bench/job_queue.py
from runs_bench_agents import BATCH, HANDLER  # bench/runs_bench_agents.py
from sqlalchemy import func, select
from sqlmodel import col

from compound.agents.runtime import service as runs
from compound.agents.runtime.models import AgentRun
from compound.agents.triage.contract import EmailForTriage
from compound.platform import migrations
from compound.platform.auth.actor import Actor
from compound.platform.database import Database
from compound.platform.embedded_postgres import start_embedded_postgres

BENCH_DIR = Path(__file__).resolve().parent
ACTOR = Actor.system("bench")


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--children", type=int, default=50, help="child runs per batch")
    parser.add_argument("--batches", type=int, default=5, help="batches, one after another")
    parser.add_argument("--singles", type=int, default=200, help="single runs, all at once")
    parser.add_argument("--processes", type=int, default=2, help="worker processes")
    parser.add_argument("--threads", type=int, default=4, help="threads per worker process")
    parser.add_argument("--time-limit", type=int, default=900, help="abort the run after seconds")
    parser.add_argument("--keep-data", action="store_true", help="leave the data folder behind")
    return parser.parse_args(argv)


def email(index: int, batch: str) -> EmailForTriage:
    return EmailForTriage(
        sender=f"founder{index}@startup{index}.example",
        to=["hello@compound.localhost"],
        subject=f"Bench {batch} company {index}",
        text="Hi, we would love a demo of Compound for our sales team next week. Pricing?",
    )


async def wait_finished(database: Database, run_ids: list[uuid.UUID], data_dir: Path) -> float:
    """Seconds until every run in `run_ids` is done or failed."""
    started = time.monotonic()
    last_progress, last_count = started, -1
    while True:
        async with database.session() as session:
            finished = await session.scalar(
                select(func.count())
                .select_from(AgentRun)
                .where(col(AgentRun.id).in_(run_ids))
                .where(col(AgentRun.state).in_(["done", "failed"]))
            )
        count = int(finished or 0)
        now = time.monotonic()
        if count == len(run_ids):
            return now - started
        if count != last_count:
            last_progress, last_count = now, count
        elif now - last_progress > STALL_SECONDS:
            log = (data_dir / "worker.log").read_text(errors="replace")[-3000:]
            raise RuntimeError(f"runs stalled at {count}/{len(run_ids)}; worker log:\n{log}")
        await asyncio.sleep(0.01)


async def measure(args: argparse.Namespace, url: str, data_dir: Path) -> dict[str, Any]:
    database = Database.connect(url, pool_size=4)
    worker = start_worker(
        url,
        data_dir,
        None,
        args.processes,
        args.threads,
        module="runs_bench_agents",
        log_name="worker.log",
    )
    try:
        # Warm-up: imports, connections, the first plans of each query.
        async with database.session() as session:
            warm = await runs.start_run(session, ACTOR, BATCH, {"emails": [email(0, "warm")] * 4})
        await wait_finished(database, [warm.id], data_dir)

        join_seconds = []
        for round_number in range(args.batches):
            batch = uuid.uuid4().hex[:6]
            emails = [email(i, batch) for i in range(args.children)]
            async with database.session() as session:
                root = await runs.start_run(session, ACTOR, BATCH, {"emails": emails})
            seconds = await wait_finished(database, [root.id], data_dir)
            async with database.session() as session:
                finished = await session.get(AgentRun, root.id)
            assert finished is not None and finished.output == {
                "done": args.children,
                "failed": 0,
            }, finished.output if finished else None
            join_seconds.append(seconds)
            say(f"batch {round_number + 1}: {args.children} children joined in {seconds:.2f} s")

        batch = uuid.uuid4().hex[:6]
        async with database.session() as session:
            singles = [
                (await runs.start_run(session, ACTOR, HANDLER, email(i, batch))).id
                for i in range(args.singles)
            ]
        singles_seconds = await wait_finished(database, singles, data_dir)
        async with database.session() as session:
            spans = (
                await session.execute(
                    select(AgentRun.created_at, AgentRun.started_at, AgentRun.finished_at).where(  # type: ignore[call-overload]
                        col(AgentRun.id).in_(singles)
                    )
                )
            ).all()
        start_ms = [(s - c).total_seconds() * 1000 for c, s, _ in spans if s]
        total_ms = [(f - c).total_seconds() * 1000 for c, _, f in spans if f]
        say(f"{args.singles} single runs in {singles_seconds:.2f} s")
    finally:
        stop_worker(worker)
        await database.dispose()
    return {
        "children_per_batch": args.children,
        "join_s_median": round(sorted(join_seconds)[len(join_seconds) // 2], 2),
        "join_s_max": round(max(join_seconds), 2),
        "child_runs_per_s": round(args.children / (sum(join_seconds) / len(join_seconds)), 1),
        "single_runs_per_s": round(args.singles / singles_seconds, 1),
        "single_start_p50_ms": round(percentile(start_ms, 50), 1),
        "single_total_p50_ms": round(percentile(total_ms, 50), 1),
        "single_total_p95_ms": round(percentile(total_ms, 95), 1),
        "processes": args.processes,
        "threads": args.threads,
    }


def run(args: argparse.Namespace, data_dir: Path) -> dict[str, Any]:
    url = start_embedded_postgres(data_dir / "pgdata", database="bench_runs")
    migrations.upgrade(url)
    return asyncio.run(measure(args, url, data_dir))


def main(argv: Sequence[str] | None = None) -> int:
    return run_bench(run, parse_args(argv), prefix="cr-")


if __name__ == "__main__":
    sys.exit(main())
