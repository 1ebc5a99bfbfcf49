"""Credentials in the model endpoint's URL (and the database's) are never printed or logged
(issue 13, finding 8), tried as the audit tried it: the real `compound worker`, `serve` and
`up` as processes, with `COMPOUND_OPENAI_BASE_URL=http://user:…@127.0.0.1:<port>/v1?api-key=…`
pointing at the local OpenAI-compatible test server and a job that calls the model. The
secrets must appear nowhere in what the processes write, nor on the Settings › Model page;
the redacted URL is what they show instead."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import httpx
import pytest

from compound.agents.runtime import service as runs
from compound.agents.runtime.models import AgentRun, Engine
from compound.platform.auth.actor import Actor
from compound.platform.database import Database
from compound.platform.queue.worker import READY
from tests.conftest import REPOSITORY_ROOT, EmbeddedServer, compound_command, free_port
from tests.llm_server import LLMServer, chat_json, running_llm_server
from tests.runtime_agents import PLANNER

MODEL_PASSWORD = "s3cret-pw"
MODEL_KEY_IN_URL = "s3cret-key"
MODEL_API_KEY = "sk-s3cret-apikey"
DATABASE_PASSWORD = "db-s3cret-pw"
SECRETS = (MODEL_PASSWORD, MODEL_KEY_IN_URL, MODEL_API_KEY, DATABASE_PASSWORD)
USER_PASSWORD = "correct horse battery"
WAIT_SECONDS = 120


def assert_no_secret_in(text: str) -> None:
    for secret in SECRETS:
        assert secret not in text, f"{secret!r} leaked:\n{text[-4000:]}"


@pytest.fixture(scope="module")
def model_server() -> Iterator[LLMServer]:
    with running_llm_server() as server:
        yield server


@pytest.fixture(scope="module")
def database_url(embedded_server: EmbeddedServer) -> str:
    """A database of its own, reached with a password in its URL (the embedded server trusts
    its socket, so the password is carried along without being needed)."""
    url = embedded_server.database_url("compound_secrets")
    return url.replace("://postgres@", f"://postgres:{DATABASE_PASSWORD}@", 1)


@pytest.fixture(scope="module")
def secret_env(
    embedded_server: EmbeddedServer, model_server: LLMServer, database_url: str
) -> dict[str, str]:
    base_url = model_server.url.replace("http://", f"http://user:{MODEL_PASSWORD}@", 1)
    return {
        **os.environ,
        "COMPOUND_DATABASE_URL": database_url,
        "COMPOUND_DATA_DIR": str(embedded_server.data_dir),
        "COMPOUND_OPENAI_BASE_URL": f"{base_url}?api-key={MODEL_KEY_IN_URL}",
        "COMPOUND_OPENAI_API_KEY": MODEL_API_KEY,
        "COMPOUND_LLM_RETRY_BASE_SECONDS": "0.01",
    }


def shown_endpoint(model_server: LLMServer) -> str:
    """The endpoint as Compound prints it: where it points, with the credentials masked."""
    port = model_server.url.rsplit(":", 1)[1].split("/", 1)[0]
    return f"http://***@127.0.0.1:{port}/v1?api-key=***"


def start(command: list[str], env: dict[str, str], log: IO[str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        command,
        env=env,
        cwd=REPOSITORY_ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # its own group: the stop reaches the children it spawned
    )


def stop(process: subprocess.Popen[str], sig: signal.Signals = signal.SIGTERM) -> None:
    if process.poll() is None:
        os.killpg(process.pid, sig)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def read(log: IO[str]) -> str:
    log.flush()
    log.seek(0)
    return log.read()


def wait_for(log: IO[str], text: str, process: subprocess.Popen[str], count: int = 1) -> str:
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        output = read(log)
        if output.count(text) >= count:
            return output
        assert process.poll() is None, f"exited early:\n{output}"
        time.sleep(0.2)
    raise AssertionError(f"{text!r} did not appear {count} time(s):\n{read(log)}")


def chat_paths(model_server: LLMServer) -> list[str]:
    return [path for path, _ in model_server.requests if "/chat/completions" in path]


async def run_planner_on_the_model(database_url: str, model_server: LLMServer) -> str:
    """One run whose every step is a model call, left to the worker; its final state."""
    model_server.script.append(chat_json({"results": ["done"], "answer": None}))
    database = Database.connect(database_url, pool_size=1)
    try:
        async with database.session() as session:
            run = await runs.start_run(
                session, Actor.system("tests"), PLANNER, {"steps": []}, engine=Engine.MODEL
            )
        deadline = time.monotonic() + WAIT_SECONDS
        while time.monotonic() < deadline:
            async with database.session() as session:
                found = await session.get(AgentRun, run.id)
                assert found is not None
                if found.state in ("done", "failed"):
                    return found.state
            await asyncio.sleep(0.2)
        raise AssertionError("the worker did not finish the run")
    finally:
        await database.dispose()


@pytest.mark.parametrize(
    ("log_level", "processes"),
    # At debug, the HTTP clients would log every request's URL; two processes: the spawned
    # ones configure their logging the way the server's processes do.
    [("info", "1"), ("debug", "2")],
)
async def test_the_worker_calls_the_model_and_prints_and_logs_no_credentials(
    secret_env: dict[str, str],
    model_server: LLMServer,
    database_url: str,
    log_level: str,
    processes: str,
) -> None:
    env = {**secret_env, "COMPOUND_LOG_LEVEL": log_level}
    command = compound_command(
        "worker", "--processes", processes, "--threads", "2", "--import", "tests.runtime_agents"
    )
    with tempfile.TemporaryFile("w+") as log:
        worker = start(command, env, log)
        try:
            wait_for(log, "agents run on", worker)
            # Stopped before a spawned process is up, that process has nothing to log.
            wait_for(log, READY, worker, count=int(processes))
            before = len(chat_paths(model_server))
            assert await run_planner_on_the_model(database_url, model_server) == "done"
        finally:
            stop(worker)
        output = read(log)
    # The model was called through the configured URL, its key in the query still sent…
    assert chat_paths(model_server)[before:] == [f"/v1/chat/completions?api-key={MODEL_KEY_IN_URL}"]
    # …and what the worker wrote says where, never with what.
    assert f"agents run on models at {shown_endpoint(model_server)}" in output, output
    assert "jobs from the job table in Postgres" in output
    # Every worker process (spawned ones too) logs through the same configuration as the
    # server's; a spawned one used to have Python's bare logging (nothing below WARNING).
    assert output.count("[info     ] Worker has been shut down.") == int(processes), output
    assert_no_secret_in(output)


def sign_in(client: httpx.Client, email: str) -> None:
    form = client.get("/sign-in")
    csrf = re.search(r'name="csrf" value="([^"]+)"', form.text)
    assert csrf is not None, form.text
    response = client.post(
        "/sign-in",
        data={"email": email, "password": USER_PASSWORD, "next": "/", "csrf": csrf.group(1)},
    )
    assert response.status_code == 303, response.text


def wait_until_healthy(client: httpx.Client) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        try:
            if client.get("/health").status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise AssertionError("the server never became healthy")


def test_serve_shows_the_endpoint_redacted_and_logs_no_credentials(
    secret_env: dict[str, str], model_server: LLMServer
) -> None:
    email = f"admin-{uuid.uuid4().hex[:6]}@compound.localhost"
    created = subprocess.run(
        compound_command("user", "create", "--email", email, "--role", "admin"),
        env={**secret_env, "COMPOUND_PASSWORD": USER_PASSWORD},
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPOSITORY_ROOT,
    )
    assert created.returncode == 0, created.stderr
    assert_no_secret_in(created.stdout + created.stderr)
    port = free_port()
    with tempfile.TemporaryFile("w+") as log:
        server = start(compound_command("serve", "--port", str(port)), secret_env, log)
        try:
            wait_for(log, "Compound is serving on", server)
            with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
                wait_until_healthy(client)
                sign_in(client, email)
                page = client.get("/settings/model")
        finally:
            stop(server)
        output = read(log)
    assert page.status_code == 200
    assert shown_endpoint(model_server) in page.text
    assert_no_secret_in(page.text)
    assert_no_secret_in(output)


def test_up_prints_the_endpoint_and_the_database_redacted(
    secret_env: dict[str, str], model_server: LLMServer, tmp_path: Path
) -> None:
    """`compound up` (with an external database here, so it needs no Postgres of its own):
    what it prints, and what its worker writes while it calls the model for a run."""
    port = free_port()
    env = {
        **secret_env,
        "COMPOUND_DATA_DIR": str(tmp_path),
        "COMPOUND_SMTP_PORT": str(free_port()),
        "COMPOUND_OUTBOUND_SMTP_PORT": str(free_port()),
    }
    with tempfile.TemporaryFile("w+") as log:
        up = start(compound_command("up", "--no-seed", "--port", str(port)), env, log)
        try:
            output = wait_for(log, "Compound is serving on", up)
            token = re.search(r"API token:\s+(cpd_\S+)", output)
            assert token, output
            before = len(chat_paths(model_server))
            with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
                wait_until_healthy(client)
                started = client.post(
                    "/graphql",
                    json={"query": TRIAGE_RUN},
                    headers={"Authorization": f"Bearer {token.group(1)}"},
                ).json()["data"]["startRun"]
            assert started["run"]["engine"] == "model", started
            deadline = time.monotonic() + WAIT_SECONDS
            while len(chat_paths(model_server)) == before:
                assert time.monotonic() < deadline, read(log)
                time.sleep(0.2)
            time.sleep(1)  # what the worker logs once the answer is in
        finally:
            stop(up, signal.SIGINT)
        output = read(log)
    assert f"agents:       models at {shown_endpoint(model_server)}" in output, output
    assert "database: external, postgresql+psycopg://***@/compound_secrets?host=" in output
    assert_no_secret_in(output)


TRIAGE_RUN = """mutation { startRun(agent: "triage", input: {sender: "ana@acme.example",
  to: ["hello@compound.localhost"], subject: "A demo?", text: "Could we get a demo?"}) {
  run { id engine } userErrors { message } } }"""
