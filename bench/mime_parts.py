"""Benchmark: one message of very many MIME parts (issue 13, finding 9), processed by one
`compound worker`: the processing job's time, the worker's memory, and the rows it wrote,
with the cap on parts (`COMPOUND_MAIL_MAX_PARTS`, 500) and, for comparison, without it."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import psutil  # type: ignore[import-untyped]  # installed with pgserver
from harness import run_bench, say  # bench/harness.py
from job_queue import start_worker, stop_worker  # bench/job_queue.py
from sqlalchemy import func, select
from sqlmodel import col

from compound.platform import migrations
from compound.platform.database import Database
from compound.platform.email.ingest import Envelope, ingest_raw
from compound.platform.email.models import Attachment, Channel, Message
from compound.platform.embedded_postgres import start_embedded_postgres
from compound.platform.queue.models import Job

WORKER_MODULE = "compound.platform.email.tasks"
STARTUP_SECONDS = 180.0


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--parts", type=int, default=100_000, help="attachments in the message")
    parser.add_argument(
        "--max-parts",
        type=int,
        default=500,
        help="COMPOUND_MAIL_MAX_PARTS for the worker; 1000000 = in effect no cap (as before)",
    )
    parser.add_argument("--time-limit", type=int, default=1800, help="abort the run after seconds")
    parser.add_argument("--keep-data", action="store_true", help="leave the data folder behind")
    return parser.parse_args(argv)


def many_parts(count: int, tag: str) -> bytes:
    """A text part and `count` small attachments, like the audit's: ~110 bytes a part."""
    head = (
        f"From: ana@{tag}.example\r\nTo: hello@compound.localhost\r\nSubject: {count} parts\r\n"
        f"Message-ID: <{tag}@{tag}.example>\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/mixed; boundary="b"\r\n\r\n'
        "--b\r\nContent-Type: text/plain\r\n\r\nSee the attached files.\r\n"
    ).encode()
    part = (
        b"--b\r\nContent-Type: application/octet-stream\r\n"
        b'Content-Disposition: attachment; filename="f.bin"\r\n\r\nAAAA\r\n'
    )
    return head + part * count + b"--b--\r\n"


def rss_mb(process: psutil.Process) -> float:
    tree = [process, *process.children(recursive=True)]
    return sum(p.memory_info().rss for p in tree) / 2**20


async def store(database: Database, raw: bytes) -> uuid.UUID:
    """Stored as every way in stores mail, its processing job in the same transaction."""
    async with database.session() as session:
        stored = await ingest_raw(
            session, raw, Envelope(channel=Channel.HTTP, peer="127.0.0.1"), max_bytes=len(raw)
        )
    return stored.message_id


async def processing_job(
    database: Database, message_id: uuid.UUID, worker: psutil.Process, *, wait_s: float
) -> tuple[Job, float]:
    """The message's finished processing job, and the worker's highest RSS meanwhile."""
    peak = 0.0
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        peak = max(peak, rss_mb(worker))
        async with database.session() as session:
            job = await session.scalar(
                select(Job)
                .where(col(Job.actor_name) == "email.process_message")
                .where(col(Job.message)["kwargs"]["message_id"].astext == str(message_id))
            )
        if job is not None and job.finished_at is not None:
            return job, peak
        await asyncio.sleep(0.2)
    raise RuntimeError(f"message {message_id} not processed in {wait_s:.0f} s")


async def settle(database: Database, *, wait_s: float) -> None:
    """Until no job waits or runs (the embeddings batch that follows a new sender)."""
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        async with database.session() as session:
            busy = await session.scalar(
                select(func.count())
                .select_from(Job)
                .where(col(Job.state).in_(["queued", "running"]))
            )
        if not busy:
            return
        await asyncio.sleep(0.5)
    raise RuntimeError("jobs still running")


async def measure(args: argparse.Namespace, url: str, data_dir: Path) -> dict[str, Any]:
    load_average = os.getloadavg()[0]
    database = Database.connect(url, pool_size=2)
    os.environ["COMPOUND_MAIL_MAX_PARTS"] = str(args.max_parts)
    process = start_worker(url, data_dir, None, 1, 2, module=WORKER_MODULE, log_name="worker.log")
    try:
        worker = psutil.Process(process.pid)
        # Warm-up: imports, connections, and the embedding model the first new sender loads.
        warm = await store(database, many_parts(3, f"warm{uuid.uuid4().hex[:6]}"))
        await processing_job(database, warm, worker, wait_s=STARTUP_SECONDS)
        await settle(database, wait_s=STARTUP_SECONDS)
        raw = many_parts(args.parts, f"bomb{uuid.uuid4().hex[:6]}")
        say(f"one message of {args.parts + 2:,} MIME parts ({len(raw) / 1e6:.1f} MB)")
        before = rss_mb(worker)
        message_id = await store(database, raw)
        job, peak = await processing_job(database, message_id, worker, wait_s=args.time_limit)
        after = rss_mb(worker)
        assert job.started_at is not None and job.finished_at is not None
        async with database.session() as session:
            rows = await session.scalar(
                select(func.count())
                .select_from(Attachment)
                .where(col(Attachment.message_id) == message_id)
            )
            message = await session.get(Message, message_id)
            assert message is not None
            defects = list(message.defects or [])
    finally:
        stop_worker(process)
        await database.dispose()
    job_s = (job.finished_at - job.started_at).total_seconds()
    say(f"processed in {job_s:.1f} s; worker RSS {before:.0f} → {peak:.0f} (peak) MB")
    return {
        "parts": args.parts + 2,
        "megabytes": round(len(raw) / 1e6, 1),
        "max_parts": args.max_parts,
        "state": message.state,
        "job_s": round(job_s, 1),
        "worker_rss_before_mb": round(before),
        "worker_rss_peak_mb": round(peak),
        "worker_rss_after_mb": round(after),
        "worker_rss_growth_mb": round(peak - before),
        "attachment_rows": int(rows or 0),
        "first_defect": defects[0] if defects else None,
        "cpus": os.cpu_count(),
        "load_average_at_start": round(load_average, 2),
    }


def run(args: argparse.Namespace, data_dir: Path) -> dict[str, Any]:
    url = start_embedded_postgres(data_dir / "pgdata", database="bench_mime_parts")
    migrations.upgrade(url)
    return asyncio.run(measure(args, url, data_dir))


def main(argv: Sequence[str] | None = None) -> int:
    return run_bench(run, parse_args(argv), prefix="cm-")


if __name__ == "__main__":
    sys.exit(main())
