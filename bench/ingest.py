"""Benchmark: inbound email over SMTP — how fast `compound smtp` accepts messages (each one
committed with its processing job before the 250) while one `compound worker` process
processes them fully: parsed, threaded, linked to people and companies, and routed by the
triage agent on its offline engine. Both run at once on the same machine, as in `make up`."""

from __future__ import annotations

import argparse
import asyncio
import os
import smtplib
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from typing import Any

from harness import percentile, run_bench, say  # bench/harness.py
from job_queue import STALL_SECONDS, start_worker, stop_worker  # bench/job_queue.py
from sqlalchemy import func, select
from sqlmodel import col

from compound.platform import migrations
from compound.platform.database import Database
from compound.platform.email.models import Message
from compound.platform.embedded_postgres import start_embedded_postgres
from compound.platform.records.models import Company, Person

WORKER_MODULE = "compound.platform.email.tasks"
STARTUP_SECONDS = 180.0
"""How long the worker may take to start (imports, first connections) on a busy machine."""

DEMO = "Hi, we are a 40-person sales team looking at CRMs. Could we get a demo next week and \
pricing for 40 seats?\n\nBest,\n{name}\nHead of Sales, {company}\n"
SUPPORT = "Hello, since this morning the CSV import stops at row 5000 with an error. We are \
customers on the team plan. Can you help?\n\nThanks,\n{name}\n"
NEWSLETTER = "<html><body><h1>This week in SaaS</h1><p>Top stories: pricing pages, PLG, and \
more.</p><p><a href='https://news.example/u'>Unsubscribe</a></p></body></html>"
REPLY = "Thanks, Tuesday at 10 works for us.\n\n{name}\n\nOn Mon, someone wrote:\n> Would \
Tuesday work for a demo?\n> Best, Compound\n"


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=600, help="messages to send")
    parser.add_argument("--clients", type=int, default=4, help="concurrent SMTP connections")
    parser.add_argument(
        "--threads", type=int, default=4, help="threads of the one worker (its default)"
    )
    parser.add_argument("--time-limit", type=int, default=900, help="abort the run after seconds")
    parser.add_argument("--keep-data", action="store_true", help="leave the data folder behind")
    return parser.parse_args(argv)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def message(index: int, run: str) -> EmailMessage:
    """A mix like a shared inbox: demo requests, support, newsletters (HTML, bulk), replies
    into earlier threads, and every fifth with a small PDF attached."""
    company = f"company{index % 97}-{run}"
    name = f"Person {index}"
    email = EmailMessage()
    email["From"] = f"{name} <person{index}@{company}.example>"
    email["To"] = "hello@compound.localhost"
    email["Date"] = format_datetime(datetime.now(UTC))
    email["Message-ID"] = f"<bench-{run}-{index}@{company}.example>"
    kind = index % 4
    if kind == 0:
        email["Subject"] = f"Demo and pricing for 40 seats ({index})"
        email.set_content(DEMO.format(name=name, company=company))
    elif kind == 1:
        email["Subject"] = f"CSV import fails at row 5000 ({index})"
        email.set_content(SUPPORT.format(name=name))
    elif kind == 2:
        email.replace_header("From", f"Weekly Digest <news@digest-{run}.example>")
        email["Subject"] = f"This week in SaaS #{index}"
        email["List-Unsubscribe"] = "<https://news.example/u>"
        email.set_content("This week in SaaS: pricing pages, PLG, and more.")
        email.add_alternative(NEWSLETTER, subtype="html")
    else:
        parent = index - 3  # the demo request three messages earlier
        email["Subject"] = f"Re: Demo and pricing for 40 seats ({parent})"
        email["In-Reply-To"] = f"<bench-{run}-{parent}@company{parent % 97}-{run}.example>"
        email["References"] = email["In-Reply-To"]
        email.set_content(REPLY.format(name=name))
    if index % 5 == 0:
        email.add_attachment(
            b"%PDF-1.4\n" + b"0" * 20_000, maintype="application", subtype="pdf", filename="a.pdf"
        )
    return email


def start_smtp(url: str, data_dir: Path, port: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "COMPOUND_DATA_DIR": str(data_dir),
        "COMPOUND_DATABASE_URL": url,
        "COMPOUND_SMTP_PORT": str(port),
        "COMPOUND_LOG_LEVEL": "warning",
    }
    with (data_dir / "smtp.log").open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "compound.web.cli", "smtp"],
            env=env,
            cwd=data_dir,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return process
        except OSError:
            if process.poll() is not None:
                break
            time.sleep(0.1)
    raise RuntimeError((data_dir / "smtp.log").read_text(errors="replace")[-3000:])


def send_all(port: int, messages: list[EmailMessage], clients: int) -> tuple[float, list[float]]:
    """Seconds to send every message over `clients` connections; per-message latency (ms)."""
    latencies: list[float] = []
    lock = threading.Lock()
    errors: list[BaseException] = []

    def client(share: list[EmailMessage]) -> None:
        try:
            with smtplib.SMTP("127.0.0.1", port, timeout=60) as connection:
                for email in share:
                    started = time.perf_counter()
                    refused = connection.send_message(email)
                    elapsed = (time.perf_counter() - started) * 1000
                    if refused:
                        raise RuntimeError(f"refused: {refused}")
                    with lock:
                        latencies.append(elapsed)
        except BaseException as error:  # reported by the main thread
            errors.append(error)

    shares = [messages[i::clients] for i in range(clients)]
    threads = [threading.Thread(target=client, args=(share,)) for share in shares]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return time.monotonic() - started, latencies


async def count(database: Database, run: str, *, routed: bool) -> int:
    async with database.session() as session:
        statement = (
            select(func.count())
            .select_from(Message)
            .where(col(Message.internet_message_id).like(f"bench-{run}-%"))
        )
        if routed:
            statement = statement.where(col(Message.triage).is_not(None))
        return int(await session.scalar(statement) or 0)


async def wait_routed(
    database: Database, run: str, total: int, data_dir: Path, *, stall_seconds: float
) -> None:
    """Until all `total` messages of `run` are processed and routed."""
    last_progress, last = time.monotonic(), -1
    while True:
        done = await count(database, run, routed=True)
        now = time.monotonic()
        if done == total:
            return
        if done != last:
            if last >= 0:
                say(f"processed and routed {done}/{total}")
            last_progress, last = now, done
        elif now - last_progress > stall_seconds:
            log = (data_dir / "worker.log").read_text(errors="replace")[-3000:]
            raise RuntimeError(f"processing stalled at {done}/{total}; worker log:\n{log}")
        await asyncio.sleep(0.5)


async def wait_embedded(database: Database, *, stall_seconds: float) -> None:
    """Until no company or person lacks an embedding."""
    deadline = time.monotonic() + stall_seconds
    while time.monotonic() < deadline:
        async with database.session() as session:
            missing = 0
            for model in (Company, Person):
                missing += int(
                    await session.scalar(
                        select(func.count())
                        .select_from(model)
                        .where(col(model.embedding).is_(None))
                    )
                    or 0
                )
        if missing == 0:
            return
        await asyncio.sleep(0.5)
    raise RuntimeError(f"{missing} records still without an embedding")


async def measure(args: argparse.Namespace, url: str, data_dir: Path) -> dict[str, Any]:
    database = Database.connect(url, pool_size=2)
    port = free_port()
    smtp = start_smtp(url, data_dir, port)
    worker = start_worker(
        url, data_dir, None, 1, args.threads, module=WORKER_MODULE, log_name="worker.log"
    )
    try:
        # Warm-up: the worker's imports and connections, the first plans of each query.
        warm = uuid.uuid4().hex[:6]
        send_all(port, [message(i, warm) for i in range(20)], 1)
        await wait_routed(database, warm, 20, data_dir, stall_seconds=STARTUP_SECONDS)
        # ... and the embedding backfill's first batch, which loads the model.
        await wait_embedded(database, stall_seconds=STARTUP_SECONDS)

        run = uuid.uuid4().hex[:6]
        messages = [message(i, run) for i in range(args.messages)]
        megabytes = sum(len(m.as_bytes()) for m in messages) / 1e6
        say(
            f"sending {len(messages)} messages ({megabytes:.1f} MB) over {args.clients} "
            "connections while the worker processes them"
        )
        started = time.monotonic()
        send_seconds, latencies = send_all(port, messages, args.clients)
        stored = await count(database, run, routed=False)
        assert stored == len(messages), f"{stored} of {len(messages)} stored"
        say(f"accepted {len(messages)} in {send_seconds:.2f} s")
        await wait_routed(database, run, len(messages), data_dir, stall_seconds=STALL_SECONDS)
        process_seconds = time.monotonic() - started
        await wait_embedded(database, stall_seconds=STALL_SECONDS)
        embedded_seconds = time.monotonic() - started
        async with database.session() as session:
            threads = await session.scalar(
                select(func.count(func.distinct(Message.conversation_id))).where(
                    col(Message.internet_message_id).like(f"bench-{run}-%")
                )
            )
            people_created = int(
                await session.scalar(select(func.count()).select_from(Person)) or 0
            )
    finally:
        stop_worker(worker)
        smtp.terminate()
        smtp.wait(timeout=30)
        await database.dispose()
    return {
        "messages": len(messages),
        "megabytes": round(megabytes, 1),
        "smtp_clients": args.clients,
        "accepted_per_s": round(len(messages) / send_seconds, 1),
        "accept_p50_ms": round(percentile(latencies, 50), 1),
        "accept_p95_ms": round(percentile(latencies, 95), 1),
        # From the first message sent to the last one routed.
        "processed_per_s": round(len(messages) / process_seconds, 1),
        "process_s": round(process_seconds, 1),
        # Until the new people and companies also had their embeddings (a batched job).
        "embedded_s": round(embedded_seconds, 1),
        "people_created": people_created,
        "conversations": int(threads or 0),
        "worker_processes": 1,
        "worker_threads": args.threads,
    }


def run(args: argparse.Namespace, data_dir: Path) -> dict[str, Any]:
    url = start_embedded_postgres(data_dir / "pgdata", database="bench_ingest")
    migrations.upgrade(url)
    return asyncio.run(measure(args, url, data_dir))


def main(argv: Sequence[str] | None = None) -> int:
    return run_bench(run, parse_args(argv), prefix="ci-")


if __name__ == "__main__":
    sys.exit(main())
