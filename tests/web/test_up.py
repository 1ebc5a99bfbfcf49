"""`compound up` (what `make up` runs): embedded Postgres, demo data once, a token, a clean stop."""

from __future__ import annotations

import os
import re
import shutil
import signal
import smtplib
import stat
import subprocess
import tempfile
import time
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import httpx
import psutil
import pytest
from playwright.sync_api import expect, sync_playwright

from compound.modules.leads.api import DEMO_LIST_TITLE
from tests.conftest import REPOSITORY_ROOT, compound_command, free_port
from tests.e2e.conftest import CHROMIUM, CHROMIUM_FLAGS, sign_in


@pytest.fixture
def data_dir() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="cpdu-", dir="/tmp"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


def run_up(
    data_dir: Path, port: int, smtp_port: int = 0, sink_port: int = 0
) -> tuple[subprocess.Popen[str], list[str], str]:
    env = {key: value for key, value in os.environ.items() if key != "COMPOUND_DATABASE_URL"}
    env["COMPOUND_DATA_DIR"] = str(data_dir)
    env["COMPOUND_SMTP_PORT"] = str(smtp_port or free_port())
    env["COMPOUND_OUTBOUND_SMTP_PORT"] = str(sink_port or free_port())
    process = subprocess.Popen(
        compound_command("up", "--port", str(port)),
        env=env,
        cwd=REPOSITORY_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: list[str] = []
    deadline = time.monotonic() + 240
    assert process.stdout is not None
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        lines.append(line.rstrip())
        if "Compound is serving on" in line:
            break
    output = "\n".join(lines)
    token = re.search(r"API token:\s+(cpd_\S+)", output)
    assert token, output
    return process, lines, token.group(1)


def graphql(port: int, token: str, query: str) -> httpx.Response:
    deadline = time.monotonic() + 60
    while True:
        try:
            return httpx.post(
                f"http://127.0.0.1:{port}/graphql",
                json={"query": query},
                headers={"Authorization": f"Bearer {token}"},
                timeout=30,
            )
        except httpx.ConnectError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)


TRIAGE = """mutation { startRun(agent: "triage", input: {sender: "ana@acme-logistics.example",
  to: ["hello@compound.localhost"], subject: "Demo for our sales team?",
  text: "Hi! Could we get a demo and pricing for 20 seats next week?"}) {
  run { id engine } userErrors { message } } }"""


def assert_the_worker_runs_the_triage_agent(port: int, token: str) -> None:
    started = graphql(port, token, TRIAGE).json()["data"]["startRun"]
    assert started["userErrors"] == [] and started["run"]["engine"] == "offline"
    query = '{ run(id: "%s") { state output } }' % started["run"]["id"]  # noqa: UP031
    deadline = time.monotonic() + 60
    while True:
        run = graphql(port, token, query).json()["data"]["run"]
        if run["state"] in ("DONE", "FAILED") or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert run["state"] == "DONE", run
    assert run["output"]["kind"] == "inbound_lead"


MAIL_THREAD = """{ conversations(first: 5, filter: {subjectContains: "SUBJECT"}) { edges { node { messageCount messages {
  channel senderAuthenticated senderInternal triage } } } } }"""


def assert_mail_is_received_routed_and_acknowledged(
    port: int, token: str, smtp_port: int, password: str, outbox: Path
) -> None:
    """Over SMTP AUTH as the demo admin (an authenticated colleague): stored by the SMTP
    listener, processed and routed by the worker, acknowledged through the local sink."""
    subject = f"Pull the Q3 pipeline numbers {time.monotonic_ns()}"
    message = EmailMessage()
    message["From"] = "admin@compound.localhost"
    message["To"] = "hello@compound.localhost"
    message["Subject"] = subject
    message.set_content("Could you pull the pipeline numbers for Q3 before the review?")
    with smtplib.SMTP("127.0.0.1", smtp_port, timeout=30) as client:
        client.login("admin@compound.localhost", password)
        client.send_message(message)
    deadline = time.monotonic() + 90
    while True:
        body = graphql(port, token, MAIL_THREAD.replace("SUBJECT", subject))
        edges = body.json()["data"]["conversations"]["edges"]
        thread = edges[0]["node"] if edges else None
        if (thread and thread["messageCount"] == 2) or time.monotonic() > deadline:
            break
        time.sleep(0.3)
    assert thread is not None and thread["messageCount"] == 2, body.text
    received, acknowledgement = thread["messages"]
    assert received["senderAuthenticated"] and received["senderInternal"]
    assert received["triage"]["kind"] == "internal_ask"
    assert acknowledgement["channel"] == "outbound"
    assert any(subject.encode() in path.read_bytes() for path in outbox.glob("*.eml"))


def assert_http_ingest_is_processed_and_routed(port: int, token: str) -> None:
    """A provider's webhook hands in raw MIME; the worker threads and routes it."""
    subject = f"Support: export fails {time.monotonic_ns()}"
    message = EmailMessage()
    message["From"] = "Ana <ana@acme-logistics.example>"
    message["To"] = "support@compound.localhost"
    message["Subject"] = subject
    message.set_content("Hi, the CSV export fails with an error every time. We are customers.")
    response = httpx.post(
        f"http://127.0.0.1:{port}/ingest/email",
        content=message.as_bytes(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "message/rfc822"},
        timeout=30,
    )
    assert response.status_code == 202, response.text
    deadline = time.monotonic() + 90
    while True:
        body = graphql(port, token, MAIL_THREAD.replace("SUBJECT", subject))
        edges = body.json()["data"]["conversations"]["edges"]
        found = edges[0]["node"]["messages"][0] if edges else None
        if (found and found["triage"]) or time.monotonic() > deadline:
            break
        time.sleep(0.3)
    assert found is not None and found["channel"] == "http", body.text
    assert found["triage"]["kind"] == "support_request"
    assert not found["senderAuthenticated"]


DEMO_INBOX = """{ inbox(first: 20) { edges { node { root { agent title } items { kind title
  choices proposedAction { tool } } } } } }"""
DEMO_IMPORTS = "{ leadImports(first: 50) { edges { node { title state summary } } } }"


def demo_imports(port: int, token: str) -> list[dict[str, str]]:
    edges = graphql(port, token, DEMO_IMPORTS).json()["data"]["leadImports"]["edges"]
    return [edge["node"] for edge in edges if edge["node"]["title"] == DEMO_LIST_TITLE]


def assert_the_demo_work_reaches_the_inbox(port: int, token: str) -> None:
    """The import `up` queued on the first run, worked by the worker's real agents: the
    exceptions (a missing URL, and no contact to write to for each new lead) and a question
    wait in the Inbox; no outreach approval that could not be approved."""
    deadline = time.monotonic() + 90
    while True:
        groups = [
            edge["node"]
            for edge in graphql(port, token, DEMO_INBOX).json()["data"]["inbox"]["edges"]
        ]
        items = [
            item
            for group in groups
            if DEMO_LIST_TITLE in group["root"]["title"]
            for item in group["items"]
        ]
        kinds = sorted(item["kind"] for item in items)
        if kinds.count("EXCEPTION") >= 4 or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert kinds == ["EXCEPTION", "EXCEPTION", "EXCEPTION", "EXCEPTION", "QUESTION"], groups
    titles = sorted(item["title"] for item in items if item["kind"] == "EXCEPTION")
    assert [title for title in titles if title.startswith("No URL found for Tessellate Labs")]
    assert len([title for title in titles if title.startswith("No contact known for ")]) == 3
    [question] = [item for item in items if item["kind"] == "QUESTION"]
    assert "Tamarind Payments" in question["title"] and len(question["choices"]) == 3
    [ledger] = demo_imports(port, token)
    assert ledger["state"] == "DONE", ledger
    assert ledger["summary"].startswith("3 added"), ledger


def assert_a_person_sees_the_demo_inbox(port: int, password: str) -> None:
    """What a newcomer sees after `make up`: signed in as the demo admin, the Inbox shows the
    demo import under its ledger line, with its exceptions and question."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            page.goto(f"http://127.0.0.1:{port}/")
            sign_in(page, "admin@compound.localhost", password)
            group = page.get_by_role("region", name=f"Import companies: {DEMO_LIST_TITLE}")
            expect(group.locator(".ledger")).to_contain_text("3 added")
            expect(group).to_contain_text("No URL found for Tessellate Labs")
            expect(group.locator("article.kind-question")).to_contain_text("Tamarind Payments")
            # Under the outreach drafts' own task: one exception per lead nobody can be written to.
            no_contact = page.locator("article.kind-exception", has_text="No contact known for")
            expect(no_contact.first).to_be_visible()
            screenshots = REPOSITORY_ROOT / "var" / "screenshots"
            screenshots.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(screenshots / "inbox-demo.png"))
        finally:
            browser.close()


def stop(process: subprocess.Popen[str]) -> int:
    process.send_signal(signal.SIGINT)
    return process.wait(timeout=60)


def test_up_serves_demo_data_and_a_second_run_reuses_it(data_dir: Path) -> None:
    port, smtp_port = free_port(), free_port()
    process, lines, token = run_up(data_dir, port, smtp_port=smtp_port)
    try:
        output = "\n".join(lines)
        assert f"http://127.0.0.1:{port}" in output
        assert "admin@compound.localhost" in output
        assert "loading demo data" in output
        counts = graphql(port, token, "{ companies { totalCount } people { totalCount } }").json()
        companies = counts["data"]["companies"]["totalCount"]
        assert 150 <= companies <= 250
        assert 400 <= counts["data"]["people"]["totalCount"] <= 600
        hits = graphql(port, token, '{ search(query: "software", first: 3) { score } }').json()
        assert len(hits["data"]["search"]) == 3
        children = [" ".join(child.cmdline()) for child in psutil.Process(process.pid).children()]
        assert any("compound.web.cli worker" in command for command in children), children
        assert "agents:       offline engines" in output
        assert_the_worker_runs_the_triage_agent(port, token)
        password = re.search(r"password:\s+(\S+)", output)
        assert password, output
        # The demo admin's password file is readable by its owner alone (issue 13).
        credentials = data_dir / "demo-admin.txt"
        assert stat.S_IMODE(credentials.stat().st_mode) == 0o600
        assert credentials.read_text().split() == ["admin@compound.localhost", password.group(1)]
        assert_mail_is_received_routed_and_acknowledged(
            port, token, smtp_port, password.group(1), data_dir / "outbox"
        )
        assert_http_ingest_is_processed_and_routed(port, token)
        assert "demo work:    queued" in output
        assert_the_demo_work_reaches_the_inbox(port, token)
        assert_a_person_sees_the_demo_inbox(port, password.group(1))
        # Mail from a new domain made a company: what the second run must find.
        companies = graphql(port, token, "{ companies { totalCount } }").json()["data"][
            "companies"
        ]["totalCount"]
    finally:
        code = stop(process)
    assert code in (0, 130)
    assert (data_dir / "pgdata" / "PG_VERSION").exists()
    assert not (data_dir / "pgdata" / "postmaster.pid").exists(), (
        "Postgres kept running after Ctrl-C"
    )

    again, lines, new_token = run_up(data_dir, port)
    try:
        assert "loading demo data" not in "\n".join(lines)
        assert "demo work" not in "\n".join(lines)
        assert new_token != token
        recount = graphql(port, new_token, "{ companies { totalCount } }").json()
        assert recount["data"]["companies"]["totalCount"] == companies
        assert graphql(port, token, "{ companies { totalCount } }").status_code == 401
        assert len(demo_imports(port, new_token)) == 1
    finally:
        assert stop(again) in (0, 130)
