"""An approval cannot smuggle a header or a non-address into outgoing mail (issue 13, finding
11), tried as the audit tried it: an outreach draft waits in the Inbox of a running server
(with its worker and outbound relay), and a member approves it over GraphQL, and then through
the Inbox page's edit form, with `to` set to a header injection or to something that is not
an address. Each is refused at `arguments.to`, the draft keeps waiting as it was, and nothing
is sent; the control approves a real address and exactly that one gets the draft."""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from email import message_from_bytes
from email.policy import default
from typing import Any

import httpx
import pytest

from compound.modules.leads import service
from compound.modules.leads.models import LeadStatus
from compound.platform.auth.actor import Actor
from compound.platform.database import Database
from compound.platform.email.sink import sent_messages
from tests.conftest import LiveServer
from tests.e2e.conftest import PASSWORD, Background, background, run_async
from tests.factories import make_company, make_person

__all__ = ["background"]  # the fixture: worker, SMTP listener and sink beside the server

WAIT_SECONDS = 120
INJECTION = "v@x.example\r\nBcc: a@evil.example"
NOT_AN_ADDRESS = "not-an-email"
APPROVE = """mutation($id: ID!, $arguments: JSON) { approveInboxItem(id: $id, arguments: $arguments)
  { item { id status } userErrors { field code message } } }"""
DRAFT = """mutation($ids: [ID!]!) { draftOutreach(leadIds: $ids) { runId
  userErrors { field code message } } }"""


@dataclass(frozen=True)
class Member:
    email: str
    token: str


@pytest.fixture(scope="module")
def member(live_server: LiveServer) -> Member:
    email = f"approver-{uuid.uuid4().hex[:6]}@compound.localhost"
    live_server.cli(
        "user", "create", "--email", email, "--password-stdin", "--role", "member",
        stdin=PASSWORD,
    )  # fmt: skip
    created = live_server.cli("token", "create", "--user", email, "--scopes", "read,write")
    return Member(email=email, token=created.stdout.strip().splitlines()[-1])


@dataclass(frozen=True)
class Draft:
    item_id: str
    run_id: str
    arguments: dict[str, Any]
    tag: str


def _qualified_lead(live_server: LiveServer, tag: str) -> uuid.UUID:
    """A qualified lead with a contact: the approver edits the draft's `to`, which is where
    the audit typed its addresses."""

    async def make() -> uuid.UUID:
        database = Database.connect(live_server.database_url, pool_size=1)
        try:
            async with database.session() as session:
                company = await make_company(
                    session, name=f"Addressco {tag}", domain=f"addressco-{tag}.example"
                )
                await make_person(
                    session, name="Ada Contact", emails=[f"ada@addressco-{tag}.example"],
                    company=company,
                )  # fmt: skip
                lead = await service.create_lead(
                    session,
                    Actor.system("security-tests"),
                    company_id=company.id,
                    score=80,
                    rationale="fits",
                    status=LeadStatus.QUALIFIED,
                )
                return lead.id
        finally:
            await database.dispose()

    return run_async(make)


@pytest.fixture
def draft(live_server: LiveServer, background: Background, member: Member) -> Iterator[Draft]:
    """An outreach draft waiting for approval, asked for over GraphQL and drafted by the
    running worker."""
    tag = uuid.uuid4().hex[:8]
    lead_id = _qualified_lead(live_server, tag)
    started = live_server.graphql(member.token, DRAFT, ids=[str(lead_id)])["draftOutreach"]
    assert started["userErrors"] == [], started
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        rows = live_server.query(
            "SELECT i.id, i.run_id, i.proposal FROM inbox_item i JOIN agent_run r"
            " ON r.id = i.run_id WHERE r.input->>'lead_id' = %s AND i.kind = 'approval'",
            str(lead_id),
        )
        if rows:
            [row] = rows
            yield Draft(str(row["id"]), str(row["run_id"]), row["proposal"]["arguments"], tag)
            return
        time.sleep(0.3)
    raise AssertionError(f"no outreach draft for lead {lead_id} within {WAIT_SECONDS} s")


def assert_still_waiting_as_drafted(
    live_server: LiveServer, background: Background, draft: Draft
) -> None:
    [item] = live_server.query(
        "SELECT i.status, i.decision, i.proposal, r.state FROM inbox_item i JOIN agent_run r"
        " ON r.id = i.run_id WHERE i.id = %s",
        draft.item_id,
    )
    assert (item["status"], item["decision"], item["state"]) == ("open", None, "waiting")
    assert item["proposal"]["arguments"] == draft.arguments  # the draft is intact
    queued = live_server.query(
        "SELECT id FROM job WHERE state = 'queued' AND message->'kwargs'->>'run_id' = %s",
        draft.run_id,
    )
    assert queued == [], "a refused approval must not wake the run"
    for path in sent_messages(background.outbox):
        raw = path.read_bytes().lower()
        assert b"evil" not in raw and draft.tag.encode() not in raw, path


@pytest.mark.parametrize(
    ("to", "says"),
    [
        (INJECTION, "contains a line break or a control character"),
        (NOT_AN_ADDRESS, "'not-an-email' is not an email address"),
        ("Vera <v@x.example>", "not a bare email address"),
        ("v@x.example, a@evil.example", "several addresses"),
    ],
    ids=["header-injection", "not-an-email", "display-name", "two-addresses"],
)
def test_approve_inbox_item_refuses_a_bad_recipient_at_the_field(
    live_server: LiveServer,
    background: Background,
    member: Member,
    draft: Draft,
    to: str,
    says: str,
) -> None:
    edited = {**draft.arguments, "to": to}
    payload = live_server.graphql(member.token, APPROVE, id=draft.item_id, arguments=edited)
    result = payload["approveInboxItem"]
    assert result["item"] is None
    [error] = result["userErrors"]
    assert (error["field"], error["code"]) == ("arguments.to", "INVALID")
    assert error["message"].startswith("to: ") and says in error["message"]
    assert "\r" not in error["message"] and "\n" not in error["message"]
    assert_still_waiting_as_drafted(live_server, background, draft)


def _sign_in(client: httpx.Client, member: Member) -> str:
    """As a browser does: the form (its CSRF cookie), the post, then the Inbox's token."""
    form = client.get("/sign-in")
    token = re.search(r'name="csrf" value="([^"]+)"', form.text)
    assert token is not None, form.text
    signed = client.post(
        "/sign-in",
        data={
            "email": member.email,
            "password": PASSWORD,
            "next": "/inbox",
            "csrf": token.group(1),
        },
    )
    assert signed.status_code == 303, signed.text
    page = client.get("/inbox")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert csrf is not None
    return csrf.group(1)


def test_the_inbox_edit_form_refuses_a_bad_recipient_at_the_field_and_keeps_what_was_typed(
    live_server: LiveServer, background: Background, member: Member, draft: Draft
) -> None:
    with httpx.Client(base_url=live_server.url, timeout=30) as client:
        csrf = _sign_in(client, member)
        form = {
            "action": "approve",
            "edited": "1",
            "csrf": csrf,
            **{f"arg.{name}": str(value) for name, value in draft.arguments.items()},
        }
        for to, says in (
            (INJECTION, "contains a line break or a control character"),
            (NOT_AN_ADDRESS, "is not an email address"),
        ):
            refused = client.post(
                f"/inbox/items/{draft.item_id}/decide", data={**form, "arg.to": to}
            )
            assert refused.status_code == 400
            error = re.search(
                rf'id="arg-{draft.item_id}-to-error">(?P<message>[^<]*)</p>', refused.text
            )
            assert error is not None, refused.text
            assert says in error.group("message")
            assert 'aria-invalid="true"' in refused.text
            assert_still_waiting_as_drafted(live_server, background, draft)
        # The JSON editor on the same page is checked the same way.
        as_json = client.post(
            f"/inbox/items/{draft.item_id}/decide",
            data={
                "action": "approve",
                "csrf": csrf,
                "arguments": json.dumps({**draft.arguments, "to": INJECTION}),
            },
        )
        assert as_json.status_code == 400
        assert "to: " in as_json.text and "line break" in as_json.text
        assert_still_waiting_as_drafted(live_server, background, draft)


def test_the_control_a_real_address_approved_gets_exactly_the_draft(
    live_server: LiveServer, background: Background, member: Member, draft: Draft
) -> None:
    recipient = f"Founder@Addressco-{draft.tag}.example"
    edited = {**draft.arguments, "to": recipient}
    result = live_server.graphql(member.token, APPROVE, id=draft.item_id, arguments=edited)
    assert result["approveInboxItem"]["userErrors"] == []
    assert result["approveInboxItem"]["item"]["status"] == "APPROVED"
    deadline = time.monotonic() + WAIT_SECONDS
    wanted = recipient.lower().encode()
    while not any(wanted in path.read_bytes() for path in sent_messages(background.outbox)):
        assert time.monotonic() < deadline, "the approved outreach was never sent"
        time.sleep(0.3)
    [sent] = [path for path in sent_messages(background.outbox) if wanted in path.read_bytes()]
    message = message_from_bytes(sent.read_bytes(), policy=default)
    assert message["To"] == recipient.lower() and message["Bcc"] is None
    assert message["Subject"] == draft.arguments["subject"]
    body = str(message.get_content()).replace("\r\n", "\n")  # CRLF as it crossed the wire
    assert body.strip() == draft.arguments["text"].strip()
