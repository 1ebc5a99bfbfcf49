"""What every bench script shares: progress lines, percentiles, a time limit, one JSON line."""

from __future__ import annotations

import argparse
import atexit
import json
import shutil
import signal
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from types import FrameType
from typing import Any

import numpy as np
import psutil  # type: ignore[import-untyped]  # installed with pgserver


class BenchTimeout(BaseException):
    """Raised by the alarm when the whole run exceeds --time-limit."""


def say(message: str) -> None:
    print(message, flush=True)


def percentile(values: Sequence[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q)) if values else 0.0


def cpu_seconds(processes: list[psutil.Process]) -> dict[int, float]:
    """User + system CPU seconds per pid (processes that already exited are left out)."""
    seconds = {}
    for process in processes:
        try:
            times = process.cpu_times()
        except psutil.NoSuchProcess:
            continue
        seconds[process.pid] = times.user + times.system
    return seconds


def postmaster(pgdata: Path) -> psutil.Process:
    """The embedded Postgres server process of a data folder."""
    return psutil.Process(int((pgdata / "postmaster.pid").read_text().split()[0]))


def _exit_on_signal(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)


def _time_is_up(signum: int, frame: FrameType | None) -> None:
    raise BenchTimeout("the benchmark ran past --time-limit")


def run_bench(
    run: Callable[[argparse.Namespace, Path], dict[str, Any]],
    args: argparse.Namespace,
    *,
    prefix: str,
) -> int:
    """Run `run(args, data_dir)` in a fresh data folder and print its figures as the last line."""
    # Short on purpose: Postgres puts its unix socket in here (paths are capped at ~100 bytes).
    data_dir = Path(tempfile.mkdtemp(prefix=prefix, dir="/tmp"))
    if not args.keep_data:
        # Registered before Postgres starts, so it runs after pgserver's exit hook stopped it.
        atexit.register(shutil.rmtree, data_dir, True)
    # SIGTERM and the time limit unwind through the finally blocks that stop servers.
    signal.signal(signal.SIGTERM, _exit_on_signal)
    signal.signal(signal.SIGALRM, _time_is_up)
    signal.alarm(args.time_limit)
    started = time.monotonic()
    try:
        result = run(args, data_dir)
    finally:
        signal.alarm(0)
    result["wall_s"] = round(time.monotonic() - started, 1)
    print(json.dumps(result), flush=True)
    return 0
