"""What the browser tests share: Debian's Chromium under Playwright (never a downloaded
browser), a way to run database work beside Playwright's event loop, and signing in."""

from __future__ import annotations

import asyncio
import socket
import subprocess
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from tests.conftest import REPOSITORY_ROOT, LiveServer, compound_command, free_port

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PASSWORD = "correct horse battery"
T = TypeVar("T")


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    assert CHROMIUM.exists(), "Chromium is missing: `make install` installs it from Debian"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


def run_async(work: Callable[[], Awaitable[T]]) -> T:
    """Runs a coroutine in a thread of its own: Playwright's sync API owns this thread's loop."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(lambda: asyncio.run(work())).result()  # type: ignore[arg-type]


def new_member(live_server: LiveServer, name: str) -> str:
    """A member with PASSWORD in the live server's database; returns their email."""
    email = f"e2e-{uuid.uuid4().hex[:8]}@example.com"
    live_server.cli(
        "user", "create", "--email", email, "--password-stdin", "--role", "member",
        "--name", name, stdin=PASSWORD,
    )  # fmt: skip
    return email


def sign_in(page: Page, email: str, password: str) -> None:
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


@dataclass(frozen=True)
class Background:
    """Compound's other processes beside the live server: the worker, the SMTP listener, and
    the outbound relay (a sink that keeps what is sent, in `outbox`)."""

    smtp_port: int
    outbox: Path


def _wait_for_port(port: int, process: subprocess.Popen[str], what: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            output = process.stdout.read() if process.stdout else ""
            raise RuntimeError(f"{what} exited early:\n{output}")
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise RuntimeError(f"{what} did not listen on port {port} within 60 s")


@pytest.fixture(scope="module")
def background(
    live_server: LiveServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Background]:
    """`compound worker`, `compound smtp` and `compound smtp-sink` on the live server's
    database, as `compound up` runs them, for as long as one test module needs them."""
    outbox = tmp_path_factory.mktemp("e2e-outbox")
    smtp_port, sink_port = free_port(), free_port()
    env = {
        **live_server.env,
        "COMPOUND_SMTP_PORT": str(smtp_port),
        "COMPOUND_OUTBOUND_SMTP_PORT": str(sink_port),
    }
    commands = {
        "the SMTP sink": compound_command("smtp-sink", "--folder", str(outbox)),
        "the SMTP listener": compound_command("smtp"),
        "the worker": compound_command("worker", "--processes", "1", "--threads", "2"),
    }
    processes = {
        what: subprocess.Popen(
            command,
            env=env,
            cwd=REPOSITORY_ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for what, command in commands.items()
    }
    try:
        _wait_for_port(sink_port, processes["the SMTP sink"], "the SMTP sink")
        _wait_for_port(smtp_port, processes["the SMTP listener"], "the SMTP listener")
        yield Background(smtp_port=smtp_port, outbox=outbox)
    finally:
        for process in processes.values():
            process.terminate()
        for process in processes.values():
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
