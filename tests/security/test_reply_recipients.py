"""A reply goes only to addresses the approver saw (issue 13, finding 3), tried as the audit
tried it: mail naming 40 third-party addresses in `Reply-To` comes in over the running SMTP
listener and the running worker routes it.

- From a colleague (SMTP AUTH as the From): the automatic acknowledgement goes to the
  colleague alone, none of the 40 gets anything, and nobody had to approve it.
- Answered in a run that needs approval: the Inbox item lists all 40 and warns that Reply-To
  is not the sender; approving it as proposed is refused at `arguments.recipients`, naming
  the cap; approved with the recipients edited down, exactly those get it."""

from __future__ import annotations

import smtplib
import time
import uuid
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from typing import Any

import pytest

from compound.platform.email.sink import sent_messages
from tests.conftest import LiveServer
from tests.e2e.conftest import PASSWORD, Background, background

__all__ = ["background"]  # the fixture: worker, SMTP listener and sink beside the server

DOMAIN = "compound.localhost"
WAIT_SECONDS = 120
THIRD_PARTIES = 40
START = """mutation($agent: String!, $input: JSON!) { startRun(agent: $agent, input: $input) {
  run { id } userErrors { field message } } }"""
ITEMS = """query($id: ID!) { run(id: $id) { state inboxItems { id kind status } } }"""
ITEM = """query($id: ID!) { inboxItem(id: $id) { id status title
  evidence { label quote } proposedAction { tool arguments } } }"""
APPROVE = """mutation($id: ID!, $arguments: JSON) { approveInboxItem(id: $id, arguments: $arguments)
  { item { id status } userErrors { field code message } } }"""


@pytest.fixture(scope="module")
def colleague(live_server: LiveServer) -> tuple[str, str]:
    """A member on the internal domain: their address and a read/write API token."""
    email = f"ana-{uuid.uuid4().hex[:6]}@{DOMAIN}"
    live_server.cli(
        "user", "create", "--email", email, "--password-stdin", "--role", "member",
        stdin=PASSWORD,
    )  # fmt: skip
    created = live_server.cli("token", "create", "--user", email, "--scopes", "read,write")
    return email, created.stdout.strip().splitlines()[-1]


def third_parties(tag: str) -> list[str]:
    return [f"person{i}@third-{tag}.example" for i in range(THIRD_PARTIES)]


def mail(sender: str, tag: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = f"hello@{DOMAIN}"
    message["Reply-To"] = ", ".join(third_parties(tag))
    message["Subject"] = f"Quick question {tag}"
    message["Message-ID"] = f"<reply-to-{tag}@example.com>"
    message.set_content("Hello, could you confirm you received this? Thanks.")
    return message


def submit(background: Background, message: EmailMessage, login: str | None) -> None:
    with smtplib.SMTP("127.0.0.1", background.smtp_port, timeout=30) as client:
        if login is not None:
            client.login(login, PASSWORD)
        client.send_message(message)


def stored(live_server: LiveServer, tag: str, *, settled: bool) -> dict[str, Any]:
    """The stored message once processed and, when `settled`, once it is routed and every
    run about it has finished (the acknowledgement sent)."""
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        rows = live_server.query(
            "SELECT m.id, m.state, m.triage, m.reply_to, m.sender_internal, ("
            "  SELECT count(*) FROM agent_run r WHERE r.input->>'message_id' = m.id::text"
            "  AND r.state NOT IN ('done', 'failed')) AS unfinished"
            " FROM message m WHERE m.internet_message_id = %s",
            f"reply-to-{tag}@example.com",
        )
        done = bool(rows) and (not settled or (rows[0]["triage"] and rows[0]["unfinished"] == 0))
        if done and rows[0]["state"] == "processed":
            return rows[0]
        time.sleep(0.3)
    raise AssertionError(f"the message {tag} was not handled within {WAIT_SECONDS} s")


def sent_about(background: Background, tag: str) -> list[EmailMessage]:
    found = []
    for path in sent_messages(background.outbox):
        message = message_from_bytes(path.read_bytes(), policy=default)
        if tag in str(message["Subject"]):
            found.append(message)  # type: ignore[arg-type]
    return found


def assert_no_third_party_got_anything(background: Background, tag: str) -> None:
    for path in sent_messages(background.outbox):
        assert f"third-{tag}".encode() not in path.read_bytes().lower(), path


def test_a_colleagues_acknowledgement_goes_to_them_alone_not_to_forty_reply_to_addresses(
    live_server: LiveServer, background: Background, colleague: tuple[str, str]
) -> None:
    tag = uuid.uuid4().hex[:8]
    sender, _ = colleague
    submit(background, mail(f"Ana <{sender}>", tag), login=sender)
    message = stored(live_server, tag, settled=True)
    assert message["sender_internal"] is True and len(message["reply_to"]) == THIRD_PARTIES
    [acknowledgement] = sent_about(background, tag)
    assert acknowledgement["To"] == sender and acknowledgement["Cc"] is None
    assert str(acknowledgement["Subject"]) == f"Re: Quick question {tag}"
    assert_no_third_party_got_anything(background, tag)
    # The policy let it through because it goes to the authenticated sender only.
    [call] = live_server.query(
        "SELECT s.arguments, s.run_id FROM run_step s JOIN agent_run r ON r.id = s.run_id"
        " WHERE r.input->>'message_id' = %s AND s.kind = 'tool_call' AND s.name = 'send_reply'",
        str(message["id"]),
    )
    assert call["arguments"]["recipients"] == [sender]
    waived = live_server.query(
        "SELECT result FROM run_step WHERE run_id = %s AND name = 'approval_waived'",
        call["run_id"],
    )
    assert waived and f"only to {sender}" in waived[0]["result"]["reason"]
    approvals = live_server.query(
        "SELECT id FROM inbox_item WHERE run_id = %s AND kind = 'approval'",
        call["run_id"],
    )
    assert approvals == []


def test_a_reply_to_forty_reply_to_addresses_shows_them_and_the_cap_refuses_approving_them(
    live_server: LiveServer, background: Background, colleague: tuple[str, str]
) -> None:
    tag = uuid.uuid4().hex[:8]
    outsider = f"zed@outside-{tag}.example"
    submit(background, mail(outsider, tag), login=None)
    # Outside mail: routed (perhaps asking a person what it is), never answered by itself.
    message = stored(live_server, tag, settled=False)
    assert message["sender_internal"] is False
    _, token = colleague
    # A member has Compound answer that mail (here: an import's summary of it).
    started = live_server.graphql(
        token,
        START,
        agent="leads.import_list",
        input={"source": "email", "requested_by": outsider, "message_id": str(message["id"])},
    )["startRun"]
    assert started["userErrors"] == [], started
    approval = _approval_of(live_server, token, started["run"]["id"])
    recipients = approval["proposedAction"]["arguments"]["recipients"]
    assert recipients == third_parties(tag)  # the approver sees every address
    evidence = {piece["label"]: piece["quote"] for piece in approval["evidence"]}
    assert f"person39@third-{tag}.example" in evidence["The reply goes to 40 addresses"]
    assert evidence[f"Warning: Reply-To differs from From ({outsider})"].startswith(
        "Reply-To names 40 other addresses"
    )
    assert "Over the limit of 5 recipients (COMPOUND_MAIL_MAX_REPLY_RECIPIENTS)" in evidence

    refused = live_server.graphql(token, APPROVE, id=approval["id"])["approveInboxItem"]
    assert refused["item"] is None
    [error] = refused["userErrors"]
    assert (error["field"], error["code"]) == ("arguments.recipients", "INVALID")
    assert "at most 5 (COMPOUND_MAIL_MAX_REPLY_RECIPIENTS)" in error["message"]
    still = live_server.graphql(token, ITEM, id=approval["id"])["inboxItem"]
    assert still["status"] == "OPEN"
    assert still["proposedAction"]["arguments"]["recipients"] == recipients

    # Edited down to the sender, it goes to exactly that address.
    edited = {**approval["proposedAction"]["arguments"], "recipients": [outsider]}
    done = live_server.graphql(token, APPROVE, id=approval["id"], arguments=edited)
    assert done["approveInboxItem"]["userErrors"] == []
    deadline = time.monotonic() + WAIT_SECONDS
    while not sent_about(background, tag):
        assert time.monotonic() < deadline, "the approved reply was never sent"
        time.sleep(0.3)
    [reply] = sent_about(background, tag)
    assert reply["To"] == outsider and reply["Cc"] is None
    assert_no_third_party_got_anything(background, tag)


def _approval_of(live_server: LiveServer, token: str, run_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        run = live_server.graphql(token, ITEMS, id=run_id)["run"]
        approvals = [item for item in run["inboxItems"] if item["kind"] == "APPROVAL"]
        if approvals:
            [approval] = approvals
            item: dict[str, Any] = live_server.graphql(token, ITEM, id=approval["id"])["inboxItem"]
            assert item["proposedAction"]["tool"] == "send_reply"
            return item
        time.sleep(0.3)
    raise AssertionError(f"run {run_id} proposed no reply within {WAIT_SECONDS} s")
