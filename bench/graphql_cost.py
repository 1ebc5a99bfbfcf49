"""Benchmark: the costliest GraphQL queries the limits allow, through `compound serve`, and
whether the server stays responsive while they run; the audit's queries are refused.

Setup: `--companies` companies (default 100), each with as many people (each with an
email), notes, tasks and timeline entries as the GraphQL lists return at most, loaded
with `COPY`, so that every list a query asks for is full and a query costs what its cost
says. One message of `--parts` (100,000) MIME parts is posted to `/ingest/email`.

Measured:
- `audit_query`: the audit's 15 aliases of `companies(first: 100) { … people { company {
  … people { company { … } } } } }`; refused before any resolver runs, with its cost.
- `costliest`: for each query shape, the largest `first` whose cost fits
  COMPOUND_GRAPHQL_MAX_COST, asked `--repeat` times one after another: its cost, the
  values in its answer, time (p50, p95, max) and the server's memory (RSS before and
  after, and the peak).
- `parallel`: four of the slowest of those at once, again and again for `--duration`
  seconds, while `/health` is asked every 50 ms on its own connection: `/health` latency.
- `parts_15_aliases`: 15 aliases of `message(id) { parts { … } }` on the big message.

Targets (the issue's): `/health` p95 ≤ 100 ms while four run, and the costly query
refused (the audit's) or answered in ≤ 1 s (p95 of the slowest allowed shape).
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Sequence
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import psutil  # type: ignore[import-untyped]  # installed with pgserver
import psycopg
from graphql import parse
from graphql_read import free_port, start_server, stop_server, wait_for_health  # bench/
from harness import percentile, run_bench, say  # bench/harness.py

from compound.platform import migrations
from compound.platform.config import Settings
from compound.platform.embedded_postgres import libpq_url, start_embedded_postgres
from compound.platform.graphql.connection import DEFAULT_PAGE_SIZE
from compound.platform.graphql.cost import CostRules, operation_cost
from compound.platform.records.listed import (
    NOTES_LISTED,
    PEOPLE_LISTED,
    TASKS_LISTED,
    TIMELINE_LISTED,
)
from compound.web.graphql import build_schema

BENCH_EMAIL = "cost-bench@compound.localhost"
HEALTH_P95_TARGET_MS = 100.0
COSTLY_TARGET_MS = 1000.0
HEALTH_EVERY_SECONDS = 0.05

# `$first` is chosen per shape: the largest page whose cost fits the limit.
SHAPES = {
    "people_emails_company": (
        'query($first: Int) { companies(first: $first, filter: {nameContains: "Cost"}) '
        "{ edges { node { id name people { id name title emails company { id name } } } } } }"
    ),
    "timeline": (
        'query($first: Int) { companies(first: $first, filter: {nameContains: "Cost"}) '
        "{ edges { node { id timeline { id occurredAt kind summary actor } } } } }"
    ),
    "notes_tasks": (
        'query($first: Int) { companies(first: $first, filter: {nameContains: "Cost"}) '
        "{ edges { node { id notes { id body createdAt } tasks { id title status } } } } }"
    ),
}
_AUDIT_ONE = (
    "companies(first: 100) { edges { node { id name timeline { summary } notes { body } "
    "people { name company { name timeline { summary } people { name company { name "
    "timeline { summary } notes { body } } } } } } } }"
)
AUDIT_QUERY = "{ " + " ".join(f"a{index}: {_AUDIT_ONE}" for index in range(15)) + " }"
PARTS_QUERY = (
    "query($id: ID!) { "
    + " ".join(
        f"m{index}: message(id: $id) {{ parts {{ path contentType size }} }}" for index in range(15)
    )
    + " }"
)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--companies", type=int, default=100)
    parser.add_argument("--parts", type=int, default=100_000, help="MIME parts of the big message")
    parser.add_argument("--workers", type=int, default=1, help="server processes")
    parser.add_argument("--repeat", type=int, default=10, help="runs of each costliest query")
    parser.add_argument("--duration", type=float, default=15.0, help="seconds of the parallel run")
    parser.add_argument("--parallel", type=int, default=4, help="costly queries at once")
    parser.add_argument("--time-limit", type=int, default=900, help="abort after seconds")
    parser.add_argument("--keep-data", action="store_true", help="leave the data folder behind")
    return parser.parse_args(argv)


# --- data -----------------------------------------------------------------------------


def load_records(url: str, companies: int) -> None:
    """Companies whose every nested list is full: PEOPLE_LISTED people (one email each),
    NOTES_LISTED notes, TASKS_LISTED tasks and TIMELINE_LISTED timeline entries each."""
    with psycopg.connect(libpq_url(url)) as connection:
        cursor = connection.cursor()
        company_ids = [uuid.uuid4() for _ in range(companies)]
        with cursor.copy("COPY company (id, name, domain, description) FROM STDIN") as copy:
            for number, company_id in enumerate(company_ids):
                copy.write_row(
                    (company_id, f"Cost Co {number:04d}", f"cost-{number}.example", "Widgets")
                )
        emails: list[tuple[str, uuid.UUID, int]] = []
        with cursor.copy("COPY person (id, name, title, company_id) FROM STDIN") as copy:
            for number, company_id in enumerate(company_ids):
                for seat in range(PEOPLE_LISTED):
                    person_id = uuid.uuid4()
                    copy.write_row((person_id, f"Person {number}-{seat}", "Buyer", company_id))
                    emails.append((f"p{number}.{seat}@cost-{number}.example", person_id, 0))
        with cursor.copy("COPY person_email (email, person_id, position) FROM STDIN") as copy:
            for row in emails:
                copy.write_row(row)
        with cursor.copy("COPY note (id, body, company_id) FROM STDIN") as copy:
            for company_id in company_ids:
                for index in range(NOTES_LISTED):
                    body = f"Call notes {index}: pricing, timing, the usual."
                    copy.write_row((uuid.uuid4(), body, company_id))
        with cursor.copy("COPY task (id, title, company_id) FROM STDIN") as copy:
            for company_id in company_ids:
                for index in range(TASKS_LISTED):
                    copy.write_row((uuid.uuid4(), f"Follow up {index}", company_id))
        activity = (
            "COPY activity (id, kind, summary, subject_type, subject_id, company_id, actor) "
            "FROM STDIN"
        )
        with cursor.copy(activity) as copy:
            for company_id in company_ids:
                for index in range(TIMELINE_LISTED):
                    summary = f"company.updated: description edited ({index})"
                    row = (uuid.uuid4(), "company.updated", summary, "company", company_id)
                    copy.write_row((*row, company_id, "system:bench"))
        connection.commit()
        for table in ("company", "person", "person_email", "note", "task", "activity"):
            cursor.execute(f"ANALYZE {table}")
        connection.commit()


def issue_token(url: str, data_dir: Path) -> str:
    """A viewer (the audit's caller) with a read + ingest token, made with the CLI."""
    env = {**os.environ, "COMPOUND_DATABASE_URL": url, "COMPOUND_DATA_DIR": str(data_dir)}

    def cli(*arguments: str) -> str:
        command = [sys.executable, "-m", "compound.web.cli", *arguments]
        done = subprocess.run(
            command, env=env, cwd=data_dir, capture_output=True, text=True, timeout=120
        )
        if done.returncode != 0:
            raise RuntimeError(f"compound {arguments[0]} failed: {done.stderr[-2000:]}")
        return done.stdout

    cli("user", "create", "--email", BENCH_EMAIL, "--role", "viewer", "--name", "Cost bench")
    output = cli("token", "create", "--user", BENCH_EMAIL, "--scopes", "read,ingest")
    return output.strip().splitlines()[-1]


def many_part_message(parts: int) -> bytes:
    """A multipart/mixed message of `parts` tiny text attachments (~110 bytes each)."""
    message = EmailMessage()
    message["From"] = "bulk@outside.example"
    message["To"] = "hello@compound.localhost"
    message["Subject"] = f"{parts} parts"
    message["Message-ID"] = f"<cost-bench-{uuid.uuid4().hex}@outside.example>"
    boundary = "cost-bench-boundary"
    message["MIME-Version"] = "1.0"
    message["Content-Type"] = f'multipart/mixed; boundary="{boundary}"'
    head = message.as_bytes().split(b"\n\n", 1)[0].replace(b"\n", b"\r\n")
    chunk = (
        f"--{boundary}\r\nContent-Type: text/plain\r\n"
        'Content-Disposition: attachment; filename="p.txt"\r\n\r\nx\r\n'
    ).encode()
    return head + b"\r\n\r\n" + chunk * parts + f"--{boundary}--\r\n".encode()


# --- requests -------------------------------------------------------------------------


def post(port: int, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    try:
        connection.request("POST", path, body=body, headers=headers)
        reply = connection.getresponse()
        return reply.status, reply.read()
    finally:
        connection.close()


def graphql(
    port: int, token: str, query: str, variables: dict[str, Any] | None = None
) -> tuple[float, int, dict[str, Any], int]:
    """Milliseconds, HTTP status, the JSON answer and its size in bytes."""
    body = json.dumps({"query": query, "variables": variables or {}}).encode()
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}
    started = time.perf_counter()
    status, answer = post(port, "/graphql", body, headers)
    elapsed = (time.perf_counter() - started) * 1000
    return elapsed, status, json.loads(answer), len(answer)


def values_in(answer: Any) -> int:
    """Leaves and objects in an answer: what its cost bounds."""
    if isinstance(answer, dict):
        return 1 + sum(values_in(value) for value in answer.values())
    if isinstance(answer, list):
        return sum(values_in(item) for item in answer)
    return 1


def peak_rss_mb(process: psutil.Process) -> float:
    """The largest resident set the server's worker process(es) reached so far (VmHWM)."""
    peak = 0.0
    for worker in [process, *process.children(recursive=True)]:
        try:
            status = Path(f"/proc/{worker.pid}/status").read_text()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("VmHWM:"):
                peak = max(peak, int(line.split()[1]) / 1024)
    return round(peak, 1)


def rss_mb(process: psutil.Process) -> float:
    total = 0.0
    for worker in [process, *process.children(recursive=True)]:
        try:
            total = max(total, worker.memory_info().rss / 2**20)
        except psutil.NoSuchProcess:
            continue
    return round(total, 1)


def wait_until_idle(process: psutil.Process, *, timeout: float = 90.0) -> float:
    """Seconds until the server stops working on its own: at start it loads the embedding
    model in the background, which would be counted against the first query."""
    started = time.monotonic()
    workers = [process, *process.children(recursive=True)]
    for worker in workers:
        worker.cpu_percent(None)
    while time.monotonic() - started < timeout:
        time.sleep(1.0)
        busy = sum(worker.cpu_percent(None) for worker in workers if worker.is_running())
        if busy < 10.0:
            break
    return round(time.monotonic() - started, 1)


# --- scenarios ------------------------------------------------------------------------


def largest_first(query: str, rules: CostRules, max_cost: int, schema: Any) -> tuple[int, int]:
    """The largest `first` (≤ the page limit) whose cost fits, and that cost."""
    document = parse(query)
    best = (0, 0)
    for first in range(1, rules.max_page_size + 1):
        cost = operation_cost(schema, document, rules, variables={"first": first})
        if cost > max_cost:
            break
        best = (first, cost)
    return best


def measure_audit(port: int, token: str) -> dict[str, Any]:
    elapsed, status, answer, _ = graphql(port, token, AUDIT_QUERY)
    error = (answer.get("errors") or [{}])[0]
    extensions = error.get("extensions", {})
    return {
        "document_bytes": len(AUDIT_QUERY.encode()),
        "refused": extensions.get("code") == "QUERY_TOO_COSTLY" and answer.get("data") is None,
        "cost": extensions.get("cost"),
        "max_cost": extensions.get("maxCost"),
        "ms": round(elapsed, 1),
        "http_status": status,
    }


def measure_costliest(
    port: int, token: str, server: psutil.Process, args: argparse.Namespace
) -> dict[str, Any]:
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    schema = build_schema(settings)._schema
    rules = CostRules(
        default_page_size=DEFAULT_PAGE_SIZE,
        max_page_size=settings.graphql_max_page_size,
        undeclared_list_size=settings.graphql_max_page_size,
    )
    results: dict[str, Any] = {}
    for name, query in SHAPES.items():
        first, cost = largest_first(query, rules, settings.graphql_max_cost, schema)
        graphql(port, token, query, {"first": first})  # warm: plans, caches
        rss_before = rss_mb(server)
        times, errors, values, size = [], 0, 0, 0
        for _ in range(args.repeat):
            elapsed, status, answer, size = graphql(port, token, query, {"first": first})
            times.append(elapsed)
            errors += status != 200 or bool(answer.get("errors"))
            values = values_in(answer.get("data"))
        results[name] = {
            "first": first,
            "cost": cost,
            "values_answered": values,
            "answer_kib": round(size / 1024, 1),
            "p50_ms": round(percentile(times, 50), 1),
            "p95_ms": round(percentile(times, 95), 1),
            "max_ms": round(max(times), 1),
            "failed": errors,
            "rss_mb_before": rss_before,
            "rss_mb_after": rss_mb(server),
            "peak_rss_mb": peak_rss_mb(server),
        }
        say(f"costliest {name}: {json.dumps(results[name])}")
    return results


async def _health_probe(port: int, stop: asyncio.Event, latencies: list[float]) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    request = f"GET /health HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode()
    try:
        while not stop.is_set():
            started = time.perf_counter()
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            length = next(
                int(line.split(b":", 1)[1])
                for line in head.split(b"\r\n")
                if line.lower().startswith(b"content-length:")
            )
            await reader.readexactly(length)
            latencies.append((time.perf_counter() - started) * 1000)
            await asyncio.sleep(HEALTH_EVERY_SECONDS)
    finally:
        writer.close()


async def _costly_loop(
    port: int, token: str, query: str, first: int, stop: asyncio.Event, times: list[float]
) -> int:
    failed = 0
    while not stop.is_set():
        elapsed, status, answer, _ = await asyncio.to_thread(
            graphql, port, token, query, {"first": first}
        )
        times.append(elapsed)
        failed += status != 200 or bool(answer.get("errors"))
    return failed


async def measure_parallel(
    port: int, token: str, query: str, first: int, args: argparse.Namespace
) -> dict[str, Any]:
    stop = asyncio.Event()
    health: list[float] = []
    costly: list[float] = []
    probe = asyncio.create_task(_health_probe(port, stop, health))
    loops = [
        asyncio.create_task(_costly_loop(port, token, query, first, stop, costly))
        for _ in range(args.parallel)
    ]
    await asyncio.sleep(args.duration)
    stop.set()
    failed = sum(await asyncio.gather(*loops))
    await probe
    return {
        "queries_at_once": args.parallel,
        "costly_queries": len(costly),
        "costly_failed": failed,
        "costly_p50_ms": round(percentile(costly, 50), 1),
        "costly_p95_ms": round(percentile(costly, 95), 1),
        "health_requests": len(health),
        "health_p50_ms": round(percentile(health, 50), 1),
        "health_p95_ms": round(percentile(health, 95), 1),
        "health_max_ms": round(max(health, default=0.0), 1),
    }


def measure_parts(port: int, token: str, message_id: str) -> dict[str, Any]:
    graphql(port, token, "query($id: ID!) { message(id: $id) { id } }", {"id": message_id})
    times, parts = [], 0
    for _ in range(3):
        elapsed, status, answer, _ = graphql(port, token, PARTS_QUERY, {"id": message_id})
        if status != 200 or answer.get("errors"):
            raise RuntimeError(f"the parts query failed: {status} {str(answer)[:500]}")
        times.append(elapsed)
        parts = len(answer["data"]["m0"]["parts"])
    return {
        "aliases": 15,
        "parts_each": parts,
        "p50_ms": round(percentile(times, 50), 1),
        "max_ms": round(max(times), 1),
    }


# --- the run --------------------------------------------------------------------------


def run(args: argparse.Namespace, data_dir: Path) -> dict[str, Any]:
    load_average = os.getloadavg()[0]
    say(f"data folder {data_dir}; starting the embedded Postgres")
    url = start_embedded_postgres(data_dir / "pgdata")
    migrations.upgrade(url)
    started = time.monotonic()
    load_records(url, args.companies)
    say(f"loaded {args.companies} full companies in {time.monotonic() - started:.1f} s")
    token = issue_token(url, data_dir)
    raw = many_part_message(args.parts)

    port = free_port()
    server = start_server(url, data_dir, port, args.workers)
    try:
        wait_for_health(server, port, data_dir / "server.log")
        process = psutil.Process(server.pid)
        say(f"server up on http://127.0.0.1:{port}; posting a {len(raw) >> 20} MB message")
        headers = {"Content-Type": "message/rfc822", "Authorization": f"Bearer {token}"}
        status, answer = post(port, "/ingest/email", raw, headers)
        if status not in (200, 202):
            raise RuntimeError(f"/ingest/email answered {status}: {answer[:300]!r}")
        message_id = json.loads(answer)["id"]
        say(f"server idle after {wait_until_idle(process)} s (model warm-up)")

        audit = measure_audit(port, token)
        say(f"audit query: {json.dumps(audit)}")
        costliest = measure_costliest(port, token, process, args)
        slowest = max(costliest, key=lambda name: costliest[name]["p50_ms"])
        say(f"{args.parallel} × {slowest} at once for {args.duration:g} s, /health every 50 ms")
        parallel = asyncio.run(
            measure_parallel(port, token, SHAPES[slowest], costliest[slowest]["first"], args)
        )
        parallel["shape"] = slowest
        say(f"parallel: {json.dumps(parallel)}")
        parts = measure_parts(port, token, message_id)
        say(f"parts: {json.dumps(parts)}")
    finally:
        stop_server(server)

    slowest_p95_ms = max(result["p95_ms"] for result in costliest.values())
    return {
        "audit_query": audit,
        "costliest": costliest,
        "parallel": parallel,
        "parts_15_aliases": parts,
        "max_cost": Settings(_env_file=None).graphql_max_cost,  # type: ignore[call-arg]
        "companies": args.companies,
        "message_parts": args.parts,
        "message_mb": round(len(raw) / 2**20, 1),
        "server_workers": args.workers,
        "cpus": os.cpu_count(),
        "load_average_at_start": round(load_average, 2),
        "targets": {
            "health_p95_ms": HEALTH_P95_TARGET_MS,
            "costly_query_ms": COSTLY_TARGET_MS,  # p95 of the slowest costliest shape
        },
        "targets_met": {
            "health_p95_ms": parallel["health_p95_ms"] <= HEALTH_P95_TARGET_MS,
            "costly_query_ms": audit["refused"] and slowest_p95_ms <= COSTLY_TARGET_MS,
        },
    }


def main(argv: Sequence[str] | None = None) -> int:
    return run_bench(run, parse_args(argv), prefix="cc-")


if __name__ == "__main__":
    sys.exit(main())
