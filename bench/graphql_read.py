"""Benchmark: GraphQL read throughput and latency of `compound serve` over 10k companies."""

from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import os
import random
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import psutil  # type: ignore[import-untyped]  # installed with pgserver
import psycopg
from harness import cpu_seconds, percentile, postmaster, run_bench, say  # bench/harness.py
from pgvector.psycopg import register_vector

from compound.platform import migrations
from compound.platform.auth.actor import Actor
from compound.platform.auth.service import create_token, create_user
from compound.platform.database import Database
from compound.platform.embedded_postgres import libpq_url, start_embedded_postgres
from compound.platform.models import EMBEDDING_DIMENSIONS

COMPANY_BY_ID = "query($id: ID!) { company(id: $id) { id name domain } }"
COMPANIES_PAGE = (
    "query($after: String) { companies(first: 50, after: $after) "
    "{ edges { node { id name people { id name } } } } }"
)
# Walks the pages once to collect real cursors, so the load spreads over every page.
CURSOR_WALK = (
    "query($after: String) { companies(first: 50, after: $after) "
    "{ pageInfo { hasNextPage endCursor } } }"
)
BENCH_EMAIL = "bench@compound.localhost"
HNSW_INDEXES = ["ix_company_embedding_hnsw", "ix_person_embedding_hnsw"]
PEOPLE_PER_COMPANY = 3
RPS_TARGET = 800.0
P95_TARGET_MS = 150.0

_WORD_TEXT = (
    "acme apex atlas aurora beacon birch blue bright canyon cedar cobalt comet crest "
    "delta ember falcon fern forge granite harbor helix horizon iris juniper kestrel "
    "lumen maple meridian nimbus north nova oak onyx orbit pine prism quartz raven ridge "
    "river sable sierra solar spruce stone summit swift terra tide timber vertex willow "
    "zenith"
)
WORDS = tuple(_WORD_TEXT.split())
SUFFIXES = ("Labs", "Systems", "Works", "Group", "Analytics", "Foods", "Logistics", "Health")
_FIRST_NAME_TEXT = (
    "Ada Alan Ana Ben Carla Chen Dana Elif Emil Eva Farah Ines Ivan Jon Kofi Lea Lena "
    "Luis Maya Mina Nils Omar Paula Priya Rosa Sam Sara Tariq Tom Uma Vera Yuki Zoe"
)
FIRST_NAMES = tuple(_FIRST_NAME_TEXT.split())
_LAST_NAME_TEXT = (
    "Adams Berg Costa Diaz Evans Fischer Garcia Haddad Ito Jensen Kim Larsen Meyer Novak "
    "Okafor Patel Quinn Rossi Silva Tanaka Udeh Vogel Walsh Xu Young Zimmer"
)
LAST_NAMES = tuple(_LAST_NAME_TEXT.split())
TITLES = ("CEO", "CTO", "Head of Sales", "Buyer", "Engineer", "Office Manager", None)

# wrk calls request() for every request and response() for every reply; done() runs once
# in a fresh Lua state, so per-thread counters are read back through the thread objects.
WRK_SCRIPT = r"""
local threads = {}
function setup(thread)
  thread:set("id", #threads + 1)
  table.insert(threads, thread)
end

local requests = {}
errors = 0
function init(args)
  -- args: bodies file (one JSON request body a line), API token, random seed
  local headers = {
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. args[2],
  }
  for line in io.lines(args[1]) do
    requests[#requests + 1] = wrk.format("POST", "/graphql", headers, line)
  end
  math.randomseed(tonumber(args[3]) + id)
end

function request()
  return requests[math.random(#requests)]
end

function response(status, headers, body)
  if status ~= 200 or string.find(body, '"errors"', 1, true) then
    errors = errors + 1
  end
end

function done(summary, latency, requests)
  local failed = 0
  for _, thread in ipairs(threads) do
    failed = failed + thread:get("errors")
  end
  io.write(string.format(
    'WRK_RESULT {"requests": %d, "duration_us": %d, "p50_us": %d, "p95_us": %d, '
    .. '"p99_us": %d, "max_us": %d, "failed": %d, "socket_errors": %d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), latency.max, failed,
    summary.errors.connect + summary.errors.read + summary.errors.write
      + summary.errors.timeout))
end
"""


@dataclass(frozen=True)
class Measurement:
    requests: int
    failed: int
    seconds: float
    latencies_ms: Sequence[float] | None = None
    p50_ms: float = 0.0
    p95_ms: float = 0.0
    p99_ms: float = 0.0

    def summary(self) -> dict[str, Any]:
        if self.latencies_ms is not None:
            p50, p95, p99 = (percentile(self.latencies_ms, q) for q in (50, 95, 99))
        else:
            p50, p95, p99 = self.p50_ms, self.p95_ms, self.p99_ms
        return {
            "rps": round(self.requests / self.seconds, 1) if self.seconds else 0.0,
            "p50_ms": round(p50, 2),
            "p95_ms": round(p95, 2),
            "p99_ms": round(p99, 2),
            "requests": self.requests,
            "failed": self.failed,
        }


class CpuProbe:
    """CPU seconds spent by the server's workers and by Postgres, to show where a scenario went.

    wrk and the server share the same 2 cores, so the split also shows that the load
    generator did not starve the server, and whether the workers shared the load evenly.
    """

    def __init__(self, server_pid: int, pgdata: Path) -> None:
        self.server = psutil.Process(server_pid)
        self.postmaster = postmaster(pgdata)

    def snapshot(self) -> tuple[dict[int, float], dict[int, float]]:
        return cpu_seconds(self.server.children(recursive=True)), cpu_seconds(
            [self.postmaster, *self.postmaster.children()]
        )

    @staticmethod
    def spent(
        before: tuple[dict[int, float], dict[int, float]],
        after: tuple[dict[int, float], dict[int, float]],
    ) -> dict[str, Any]:
        workers = [seconds - before[0].get(pid, 0.0) for pid, seconds in after[0].items()]
        postgres = sum(seconds - before[1].get(pid, 0.0) for pid, seconds in after[1].items())
        return {
            # Busiest first; the supervisor's resource tracker shows as ~0 and is left out.
            "server_worker_cpu_s": sorted(
                (round(s, 1) for s in workers if s >= 0.05), reverse=True
            ),
            "postgres_cpu_s": round(postgres, 1),
        }


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--companies", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=2, help="server processes")
    parser.add_argument("--concurrency", type=int, default=16, help="open keep-alive connections")
    parser.add_argument("--duration", type=float, default=10.0, help="measured s per scenario")
    parser.add_argument("--warmup", type=float, default=3.0, help="unmeasured seconds first")
    parser.add_argument(
        "--load-generator",
        choices=("auto", "wrk", "python"),
        default="auto",
        help="auto = wrk when installed, else the built-in asyncio client",
    )
    parser.add_argument(
        "--no-embeddings",
        dest="embeddings",
        action="store_false",
        help="leave the embedding columns empty (the product fills them on create)",
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--time-limit", type=int, default=900, help="abort the run after seconds")
    parser.add_argument("--keep-data", action="store_true", help="leave the data folder behind")
    return parser.parse_args(argv)


# --- data -----------------------------------------------------------------------------


def unit_vectors(rng: np.random.Generator, count: int) -> npt.NDArray[np.float32]:
    vectors = rng.standard_normal((count, EMBEDDING_DIMENSIONS)).astype(np.float32)
    normalized: npt.NDArray[np.float32] = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    return normalized


def load_records(
    url: str, companies: int, rng: random.Random, *, embeddings: bool
) -> list[uuid.UUID]:
    """COPY the bench companies, people and emails straight into the tables; return company ids.

    With `embeddings`, every company and person gets a 384-dimension vector, as the
    product gives them on create: the list queries read that column too, so leaving it
    empty would flatter them.
    """
    company_ids = [uuid.uuid4() for _ in range(companies)]
    people = companies * PEOPLE_PER_COMPANY
    vectors = np.random.default_rng(rng.randrange(2**32))
    company_vectors = unit_vectors(vectors, companies) if embeddings else [None] * companies
    person_vectors = unit_vectors(vectors, people) if embeddings else [None] * people
    with psycopg.connect(libpq_url(url)) as connection:
        register_vector(connection)  # before the cursor, which copies the adapters
        cursor = connection.cursor()
        # Inserting rows one by one into the HNSW graphs is many times slower than one build.
        index_definitions = [
            row[0]
            for row in cursor.execute(
                "SELECT indexdef FROM pg_indexes WHERE indexname = ANY(%s)", (HNSW_INDEXES,)
            )
        ]
        for name in HNSW_INDEXES:
            cursor.execute(f"DROP INDEX {name}")
        company_copy = "COPY company (id, name, domain, description, embedding) FROM STDIN"
        with cursor.copy(company_copy + " (FORMAT BINARY)") as copy:
            copy.set_types(["uuid", "varchar", "varchar", "text", "vector"])
            for number, company_id in enumerate(company_ids):
                name = f"{rng.choice(WORDS).title()} {rng.choice(WORDS).title()} "
                name += rng.choice(SUFFIXES)
                domain = f"{name.split()[0].lower()}-{number}.example.com"
                description = f"Bench company {number}"
                copy.write_row(
                    (company_id, f"{name} {number}", domain, description, company_vectors[number])
                )
        # One COPY at a time per connection, so the emails are gathered while people stream.
        emails: list[tuple[str, uuid.UUID, int]] = []
        person_copy = "COPY person (id, name, title, company_id, embedding) FROM STDIN"
        with cursor.copy(person_copy + " (FORMAT BINARY)") as copy:
            copy.set_types(["uuid", "varchar", "varchar", "uuid", "vector"])
            for number, company_id in enumerate(company_ids):
                for seat in range(PEOPLE_PER_COMPANY):
                    person_id = uuid.uuid4()
                    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
                    title = rng.choice(TITLES)
                    vector = person_vectors[number * PEOPLE_PER_COMPANY + seat]
                    copy.write_row((person_id, f"{first} {last}", title, company_id, vector))
                    email = f"{first}.{last}.{number}.{seat}@bench-{number}.example.com".lower()
                    emails.append((email, person_id, 0))
        with cursor.copy("COPY person_email (email, person_id, position) FROM STDIN") as copy:
            for row in emails:
                copy.write_row(row)
        connection.commit()
        cursor.execute("SET maintenance_work_mem = '512MB'")
        for definition in index_definitions:
            cursor.execute(definition)
        connection.commit()
        # Fresh statistics, as a long-running database would have them.
        for table in ("company", "person", "person_email"):
            cursor.execute(f"ANALYZE {table}")
        connection.commit()
    return company_ids


async def issue_token(url: str) -> str:
    database = Database.connect(url, pool_size=1)
    try:
        async with database.session() as session:
            actor = Actor.system("bench")
            await create_user(session, actor, email=BENCH_EMAIL, role="admin", name="Bench")
            _, secret = await create_token(
                session, actor, user_email=BENCH_EMAIL, scopes=["read"], name="bench"
            )
        return secret
    finally:
        await database.dispose()


# --- server ---------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def start_server(url: str, data_dir: Path, port: int, workers: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "COMPOUND_DATA_DIR": str(data_dir),
        # The workers attach to the bench's Postgres instead of starting their own.
        "COMPOUND_DATABASE_URL": url,
        "COMPOUND_LOG_LEVEL": "warning",
        # What the server can serve to one token is measured, not the per-token limit
        # (20 requests/s by default), which would answer most of these with 429.
        "COMPOUND_API_REQUESTS_PER_SECOND": "100000",
        "COMPOUND_API_REQUEST_BURST": "1000000",
    }
    log = (data_dir / "server.log").open("wb")
    command = [sys.executable, "-m", "compound.web.cli", "serve", "--host", "127.0.0.1"]
    command += ["--port", str(port), "--workers", str(workers)]
    # Its own session, so a stray worker can be reaped by process group if the parent hangs;
    # the data folder as cwd, so a developer's .env does not leak into the measurement.
    return subprocess.Popen(
        command, env=env, cwd=data_dir, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )


def stop_server(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    # uvicorn's supervisor stops its workers gracefully on SIGTERM (it installs its own handler).
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=5)


def wait_for_health(process: subprocess.Popen[bytes], port: int, log: Path) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited early:\n{log.read_text()[-3000:]}")
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
        try:
            connection.request("GET", "/health")
            if connection.getresponse().status == 200:
                return
        except OSError:
            pass
        finally:
            connection.close()
        time.sleep(0.3)
    raise RuntimeError(f"the server was not healthy within 90 s:\n{log.read_text()[-3000:]}")


def graphql(port: int, token: str, query: str, variables: dict[str, Any]) -> dict[str, Any]:
    body = json.dumps({"query": query, "variables": variables})
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("POST", "/graphql", body=body, headers=headers)
        reply = connection.getresponse()
        document: dict[str, Any] = json.loads(reply.read())
    finally:
        connection.close()
    if reply.status != 200 or document.get("errors"):
        raise RuntimeError(f"GraphQL answered {reply.status}: {document}")
    data: dict[str, Any] = document["data"]
    return data


def collect_cursors(port: int, token: str) -> list[str | None]:
    """Every page's `after` cursor, starting with None for the first page."""
    cursors: list[str | None] = [None]
    while True:
        page = graphql(port, token, CURSOR_WALK, {"after": cursors[-1]})["companies"]
        if not page["pageInfo"]["hasNextPage"]:
            return cursors
        cursors.append(page["pageInfo"]["endCursor"])


# --- load generators ------------------------------------------------------------------


def run_wrk(
    port: int, token: str, bodies: Path, script: Path, args: argparse.Namespace
) -> Measurement:
    def wrk(seconds: float) -> dict[str, Any]:
        command = ["wrk", "-t1", f"-c{args.concurrency}", f"-d{max(1, round(seconds))}s"]
        command += ["--timeout", "10s", "-s", str(script), f"http://127.0.0.1:{port}"]
        command += ["--", str(bodies), token, str(args.seed)]
        result = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60)
        match = re.search(r"^WRK_RESULT (.*)$", result.stdout, re.MULTILINE)
        if result.returncode != 0 or match is None:
            raise RuntimeError(f"wrk failed:\n{result.stdout}\n{result.stderr}")
        report: dict[str, Any] = json.loads(match.group(1))
        return report

    wrk(args.warmup)
    report = wrk(args.duration)
    return Measurement(
        requests=report["requests"],
        failed=report["failed"] + report["socket_errors"],
        seconds=report["duration_us"] / 1e6,
        p50_ms=report["p50_us"] / 1000,
        p95_ms=report["p95_us"] / 1000,
        p99_ms=report["p99_us"] / 1000,
    )


def http_requests(port: int, token: str, bodies: Sequence[str]) -> list[bytes]:
    """Raw HTTP/1.1 keep-alive requests, built once so the client spends no time per request."""
    built = []
    for body in bodies:
        payload = body.encode()
        head = (
            f"POST /graphql HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            f"Authorization: Bearer {token}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(payload)}\r\n\r\n"
        )
        built.append(head.encode() + payload)
    return built


async def read_response(reader: asyncio.StreamReader) -> tuple[int, bytes, bool]:
    """Status, body and whether the server keeps the connection open."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = {}
    for line in lines[1:]:
        if line:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip().lower()
    if headers.get("transfer-encoding") == "chunked":
        chunks = []
        while True:
            size = int((await reader.readuntil(b"\r\n")).strip(), 16)
            chunk = await reader.readexactly(size + 2)
            if size == 0:
                break
            chunks.append(chunk[:-2])
        body = b"".join(chunks)
    else:
        body = await reader.readexactly(int(headers.get("content-length", "0")))
    return status, body, headers.get("connection") != "close"


async def python_load(
    port: int, requests: Sequence[bytes], args: argparse.Namespace
) -> Measurement:
    latencies: list[float] = []
    counts = {"requests": 0, "failed": 0}
    start = time.perf_counter()
    measure_from = start + args.warmup
    stop_at = measure_from + args.duration
    rng = random.Random(args.seed)

    async def connection_loop() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            while (sent := time.perf_counter()) < stop_at:
                writer.write(rng.choice(requests))
                status, body, keep_alive = await read_response(reader)
                done = time.perf_counter()
                if sent >= measure_from and done <= stop_at:
                    latencies.append((done - sent) * 1000)
                    counts["requests"] += 1
                    if status != 200 or b'"errors"' in body:
                        counts["failed"] += 1
                if not keep_alive:
                    writer.close()
                    reader, writer = await asyncio.open_connection("127.0.0.1", port)
        finally:
            writer.close()

    await asyncio.gather(*(connection_loop() for _ in range(args.concurrency)))
    return Measurement(
        requests=counts["requests"],
        failed=counts["failed"],
        seconds=args.duration,
        latencies_ms=latencies,
    )


def measure(
    name: str,
    bodies: list[str],
    port: int,
    token: str,
    data_dir: Path,
    generator: str,
    probe: CpuProbe,
    args: argparse.Namespace,
) -> dict[str, Any]:
    say(f"{name}: {args.warmup:g} s warm-up, {args.duration:g} s measured ({generator})")
    cpu_before = _child_and_self_cpu()
    server_before = probe.snapshot()
    started = time.monotonic()
    if generator == "wrk":
        bodies_file = data_dir / f"{name}.bodies"
        bodies_file.write_text("\n".join(bodies) + "\n")
        script = data_dir / "bench.lua"
        script.write_text(WRK_SCRIPT)
        measurement = run_wrk(port, token, bodies_file, script, args)
    else:
        measurement = asyncio.run(python_load(port, http_requests(port, token, bodies), args))
    elapsed = time.monotonic() - started
    server_after = probe.snapshot()
    summary = measurement.summary()
    summary.update(probe.spent(server_before, server_after))
    # How much of the 2 cores the load generator itself took from the server.
    summary["load_generator_cpu_share"] = round((_child_and_self_cpu() - cpu_before) / elapsed, 2)
    say(f"{name}: {json.dumps(summary)}")
    return summary


def _child_and_self_cpu() -> float:
    total = 0.0
    for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN):
        usage = resource.getrusage(who)
        total += usage.ru_utime + usage.ru_stime
    return total


def wrk_version() -> str:
    result = subprocess.run(["wrk", "-v"], capture_output=True, text=True, timeout=10)
    match = re.search(r"wrk (\S+)", result.stdout + result.stderr)
    return match.group(1) if match else "unknown"


# --- the run --------------------------------------------------------------------------


def request_bodies(query: str, variable: str, values: Sequence[Any]) -> list[str]:
    return [json.dumps({"query": query, "variables": {variable: value}}) for value in values]


def run(args: argparse.Namespace, data_dir: Path) -> dict[str, Any]:
    # Other work on the machine skews every figure; the JSON says how busy it was.
    load_average = os.getloadavg()[0]
    rng = random.Random(args.seed)
    generator = args.load_generator
    if generator == "auto":
        generator = "wrk" if shutil.which("wrk") else "python"
    say(f"data folder {data_dir}; starting the embedded Postgres")
    url = start_embedded_postgres(data_dir / "pgdata")
    migrations.upgrade(url)
    started = time.monotonic()
    company_ids = load_records(url, args.companies, rng, embeddings=args.embeddings)
    people = args.companies * PEOPLE_PER_COMPANY
    say(f"loaded {args.companies} companies, {people} people in {time.monotonic() - started:.1f} s")
    token = asyncio.run(issue_token(url))

    port = free_port()
    server = start_server(url, data_dir, port, args.workers)
    try:
        wait_for_health(server, port, data_dir / "server.log")
        say(f"server up on http://127.0.0.1:{port} with {args.workers} workers")
        graphql(port, token, COMPANY_BY_ID, {"id": str(company_ids[0])})  # fails loudly if broken
        cursors = collect_cursors(port, token)
        graphql(port, token, COMPANIES_PAGE, {"after": cursors[-1]})
        say(f"collected {len(cursors)} page cursors")
        probe = CpuProbe(server.pid, data_dir / "pgdata")

        shuffled = [str(company_id) for company_id in company_ids]
        rng.shuffle(shuffled)
        by_id_bodies = request_bodies(COMPANY_BY_ID, "id", shuffled)
        by_id = measure(
            "company_by_id", by_id_bodies, port, token, data_dir, generator, probe, args
        )
        # One client, one request at a time: latency without queueing, so a fixed stall
        # per request (such as Nagle's algorithm on a keep-alive connection) stands out.
        sequential = argparse.Namespace(**{**vars(args), "concurrency": 1, "warmup": 1.0})
        sequential.duration = max(1.0, args.duration / 2)
        one_connection = measure(
            "company_by_id_one_connection",
            by_id_bodies,
            port,
            token,
            data_dir,
            generator,
            probe,
            sequential,
        )
        page = measure(
            "companies_page_50_with_people",
            request_bodies(COMPANIES_PAGE, "after", cursors),
            port,
            token,
            data_dir,
            generator,
            probe,
            args,
        )
    finally:
        stop_server(server)

    if generator == "wrk":
        description = f"wrk {wrk_version()} (1 thread, {args.concurrency} connections, Lua)"
    else:
        description = f"python asyncio raw HTTP/1.1 keep-alive ({args.concurrency} connections)"
    return {
        "company_by_id": by_id,
        "companies_page_50_with_people": page,
        "company_by_id_one_connection": one_connection,
        "companies": args.companies,
        "people": people,
        "embeddings": args.embeddings,
        "server_workers": args.workers,
        "concurrency": args.concurrency,
        "duration_s": args.duration,
        "warmup_s": args.warmup,
        "load_generator": description,
        "cpus": os.cpu_count(),
        "load_average_at_start": round(load_average, 2),
        "targets": {"company_by_id_rps": RPS_TARGET, "companies_page_p95_ms": P95_TARGET_MS},
        "targets_met": {
            "company_by_id_rps": by_id["rps"] >= RPS_TARGET and by_id["failed"] == 0,
            "companies_page_p95_ms": page["p95_ms"] <= P95_TARGET_MS and page["failed"] == 0,
        },
    }


def main(argv: Sequence[str] | None = None) -> int:
    return run_bench(run, parse_args(argv), prefix="cb-")


if __name__ == "__main__":
    sys.exit(main())
