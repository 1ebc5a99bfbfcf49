"""The no-op actor that bench/job_queue.py has `compound worker --import queue_bench_actors` run."""

from __future__ import annotations

import asyncio
import os
import threading
import time

from sqlalchemy.ext.asyncio import AsyncSession

from compound.platform.queue.actors import job

# The folder the bench gives every worker process; each process appends to its own file.
LOG_DIR_VARIABLE = "COMPOUND_BENCH_QUEUE_LOG"

_log_fd: int | None = None
_log_lock = threading.Lock()


def _log() -> int:
    global _log_fd
    with _log_lock:
        if _log_fd is None:
            path = os.path.join(os.environ[LOG_DIR_VARIABLE], f"starts-{os.getpid()}.log")
            # O_APPEND makes each short os.write() one atomic line, so the worker threads of
            # a process share the file without a lock per job.
            _log_fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        return _log_fd


@job("bench.noop", max_retries=0)
async def noop(session: AsyncSession, *, phase: str, enqueued_at: float) -> None:
    """Record when the job started; touch nothing else (the unused session stays free)."""
    started = time.time()
    os.write(_log(), f"{phase} {enqueued_at!r} {started!r}\n".encode())


@job("bench.sleep", max_retries=0)
async def sleeping(
    session: AsyncSession, *, phase: str, enqueued_at: float, seconds: float
) -> None:
    """Hold a worker thread without using CPU, as a job waiting on a model or a web page does."""
    started = time.time()
    os.write(_log(), f"{phase} {enqueued_at!r} {started!r}\n".encode())
    await asyncio.sleep(seconds)
