"""Benchmark: no-op jobs through `compound worker` on the Postgres job queue, jobs/s and latency."""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import resource
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import dramatiq
import psutil  # type: ignore[import-untyped]  # installed with pgserver
import psycopg
from harness import cpu_seconds, percentile, postmaster, run_bench, say  # bench/harness.py
from queue_bench_actors import LOG_DIR_VARIABLE, noop, sleeping  # bench/queue_bench_actors.py

from compound.platform import migrations
from compound.platform.database import Database
from compound.platform.embedded_postgres import libpq_url, start_embedded_postgres
from compound.platform.queue import service
from compound.platform.queue.broker import CHANNEL

BENCH_DIR = Path(__file__).resolve().parent
JOBS_PER_S_TARGET = 500.0
P50_TARGET_MS = 20.0
# A phase that makes no progress for this long has a dead or wedged worker: fail, do not hang.
STALL_SECONDS = 30.0


def thread_counts(value: str) -> list[int]:
    counts = [int(part) for part in value.split(",") if part.strip()]
    if not counts or min(counts) < 1:
        raise argparse.ArgumentTypeError("give one or more positive thread counts: 4 or 4,8")
    return counts


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--jobs", type=int, default=20_000, help="jobs per throughput phase")
    parser.add_argument("--batch", type=int, default=100, help="jobs per enqueue transaction")
    parser.add_argument("--processes", type=int, default=2, help="worker processes")
    parser.add_argument(
        "--threads",
        type=thread_counts,
        default=[8],
        help="threads per worker process; a comma list (4,8) runs every phase for each",
    )
    parser.add_argument("--latency-rate", type=float, default=200.0, help="jobs/s, one per txn")
    parser.add_argument("--latency-seconds", type=float, default=10.0)
    parser.add_argument("--warmup-jobs", type=int, default=1_000)
    parser.add_argument(
        "--idle-seconds", type=float, default=3.0, help="measured s of the idle_spin phase"
    )
    parser.add_argument("--time-limit", type=int, default=900, help="abort the run after seconds")
    parser.add_argument("--keep-data", action="store_true", help="leave the data folder behind")
    return parser.parse_args(argv)


# --- the worker -----------------------------------------------------------------------


def start_worker(
    url: str,
    data_dir: Path,
    log_dir: Path | None,
    processes: int,
    threads: int,
    *,
    module: str = "queue_bench_actors",
    log_name: str | None = None,
) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "COMPOUND_DATA_DIR": str(data_dir),
        # The workers attach to the bench's Postgres instead of starting their own.
        "COMPOUND_DATABASE_URL": url,
        "COMPOUND_LOG_LEVEL": "warning",
        # So that `--import queue_bench_actors` finds the actor module (and the spawned
        # worker processes inherit it).
        "PYTHONPATH": os.pathsep.join(filter(None, [str(BENCH_DIR), os.environ.get("PYTHONPATH")])),
        **({LOG_DIR_VARIABLE: str(log_dir)} if log_dir else {}),
    }
    command = [sys.executable, "-m", "compound.web.cli", "worker", "--processes", str(processes)]
    command += ["--threads", str(threads), "--import", module]
    # Its own session, so the whole tree can be killed by process group if it hangs; the
    # data folder as cwd, so a developer's .env does not leak into the measurement.
    with (data_dir / (log_name or f"worker-t{threads}.log")).open("wb") as log:
        return subprocess.Popen(
            command,
            env=env,
            cwd=data_dir,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def stop_worker(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    # The supervisor passes SIGTERM on; each worker finishes its running jobs (≤ 30 s).
    process.terminate()
    try:
        process.wait(timeout=45)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=5)


def worker_log_tail(data_dir: Path, threads: int) -> str:
    path = data_dir / f"worker-t{threads}.log"
    return path.read_text(errors="replace")[-3000:] if path.exists() else ""


class CpuProbe:
    """CPU seconds of each worker process, of Postgres and of this process, per phase."""

    def __init__(self, worker_pid: int, pgdata: Path) -> None:
        self.worker = psutil.Process(worker_pid)
        self.postmaster = postmaster(pgdata)

    def snapshot(self) -> tuple[dict[int, float], dict[int, float], float]:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return (
            cpu_seconds([self.worker, *self.worker.children(recursive=True)]),
            cpu_seconds([self.postmaster, *self.postmaster.children()]),
            usage.ru_utime + usage.ru_stime,
        )

    @staticmethod
    def spent(
        before: tuple[dict[int, float], dict[int, float], float],
        after: tuple[dict[int, float], dict[int, float], float],
        seconds: float,
    ) -> dict[str, Any]:
        workers = [cpu - before[0].get(pid, 0.0) for pid, cpu in after[0].items()]
        postgres = sum(cpu - before[1].get(pid, 0.0) for pid, cpu in after[1].items())
        return {
            # Busiest first; the supervisor and the resource tracker show as ~0 and are left out.
            "worker_cpu_s": sorted((round(s, 2) for s in workers if s >= 0.05), reverse=True),
            "postgres_cpu_s": round(postgres, 2),
            "bench_cpu_s": round(after[2] - before[2], 2),
            # Out of the machine's cores: near 2.0 on 2 cores means the CPU was the limit.
            "cores_busy": round((sum(workers) + postgres + after[2] - before[2]) / seconds, 2)
            if seconds
            else 0.0,
        }


# --- enqueueing -----------------------------------------------------------------------


async def enqueue_batches(
    database: Database,
    phase: str,
    jobs: int,
    batch: int,
    *,
    delay: timedelta | None = None,
    actor: dramatiq.Actor[..., None] = noop,
    **kwargs: Any,
) -> float:
    """Enqueue `jobs` in transactions of `batch`, as fast as one connection goes; seconds taken."""
    started = time.perf_counter()
    for first in range(0, jobs, batch):
        async with database.session() as session:
            for _ in range(min(batch, jobs - first)):
                await service.enqueue(
                    session, actor, delay=delay, phase=phase, enqueued_at=time.time(), **kwargs
                )
    return time.perf_counter() - started


async def enqueue_steadily(database: Database, phase: str, rate: float, seconds: float) -> int:
    """One job per transaction on a fixed schedule (open loop: a late send does not shift the
    rest), so that queueing in the bench does not count as queue latency."""
    count = int(rate * seconds)
    start = time.perf_counter()
    for number in range(count):
        pause = start + number / rate - time.perf_counter()
        if pause > 0:
            await asyncio.sleep(pause)
        async with database.session() as session:
            await service.enqueue(session, noop, phase=phase, enqueued_at=time.time())
    return count


# --- reading results ------------------------------------------------------------------

# Phases share the job table (done rows stay, as they do in production), told apart by the
# phase each job was enqueued with.
IN_PHASE = "message->'kwargs'->>'phase' = %s"


@dataclass(frozen=True)
class PhaseTimes:
    done: int
    other: int
    seconds: float
    wal_bytes: int


def wal_position(connection: psycopg.Connection[Any]) -> str:
    # WAL rather than pg_stat_database's commit counter: backends report their counters up
    # to seconds late, the WAL position is exact.
    row = connection.execute("SELECT pg_current_wal_lsn()::text").fetchone()
    assert row is not None
    return str(row[0])


def wait_until_idle(
    connection: psycopg.Connection[Any],
    worker: subprocess.Popen[bytes],
    data_dir: Path,
    threads: int,
) -> None:
    """Until no job is queued or running; one phase runs at a time, so its jobs are through."""
    pending, last_change = -1, time.monotonic()
    while True:
        if worker.poll() is not None:
            raise RuntimeError(f"the worker exited early:\n{worker_log_tail(data_dir, threads)}")
        # Both states have a partial index, so polling costs Postgres next to nothing.
        row = connection.execute(
            "SELECT count(*) FROM job WHERE state IN ('queued', 'running')"
        ).fetchone()
        now_pending = int(row[0]) if row else 0
        if now_pending == 0:
            return
        if now_pending != pending:
            pending, last_change = now_pending, time.monotonic()
        elif time.monotonic() - last_change > STALL_SECONDS:
            raise RuntimeError(
                f"{pending} jobs made no progress for {STALL_SECONDS:g} s;"
                f" worker log:\n{worker_log_tail(data_dir, threads)}"
            )
        time.sleep(0.25)


def phase_times(connection: psycopg.Connection[Any], phase: str, wal_before: str) -> PhaseTimes:
    row = connection.execute(
        "SELECT count(*) FILTER (WHERE state = 'done'), count(*) FILTER (WHERE state <> 'done'),"
        " extract(epoch FROM max(finished_at) - min(started_at)),"
        f" pg_wal_lsn_diff(pg_current_wal_lsn(), %s::pg_lsn) FROM job WHERE {IN_PHASE}",
        (wal_before, phase),
    ).fetchone()
    assert row is not None
    return PhaseTimes(
        done=int(row[0]),
        other=int(row[1]),
        seconds=float(row[2] or 0.0),
        wal_bytes=int(row[3]),
    )


def claim_delays_ms(connection: psycopg.Connection[Any], phase: str) -> list[float]:
    """Enqueue transaction start (created_at) → claim (started_at), per job, from the table."""
    rows = connection.execute(
        f"SELECT extract(epoch FROM started_at - created_at) * 1000 FROM job WHERE {IN_PHASE}"
        " AND state = 'done'",
        (phase,),
    ).fetchall()
    return [float(row[0]) for row in rows]


def start_delays_ms(log_dir: Path, phase: str) -> list[float]:
    """enqueue() called → actor body started, per job, from the actors' own log lines."""
    delays = []
    for path in log_dir.glob("starts-*.log"):
        for line in path.read_text().splitlines():
            name, enqueued_at, started = line.split()
            if name == phase:
                delays.append((float(started) - float(enqueued_at)) * 1000)
    return delays


def settle(connection: psycopg.Connection[Any]) -> None:
    """What autovacuum does in a long-running system, done now so that every phase starts
    with fresh statistics and no dead rows from the phase before."""
    connection.execute("VACUUM ANALYZE job")


def empty_table(connection: psycopg.Connection[Any]) -> None:
    """A job table as on a fresh install (or after a purge): empty, and analyzed empty."""
    connection.execute("DELETE FROM job")
    connection.execute("VACUUM ANALYZE job")


def latency_summary(delays: Sequence[float]) -> dict[str, float]:
    return {
        "p50_ms": round(percentile(delays, 50), 2),
        "p95_ms": round(percentile(delays, 95), 2),
        "p99_ms": round(percentile(delays, 99), 2),
        "max_ms": round(max(delays), 2) if delays else 0.0,
    }


def phase_summary(times: PhaseTimes, cpu: dict[str, Any]) -> dict[str, Any]:
    per_job = 1000 / times.done if times.done else 0.0
    return {
        "jobs": times.done,
        "not_done": times.other,
        "seconds": round(times.seconds, 2),
        "jobs_per_s": round(times.done / times.seconds, 1) if times.seconds else 0.0,
        # Per job, so phases and runs of different sizes compare: what one job costs.
        "worker_cpu_ms_per_job": round(sum(cpu["worker_cpu_s"]) * per_job, 3),
        "postgres_cpu_ms_per_job": round(cpu["postgres_cpu_s"] * per_job, 3),
        "wal_bytes_per_job": round(times.wal_bytes * per_job / 1000),
        **cpu,
    }


# --- the phases -----------------------------------------------------------------------


@dataclass
class Setup:
    admin: psycopg.Connection[Any]
    database: Database
    worker: subprocess.Popen[bytes]
    probe: CpuProbe
    data_dir: Path
    log_dir: Path
    threads: int
    args: argparse.Namespace

    def wait(self) -> None:
        wait_until_idle(self.admin, self.worker, self.data_dir, self.threads)


def measure_drain(setup: Setup, phase: str) -> dict[str, Any]:
    """Every job is written first (an hour out), then released at once: the workers alone set
    the pace, and the enqueuer takes no CPU from them."""
    args = setup.args
    asyncio.run(
        enqueue_batches(setup.database, phase, args.jobs, args.batch, delay=timedelta(hours=1))
    )
    before = setup.probe.snapshot()
    started = time.monotonic()
    with setup.admin.transaction():
        setup.admin.execute("UPDATE job SET eta = now() WHERE state = 'queued'")
        # After the release, so the drain's WAL is the workers' alone (claims and acks).
        wal_before = wal_position(setup.admin)
        setup.admin.execute(f"NOTIFY {CHANNEL}")
    setup.wait()
    cpu = setup.probe.spent(before, setup.probe.snapshot(), time.monotonic() - started)
    return phase_summary(phase_times(setup.admin, phase, wal_before), cpu)


def measure_flood(setup: Setup, phase: str) -> dict[str, Any]:
    """The issue's scenario: enqueue in batches as fast as possible while the workers run."""
    args = setup.args
    before, wal_before = setup.probe.snapshot(), wal_position(setup.admin)
    started = time.monotonic()
    enqueue_seconds = asyncio.run(enqueue_batches(setup.database, phase, args.jobs, args.batch))
    setup.wait()
    cpu = setup.probe.spent(before, setup.probe.snapshot(), time.monotonic() - started)
    result = phase_summary(phase_times(setup.admin, phase, wal_before), cpu)
    result["enqueue_per_s"] = round(args.jobs / enqueue_seconds, 1)
    # Includes the wait for the rest of its batch to commit (up to `batch` inserts).
    result["enqueue_to_start"] = latency_summary(start_delays_ms(setup.log_dir, phase))
    return result


def measure_latency(setup: Setup, phase: str) -> dict[str, Any]:
    """A steady, moderate rate, one job per transaction, so that a job waits for the queue
    machinery and not behind other jobs."""
    args = setup.args
    before = setup.probe.snapshot()
    started = time.monotonic()
    sent = asyncio.run(
        enqueue_steadily(setup.database, phase, args.latency_rate, args.latency_seconds)
    )
    setup.wait()
    cpu = setup.probe.spent(before, setup.probe.snapshot(), time.monotonic() - started)
    result: dict[str, Any] = {"rate_per_s": args.latency_rate, "jobs": sent}
    result.update(latency_summary(start_delays_ms(setup.log_dir, phase)))
    result["enqueue_to_claim"] = latency_summary(claim_delays_ms(setup.admin, phase))
    result.update(cpu)
    return result


def measure_idle_spin(setup: Setup, phase: str) -> dict[str, Any]:
    """CPU spent while every worker thread sleeps inside a job and more jobs wait: a worker
    busy only waiting (on a model, a web page) should cost next to nothing."""
    args = setup.args
    slots = args.processes * setup.threads
    hold = 1.0
    # Each consumer holds two jobs per thread (dramatiq's prefetch): with this many, jobs stay
    # queued past the end of the window, and the consumers have no room to claim them.
    jobs = slots * (math.ceil(args.idle_seconds / hold) + 3)
    asyncio.run(
        enqueue_batches(
            setup.database,
            phase,
            jobs,
            args.batch,
            delay=timedelta(hours=1),
            actor=sleeping,
            seconds=hold,
        )
    )
    with setup.admin.transaction():
        setup.admin.execute("UPDATE job SET eta = now() WHERE state = 'queued'")
        setup.admin.execute(f"NOTIFY {CHANNEL}")
    time.sleep(hold / 2)  # every thread has taken its first job
    before = setup.probe.snapshot()
    started = time.monotonic()
    time.sleep(args.idle_seconds)
    cpu = setup.probe.spent(before, setup.probe.snapshot(), time.monotonic() - started)
    setup.wait()
    return {
        "jobs": jobs,
        "job_seconds": hold,
        "measured_s": args.idle_seconds,
        "worker_cores_busy": round(sum(cpu["worker_cpu_s"]) / args.idle_seconds, 2),
        "postgres_cores_busy": round(cpu["postgres_cpu_s"] / args.idle_seconds, 2),
        **cpu,
    }


def run_threads(url: str, data_dir: Path, threads: int, args: argparse.Namespace) -> dict[str, Any]:
    """Warm up, then every phase, against one `compound worker` with `threads` threads."""
    log_dir = data_dir / f"starts-t{threads}"
    log_dir.mkdir()
    admin = psycopg.connect(libpq_url(url), autocommit=True)
    empty_table(admin)  # every thread count starts alike
    database = Database.connect(url, pool_size=2)
    worker = start_worker(url, data_dir, log_dir, args.processes, threads)
    results: dict[str, Any] = {"worker_threads": threads}
    try:
        setup = Setup(
            admin=admin,
            database=database,
            worker=worker,
            probe=CpuProbe(worker.pid, data_dir / "pgdata"),
            data_dir=data_dir,
            log_dir=log_dir,
            threads=threads,
            args=args,
        )
        say(f"{args.processes} worker processes × {threads} threads: warming up")
        # Warm-up also proves the workers are consuming: every thread has opened its engine
        # and connections before anything is timed.
        asyncio.run(enqueue_batches(database, "warmup", args.warmup_jobs, args.batch))
        setup.wait()
        phases = [
            ("backlog_drain", f"{args.jobs} jobs released at once", measure_drain),
            ("throughput", f"{args.jobs} jobs enqueued while consumed", measure_flood),
            ("latency", f"{args.latency_rate:g} jobs/s, one per transaction", measure_latency),
            ("idle_spin", "every thread asleep in a job, more jobs queued", measure_idle_spin),
        ]
        for key, description, measure in phases:
            settle(admin)
            say(f"{key}: {description}")
            results[key] = measure(setup, key)
            say(f"{key}: {results[key]}")
        # Last, because it empties the table: the same drain on a table that was analyzed
        # while empty, as on a fresh install, where the consumers' cached query plans are
        # made for an empty table and stay until autovacuum analyzes it again.
        empty_table(admin)
        say(f"cold_backlog_drain: {args.jobs} jobs released at once into a fresh job table")
        results["cold_backlog_drain"] = measure_drain(setup, "cold_backlog_drain")
        say(f"cold_backlog_drain: {results['cold_backlog_drain']}")
    finally:
        stop_worker(worker)
        asyncio.run(database.dispose())
        admin.close()
    return results


def targets_met(result: dict[str, Any]) -> dict[str, bool]:
    throughput, latency = result["throughput"], result["latency"]
    return {
        "jobs_per_s": throughput["jobs_per_s"] >= JOBS_PER_S_TARGET and throughput["not_done"] == 0,
        "p50_ms": latency["p50_ms"] <= P50_TARGET_MS and latency["jobs"] > 0,
    }


def run(args: argparse.Namespace, data_dir: Path) -> dict[str, Any]:
    # Other work on the machine skews every figure; the JSON says how busy it was.
    load_average = os.getloadavg()[0]
    say(f"data folder {data_dir}; starting the embedded Postgres")
    url = start_embedded_postgres(data_dir / "pgdata", database="bench_queue")
    migrations.upgrade(url)
    with psycopg.connect(libpq_url(url), autocommit=True) as connection:
        row = connection.execute("SHOW synchronous_commit").fetchone()
        synchronous_commit = row[0] if row else "unknown"
    runs = [run_threads(url, data_dir, threads, args) for threads in args.threads]
    # The headline is the thread count with the best sustained throughput.
    best = max(runs, key=lambda result: float(result["throughput"]["jobs_per_s"]))
    return {
        "throughput": best["throughput"],
        "latency": best["latency"],
        "backlog_drain": best["backlog_drain"],
        "cold_backlog_drain": best["cold_backlog_drain"],
        "idle_spin": best["idle_spin"],
        "worker_processes": args.processes,
        "worker_threads": best["worker_threads"],
        "by_threads": runs if len(runs) > 1 else None,
        "batch": args.batch,
        "synchronous_commit": synchronous_commit,
        "cpus": os.cpu_count(),
        "load_average_at_start": round(load_average, 2),
        "targets": {"jobs_per_s": JOBS_PER_S_TARGET, "p50_ms": P50_TARGET_MS},
        "targets_met": targets_met(best),
    }


def main(argv: Sequence[str] | None = None) -> int:
    return run_bench(run, parse_args(argv), prefix="cq-")


if __name__ == "__main__":
    sys.exit(main())
