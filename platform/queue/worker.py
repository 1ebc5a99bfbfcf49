"""Running workers: dramatiq's Worker on the Postgres broker, in one or more processes."""

from __future__ import annotations

import importlib
import multiprocessing
import signal
import threading
from collections.abc import Sequence
from types import FrameType

import dramatiq
import structlog

from compound.platform.config import get_settings
from compound.platform.logging import configure_logging
from compound.platform.queue.actors import job_broker

STOP_TIMEOUT_MS = 30_000
READY = "Worker process ready"

logger = structlog.get_logger(__name__)


def run_worker(*, threads: int, modules: Sequence[str], queues: Sequence[str] = ()) -> None:
    """Consume jobs until SIGINT or SIGTERM; running jobs get 30 s to finish, the rest go back."""
    # The handlers come first: a stop that arrives while the agents are still importing
    # ends the process through the same clean shutdown instead of killing it mid-import.
    stop = threading.Event()

    def request_stop(signum: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    # As each server process does (create_app): a spawned worker process starts with
    # Python's bare logging, where nothing quiets the HTTP clients' request URLs.
    configure_logging(get_settings())
    broker = job_broker()
    for module in modules:
        importlib.import_module(module)
    worker = dramatiq.Worker(broker, worker_threads=threads, queues=set(queues) or None)
    worker.start()
    logger.info(READY, threads=threads)
    try:
        stop.wait()
    finally:
        worker.stop(timeout=STOP_TIMEOUT_MS)
        broker.close()


def run_workers(
    *, processes: int, threads: int, modules: Sequence[str], queues: Sequence[str] = ()
) -> None:
    """`processes` workers side by side; stopping this process stops them all."""
    if processes == 1:
        run_worker(threads=threads, modules=modules, queues=queues)
        return
    context = multiprocessing.get_context("spawn")
    children = [
        context.Process(
            target=run_worker,
            kwargs={"threads": threads, "modules": list(modules), "queues": list(queues)},
            name=f"worker-{index}",
        )
        for index in range(processes)
    ]
    for child in children:
        child.start()
    stop = threading.Event()

    def request_stop(signum: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    while not stop.is_set() and any(child.is_alive() for child in children):
        stop.wait(0.5)
    for child in children:
        if child.is_alive():
            child.terminate()
    for child in children:
        child.join(timeout=STOP_TIMEOUT_MS / 1000 + 5)
        if child.is_alive():
            child.kill()
