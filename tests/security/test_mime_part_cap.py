"""No message makes more than `COMPOUND_MAIL_MAX_PARTS` (500) MIME parts' worth of work
(issue 13, finding 9), tried as the audit tried it: an 11 MB message of 100,000 parts posted
to the real `POST /ingest/email` of `compound serve`, processed by a real `compound worker`.
Before, it made 100,000 attachment rows, 82 s of worker time, +460 MB of worker memory and
a 21 MB conversation page. Now: at most 500 rows, a defect that says how many parts there
were, a page that says so and stays small, and the raw message kept byte for byte."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any

import httpx
import psutil
import pytest

from tests.conftest import REPOSITORY_ROOT, LiveServer, compound_command
from tests.platform.email.test_part_limit import many_parts
from tests.web.test_live_server import token_for

PARTS = 100_000
CAP = 500
PASSWORD = "correct horse battery"
WAIT_SECONDS = 180


@dataclass
class Worker:
    process: subprocess.Popen[str]
    log: IO[str]

    def rss_mb(self) -> float:
        """Resident memory of the worker and its children."""
        parent = psutil.Process(self.process.pid)
        processes = [parent, *parent.children(recursive=True)]
        return sum(process.memory_info().rss for process in processes) / 2**20

    def output(self) -> str:
        self.log.seek(0)
        return self.log.read()[-4000:]


@pytest.fixture(scope="module")
def worker(live_server: LiveServer) -> Iterator[Worker]:
    with tempfile.TemporaryFile("w+") as log:
        process = subprocess.Popen(
            compound_command("worker", "--processes", "1", "--threads", "2"),
            env=live_server.env,
            cwd=REPOSITORY_ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        try:
            yield Worker(process, log)
        finally:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)


def ingest(live_server: LiveServer, token: str, raw: bytes) -> str:
    response = httpx.post(
        f"{live_server.url}/ingest/email",
        content=raw,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "message/rfc822"},
        timeout=120,
    )
    assert response.status_code == 202, response.text
    return str(response.json()["id"])


def processed(live_server: LiveServer, worker: Worker, message_id: str) -> dict[str, Any]:
    """The message once the worker processed it, with its processing job's timing."""
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        [row] = live_server.query(
            "SELECT m.state, m.defects, m.conversation_id, j.started_at, j.finished_at"
            " FROM message m JOIN job j ON j.actor_name = 'email.process_message'"
            " AND j.message->'kwargs'->>'message_id' = m.id::text WHERE m.id = %s",
            message_id,
        )
        if row["state"] != "received" and row["finished_at"] is not None:
            return row
        assert worker.process.poll() is None, worker.output()
        time.sleep(0.5)
    raise AssertionError(f"not processed in {WAIT_SECONDS} s:\n{worker.output()}")


def settle(live_server: LiveServer) -> None:
    """Until no job is queued or running (the embeddings batch that follows new people)."""
    deadline = time.monotonic() + WAIT_SECONDS
    while live_server.query("SELECT 1 FROM job WHERE state IN ('queued', 'running') LIMIT 1"):
        assert time.monotonic() < deadline, "jobs still running"
        time.sleep(0.5)


def thread_page(live_server: LiveServer, conversation_id: str) -> str:
    email = f"reader-{uuid.uuid4().hex[:6]}@compound.localhost"
    subprocess.run(
        compound_command("user", "create", "--email", email, "--role", "viewer"),
        env={**live_server.env, "COMPOUND_PASSWORD": PASSWORD},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
        cwd=REPOSITORY_ROOT,
    )
    with httpx.Client(base_url=live_server.url, timeout=60) as client:
        form = client.get("/sign-in")
        csrf = re.search(r'name="csrf" value="([^"]+)"', form.text)
        assert csrf is not None
        signed = client.post(
            "/sign-in",
            data={"email": email, "password": PASSWORD, "next": "/", "csrf": csrf.group(1)},
        )
        assert signed.status_code == 303, signed.text
        page = client.get(f"/conversations/{conversation_id}")
        assert page.status_code == 200
        return page.text


def test_a_100k_part_message_makes_at_most_the_cap_of_work_and_says_so(
    live_server: LiveServer, worker: Worker
) -> None:
    token = token_for(live_server, "ingest")
    # Warm-up: the worker's first message loads what every message needs (the embedding
    # model for the new sender among them), so the memory below is the big message's.
    warm = many_parts(3, tag=f"warm-{uuid.uuid4().hex[:6]}")
    processed(live_server, worker, ingest(live_server, token, warm))
    settle(live_server)
    rss_before = worker.rss_mb()

    raw = many_parts(PARTS, tag=f"bomb-{uuid.uuid4().hex[:6]}")
    assert len(raw) > 10_000_000
    message_id = ingest(live_server, token, raw)
    row = processed(live_server, worker, message_id)
    rss_after = worker.rss_mb()
    seconds = (row["finished_at"] - row["started_at"]).total_seconds()
    # The figures the issue asks for (shown with -s).
    print(
        f"\n{PARTS:,}-part message ({len(raw) / 1e6:.1f} MB): processing job {seconds:.1f} s, "
        f"worker RSS {rss_before:.0f} → {rss_after:.0f} MB"
    )

    assert row["state"] == "processed"
    [count] = live_server.query(
        "SELECT count(*) AS n FROM attachment WHERE message_id = %s", message_id
    )
    assert count["n"] == CAP - 2  # the root and the text part are parts too
    assert row["defects"][0] == (
        f"{CAP} of {PARTS + 2:,} MIME parts kept; the rest are only in the raw message"
    )
    [kept] = live_server.query("SELECT raw FROM message WHERE id = %s", message_id)
    assert bytes(kept["raw"]) == raw
    # 82 s and +460 MB before; the bounds leave room for a busy machine.
    assert seconds < 30, seconds
    assert rss_after - rss_before < 150, (rss_before, rss_after)

    page = thread_page(live_server, str(row["conversation_id"]))
    assert len(page.encode()) < 500_000, len(page)  # 21 MB before
    assert f"Attachments ({CAP - 2})" in page
    assert f"Not all of this message was read: {CAP} of {PARTS + 2:,} MIME parts kept" in page
    assert f"/messages/{message_id}/raw" in page
