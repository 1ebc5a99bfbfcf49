"""Benchmark: the leads workflow end to end, and company resolution at scale.

1. A colleague's email listing 50 startups (45 new, 3 already in the CRM, 2 without a
   website) is stored as ingress stores it; two `compound worker` processes take it from
   there on the offline engines: processing, triage, routing, extraction, fit, one research
   run per company, the ledger, the reply and the follow-up task. Measured: seconds from
   the message being stored until its ledger is done (target ≤ 15 s).
2. The golden CRM (2,400 companies, real embeddings) plus filler companies up to
   --companies (100,000 by default; random unit embeddings, which cost the index the same
   as real ones), then every golden resolution case twice: `resolution_*` with the
   embedding cache emptied first (each query embedded by the local model), `lookup_*`
   with the query texts' embeddings in memory (the database lookups and matching alone);
   target p95 ≤ 25 ms; and precision/recall at that size."""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import socket
import sys
import time
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Any

import numpy as np
from harness import percentile, run_bench, say  # bench/harness.py
from job_queue import start_worker, stop_worker  # bench/job_queue.py
from sqlalchemy import insert, select

from compound.modules.leads.imports import summary_line
from compound.modules.leads.models import LeadImport
from compound.modules.leads.resolution import forget_embeddings
from compound.modules.leads.resolution_eval import load_golden_crm, score_resolution
from compound.platform import migrations
from compound.platform.auth import service as auth
from compound.platform.auth.actor import Actor
from compound.platform.database import Database
from compound.platform.email.ingest import Envelope, ingest_raw
from compound.platform.email.models import Channel
from compound.platform.email.sink import start_sink
from compound.platform.embedded_postgres import start_embedded_postgres
from compound.platform.records import companies
from compound.platform.records.companies import name_keys
from compound.platform.records.models import Company

COLLEAGUE = "ana@compound.localhost"
STARTUP_SECONDS = 240.0
TARGET_SECONDS = 15.0
TARGET_P95_MS = 25.0
WORDS = (
    "amber",
    "basil",
    "cedar",
    "delta",
    "ember",
    "fjord",
    "garnet",
    "harbor",
    "indigo",
    "juniper",
    "kestrel",
    "lumen",
    "meadow",
    "nimbus",
    "orchid",
    "pylon",
    "quarry",
    "rook",
    "sable",
    "thistle",
    "umber",
    "vessel",
    "willow",
    "xenon",
    "yarrow",
    "zephyr",
    "alder",
    "birch",
    "cobalt",
    "dune",
)
PRODUCTS = [
    "payments compliance for lenders",
    "load matching for regional freight carriers",
    "observability for data pipelines",
    "scheduling for home-care nurses",
    "carbon accounting for mid-size manufacturers",
    "KYC checks for remittance apps",
    "inventory forecasting for grocery chains",
    "contract review for small law firms",
]
STAGES = ["Pre-seed", "Seed", "Series A"]
CITIES = ["Denver, CO", "Berlin", "Austin, TX", "London", "Toronto", "Lisbon"]


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--startups", type=int, default=50, help="companies in the email")
    parser.add_argument("--processes", type=int, default=2, help="worker processes")
    parser.add_argument("--threads", type=int, default=4, help="threads per worker process")
    parser.add_argument("--companies", type=int, default=100_000, help="CRM size for step 2")
    parser.add_argument(
        "--part", choices=["all", "end-to-end", "scale"], default="all", help="which steps to run"
    )
    parser.add_argument("--time-limit", type=int, default=1800, help="abort after seconds")
    parser.add_argument("--keep-data", action="store_true", help="leave the data folder behind")
    return parser.parse_args(argv)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


SUFFIXES = ("Labs", "AI", "Cloud", "Systems", "Works", "Data", "Health", "Robotics")


def startup_list(run: str, count: int, known: list[tuple[str, str]], prefix: str = "") -> str:
    """`count` numbered lines; the first entries are companies the CRM has, two lack a URL.
    Names are two words and a suffix, unique within a run (`run` seeds the order)."""
    rng = random.Random(run)
    # One suffix per stem: "X Labs" and "X AI" are one company to the name matching.
    names = [
        f"{(prefix + first).title()}{second} {rng.choice(SUFFIXES)}"
        for first in WORDS
        for second in WORDS
        if first != second
    ]
    rng.shuffle(names)
    lines = []
    for index in range(count):
        product, stage, city = rng.choice(PRODUCTS), rng.choice(STAGES), rng.choice(CITIES)
        name = names[index]
        if index < len(known):
            name, domain = known[index]
            entry = f"{name} ({domain})"
        elif index < len(known) + 2:
            entry = name
        else:
            entry = f"{name} ({name.lower().replace(' ', '')}.io)"
        lines.append(f"{index + 1}. {entry} — {product}. {stage} · {city}")
    return (
        "Hi team, forwarding the spring cohort, please add the good ones.\n\n"
        "---------- Forwarded message ---------\n"
        "From: Renata <renata@larkspur-accelerator.example>\n\n"
        f"Here are the {count} companies of our spring cohort, all raising now:\n\n"
        + "\n".join(lines)
        + "\n\nThanks to our partners Front Range Community Bank and Ellery & Voss LLP.\n"
    )


def email_bytes(subject: str, body: str) -> bytes:
    message = EmailMessage()
    message["From"] = f"Ana <{COLLEAGUE}>"
    message["To"] = "leads@compound.localhost"
    message["Subject"] = subject
    message["Date"] = format_datetime(datetime.now(UTC))
    message["Message-ID"] = make_msgid(domain="compound.localhost")
    message.set_content(body)
    return message.as_bytes()


async def send_list(database: Database, subject: str, body: str) -> uuid.UUID:
    """Store the email as ingress does (committed with its processing job)."""
    async with database.session() as session:
        # SMTP AUTH as the colleague whose address is the From: their mail is a command.
        colleague = await auth.user_by_email(session, COLLEAGUE)
        envelope = Envelope(
            channel=Channel.SMTP,
            submitted_by=f"user:{COLLEAGUE}",
            submitter_user_id=colleague.id,
            peer="127.0.0.1",
        )
        ingested = await ingest_raw(
            session, email_bytes(subject, body), envelope, max_bytes=25 * 1024 * 1024
        )
    return ingested.message_id


async def wait_ledger(
    database: Database, message_id: uuid.UUID, data_dir: Path, *, limit: float
) -> LeadImport:
    deadline = time.monotonic() + limit
    last = ""
    while time.monotonic() < deadline:
        async with database.session() as session:
            ledger = (
                await session.execute(
                    select(LeadImport).where(LeadImport.message_id == message_id)  # type: ignore[arg-type]
                )
            ).scalar_one_or_none()
        if ledger is not None:
            progress = f"{ledger.state} {ledger.researched}/{ledger.to_research}"
            if progress != last:
                say(f"  ledger: {progress}")
                last = progress
            if ledger.state == "done":
                return ledger
        await asyncio.sleep(0.1)
    log = (data_dir / "worker.log").read_text(errors="replace")[-3000:]
    raise RuntimeError(f"the ledger did not finish in {limit:.0f} s; worker log:\n{log}")


async def seed_for_end_to_end(database: Database, run: str) -> list[tuple[str, str]]:
    actor = Actor.system("bench")
    known = []
    async with database.session() as session:
        await auth.create_user(session, actor, email=COLLEAGUE, role="member", name="Ana")
        for index in range(3):
            name = f"{WORDS[index].title()}known {SUFFIXES[index]}"
            domain = f"{name.lower().replace(' ', '-')}.example"
            await companies.create_company(
                session, actor, name=name, domain=domain, description=PRODUCTS[index]
            )
            known.append((name, domain))
    return known


async def end_to_end(args: argparse.Namespace, url: str, data_dir: Path) -> dict[str, Any]:
    database = Database.connect(url, pool_size=2)
    sink_port = free_port()
    os.environ["COMPOUND_OUTBOUND_SMTP_PORT"] = str(sink_port)  # the workers inherit it
    sink = start_sink("127.0.0.1", sink_port, data_dir / "outbox")
    run = uuid.uuid4().hex[:8]
    known = await seed_for_end_to_end(database, run)
    worker = start_worker(
        url,
        data_dir,
        None,
        args.processes,
        args.threads,
        module="compound.web.worker_entry",
        log_name="worker.log",
    )
    try:
        # Warm-up: both processes import, connect and load the embedding model.
        warm = await send_list(
            database, f"warm-up {run}", startup_list("warmup00", 12, [], prefix="warm")
        )
        await wait_ledger(database, warm, data_dir, limit=STARTUP_SECONDS)
        say(f"sending a {args.startups}-company list")
        started = time.monotonic()
        message_id = await send_list(
            database, f"Spring cohort {run}", startup_list(run, args.startups, known)
        )
        ledger = await wait_ledger(database, message_id, data_dir, limit=300)
        seconds = time.monotonic() - started
        say(f"ledger done in {seconds:.1f} s: {summary_line(ledger)}")
    finally:
        stop_worker(worker)
        sink.stop()
        await database.dispose()
    return {
        "startups": args.startups,
        "worker_processes": args.processes,
        "worker_threads": args.threads,
        "end_to_end_s": round(seconds, 2),
        "end_to_end_target_s": TARGET_SECONDS,
        "found": ledger.found,
        "added": ledger.added,
        "known": ledger.known,
        "need_you": ledger.need_you,
        "failed": ledger.failed,
    }


async def fill(database: Database, total: int) -> None:
    """Filler companies up to `total`, in batches, with random unit embeddings."""
    rng = np.random.default_rng(7)
    async with database.session() as session:
        have = len((await session.execute(select(Company.id))).all())
    batch = 2_000
    made = have
    started = time.monotonic()
    while made < total:
        size = min(batch, total - made)
        vectors = rng.standard_normal((size, 384)).astype(np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        rows = []
        for offset in range(size):
            number = made + offset
            name = f"Filler {WORDS[number % len(WORDS)].title()} {number}"
            rows.append(
                {
                    "id": uuid.uuid4(),
                    "name": name,
                    "domain": f"filler-{number}.example",
                    "aliases": [],
                    "name_keys": name_keys(name, []),
                    "embedding": vectors[offset].tolist(),
                }
            )
        async with database.session() as session:
            await session.execute(insert(Company), rows)
        made += size
        if made % 20_000 < batch:
            say(f"  {made} companies ({time.monotonic() - started:.0f} s)")


async def at_scale(args: argparse.Namespace, url: str) -> dict[str, Any]:
    database = Database.connect(url, pool_size=2)
    try:
        started = time.monotonic()
        keys = await load_golden_crm(database)
        await fill(database, args.companies)
        say(f"loaded {args.companies} companies in {time.monotonic() - started:.0f} s")
        forget_embeddings()
        cold = await score_resolution(database, keys)  # every query text embedded anew
        score = await score_resolution(database, keys)  # query embeddings from memory
    finally:
        await database.dispose()
    return {
        "crm_companies": args.companies,
        "resolution_cases": score.cases,
        "resolution_p50_ms": round(percentile(cold.latencies_ms, 50), 1),
        "resolution_p95_ms": round(percentile(cold.latencies_ms, 95), 1),
        "lookup_p50_ms": round(percentile(score.latencies_ms, 50), 1),
        "lookup_p95_ms": round(percentile(score.latencies_ms, 95), 1),
        "resolution_p95_target_ms": TARGET_P95_MS,
        "resolution_precision": round(score.precision, 4),
        "resolution_recall": round(score.recall, 4),
    }


def run(args: argparse.Namespace, data_dir: Path) -> dict[str, Any]:
    result: dict[str, Any] = {}
    if args.part in ("all", "end-to-end"):
        url = start_embedded_postgres(data_dir / "pgdata", database="bench_leads")
        migrations.upgrade(url)
        result |= asyncio.run(end_to_end(args, url, data_dir))
    if args.part in ("all", "scale"):
        scale_url = start_embedded_postgres(data_dir / "pgdata", database="bench_leads_scale")
        migrations.upgrade(scale_url)
        result |= asyncio.run(at_scale(args, scale_url))
    return result


def main(argv: Sequence[str] | None = None) -> int:
    return run_bench(run, parse_args(argv), prefix="bl-")


if __name__ == "__main__":
    sys.exit(main())
