"""Runs the ASGI app under uvicorn: one process, or N processes that each own a listening socket.

With several workers each process binds its own SO_REUSEPORT socket, so the kernel spreads
connections across them; a socket shared the way uvicorn's own `workers=N` does it lets one
busy process take most connections and, created without IPPROTO_TCP, leaves TCP_NODELAY off
for accepted connections (every keep-alive request then waits ~40 ms for a delayed ACK).
"""

from __future__ import annotations

import multiprocessing
import signal
import socket
import sys
from types import FrameType

import uvicorn

from compound.platform.errors import PortInUse

APP = "compound.web.app:create_app"


def _check_port_free(host: str, port: int) -> None:
    # A plain bind (no SO_REUSEPORT) fails if anyone holds the port, even a socket that
    # would otherwise share it with ours.
    probe = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        probe.bind((host, port))
    except OSError as error:
        raise PortInUse(f"cannot listen on {host}:{port}: {error.strerror}") from None
    finally:
        probe.close()


def _listening_socket(host: str, port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def _config(log_level: str) -> uvicorn.Config:
    return uvicorn.Config(APP, factory=True, log_level=log_level, access_log=False)


def _run_worker(host: str, port: int, log_level: str) -> None:
    sock = _listening_socket(host, port)
    uvicorn.Server(_config(log_level)).run(sockets=[sock])


def serve(*, host: str, port: int, workers: int, log_level: str = "warning") -> None:
    """Serve until Ctrl-C or SIGTERM; with workers > 1, stop every worker before returning."""
    _check_port_free(host, port)
    if workers == 1:
        uvicorn.run(APP, factory=True, host=host, port=port, log_level=log_level, access_log=False)
        return
    context = multiprocessing.get_context("spawn")
    processes = [
        context.Process(target=_run_worker, args=(host, port, log_level), name=f"web-{index}")
        for index in range(workers)
    ]
    for process in processes:
        process.start()

    def stop(signum: int, _frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        for process in processes:
            process.join()
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        for process in processes:
            if process.is_alive():
                process.terminate()  # uvicorn shuts down gracefully on SIGTERM
        for process in processes:
            process.join(timeout=30)
            if process.is_alive():
                process.kill()
    failed = [p.name for p in processes if p.exitcode not in (0, -signal.SIGTERM, None)]
    if failed:
        print(f"error: web workers exited abnormally: {', '.join(failed)}", file=sys.stderr)
