"""`compound serve --workers N`: N processes share the port, stop together, refuse a taken port."""

from __future__ import annotations

import signal
import subprocess
import time

import httpx
import psutil

from tests.conftest import REPOSITORY_ROOT, LiveServer, compound_command, free_port


def wait_healthy(url: str, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, process.communicate()[0]
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise AssertionError("server did not become healthy")


def test_two_workers_serve_and_stop_together(live_server: LiveServer) -> None:
    port = free_port()
    process = subprocess.Popen(
        compound_command("serve", "--port", str(port), "--workers", "2"),
        env=live_server.env,
        cwd=REPOSITORY_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, process)
        workers = [
            child
            for child in psutil.Process(process.pid).children()
            if "resource_tracker" not in " ".join(child.cmdline())
        ]
        assert len(workers) == 2
        listening = {
            worker.pid
            for worker in workers
            for connection in worker.net_connections()
            if connection.status == psutil.CONN_LISTEN and connection.laddr.port == port
        }
        assert listening == {worker.pid for worker in workers}, "each worker owns a socket"
        for _ in range(20):
            with httpx.Client() as client:  # a fresh connection each time
                assert client.get(f"{url}/health").status_code == 200
        taken = subprocess.run(
            compound_command("serve", "--port", str(port)),
            env=live_server.env,
            cwd=REPOSITORY_ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert taken.returncode == 2
        assert f"cannot listen on 127.0.0.1:{port}" in taken.stderr
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)
    assert all(
        not worker.is_running() or worker.status() == psutil.STATUS_ZOMBIE for worker in workers
    )
