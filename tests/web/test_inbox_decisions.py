"""Deciding from the Inbox page beyond one button: the edit form generated from the tool's
argument schema (with the error at the field), and bulk decisions on ticked items."""

from __future__ import annotations

import re
import uuid

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from compound.agents.inbox.models import InboxItem
from compound.agents.inbox.service import BULK_MAX
from tests.platform.email.test_processing import mail, receive
from tests.runtime_agents import PLANNER, READER
from tests.web.test_pages import EMAIL_PLAN, advance_jobs, signed_in, status_of, waiting_run


async def test_the_edit_form_has_a_field_per_argument_and_approves_the_edit(
    web_client: httpx.AsyncClient, session: AsyncSession
) -> None:
    item = await waiting_run(session, READER, EMAIL_PLAN)
    csrf = await signed_in(web_client, "member")
    page = (await web_client.get("/inbox")).text
    assert f'<label for="arg-{item.id}-to">To' in page
    assert 'name="arg.to" value="ceo@example.com"' in page
    assert 'name="arg.subject" value="Re: intro"' in page
    # Read before deciding: the proposal as labelled values, not a JSON document.
    assert re.search(r"<dt>To</dt><dd[^>]*>ceo@example.com</dd>", page)
    url = f"/inbox/items/{item.id}/decide"

    bad = await web_client.post(
        url,
        data={
            "action": "approve",
            "edited": "1",
            "arg.to": "<b>nope</b>",
            "arg.subject": "Re: intro",
            "csrf": csrf,
        },
    )
    assert bad.status_code == 400
    assert f'id="arg-{item.id}-to-error">to: String should match pattern' in bad.text
    assert 'value="&lt;b&gt;nope&lt;/b&gt;"' in bad.text  # what was typed is kept, escaped
    assert bad.headers["HX-Push-Url"] == "false"  # htmx keeps the post's address out of history
    assert "HX-Push-Url" not in (await web_client.get("/inbox")).headers
    assert await status_of(session, item.id) == "open"

    done = await web_client.post(
        url,
        data={
            "action": "approve",
            "edited": "1",
            "arg.to": "cto@example.com",
            "arg.subject": "Re: our call",
            "csrf": csrf,
        },
    )
    assert (done.status_code, done.headers["location"]) == (303, "/inbox?flash=approved")
    approved = await session.get(InboxItem, item.id, populate_existing=True)
    assert approved is not None and approved.decision == {
        "arguments": {"to": "cto@example.com", "subject": "Re: our call"}
    }
    assert await advance_jobs(session, item.run_id) == 1


async def test_an_edit_that_leaves_out_a_required_argument_says_which(
    web_client: httpx.AsyncClient, session: AsyncSession
) -> None:
    item = await waiting_run(session, READER, EMAIL_PLAN)
    csrf = await signed_in(web_client, "admin")
    response = await web_client.post(
        f"/inbox/items/{item.id}/decide",
        data={"action": "approve", "edited": "1", "arg.subject": "x", "csrf": csrf},
    )
    assert response.status_code == 400
    assert "to: Field required" in response.text
    assert await status_of(session, item.id) == "open"


async def test_ticked_items_are_decided_together(
    web_client: httpx.AsyncClient, session: AsyncSession
) -> None:
    first = await waiting_run(session, READER, EMAIL_PLAN)
    second = await waiting_run(session, READER, EMAIL_PLAN)
    untouched = await waiting_run(session, READER, EMAIL_PLAN)
    csrf = await signed_in(web_client, "member")
    page = (await web_client.get("/inbox")).text
    assert f'name="items" value="{first.id}" form="bulk"' in page
    response = await web_client.post(
        "/inbox/decide-many",
        data={"action": "approve", "items": [str(first.id), str(second.id)], "csrf": csrf},
    )
    assert (response.status_code, response.headers["location"]) == (
        303,
        "/inbox?flash=approved&count=2",
    )
    assert [await status_of(session, i.id) for i in (first, second, untouched)] == [
        "approved",
        "approved",
        "open",
    ]
    assert (
        "Approved 2: their runs carry on."
        in (await web_client.get(response.headers["location"])).text
    )
    assert await advance_jobs(session, first.run_id) == 1


async def test_a_bulk_decision_reports_the_items_it_could_not_take_and_keeps_the_rest(
    web_client: httpx.AsyncClient, session: AsyncSession
) -> None:
    question = await waiting_run(session, PLANNER, {"question": "Same company?"})
    approval = await waiting_run(session, READER, EMAIL_PLAN)
    csrf = await signed_in(web_client, "member")
    response = await web_client.post(
        "/inbox/decide-many",
        data={
            "action": "approve",
            "items": [str(question.id), str(approval.id), str(uuid.uuid4())],
            "csrf": csrf,
        },
    )
    assert response.status_code == 200
    assert "Not done for 2 of the chosen items" in response.text
    assert "a question item cannot be given &#39;approve&#39;" in response.text
    assert "no inbox item with id" in response.text
    assert "Approved 1" in response.text
    assert (await status_of(session, question.id), await status_of(session, approval.id)) == (
        "open",
        "approved",
    )
    rejected = await web_client.post(
        "/inbox/decide-many",
        data={"action": "reject", "reason": "dup", "items": str(question.id), "csrf": csrf},
    )
    assert rejected.headers["location"] == "/inbox?flash=rejected&count=1"
    assert await status_of(session, question.id) == "rejected"


async def test_bad_bulk_forms_are_refused_and_change_nothing(
    web_client: httpx.AsyncClient, session: AsyncSession
) -> None:
    item = await waiting_run(session, PLANNER, {"question": "Same company?"})
    csrf = await signed_in(web_client, "member")
    cases = [
        ({"action": "dismiss", "csrf": csrf}, 400, "choose at least one item"),
        ({"action": "answer", "items": str(item.id), "csrf": csrf}, 400, "in bulk, choose"),
        (
            {"action": "dismiss", "items": "'; DROP TABLE inbox_item;--", "csrf": csrf},
            400,
            "not item ids",
        ),
        (
            {
                "action": "dismiss",
                "items": [str(uuid.uuid4()) for _ in range(BULK_MAX + 1)],
                "csrf": csrf,
            },
            400,
            f"at most {BULK_MAX} items",
        ),
        ({"action": "dismiss", "items": str(item.id)}, 403, "security token"),
    ]
    for data, status, message in cases:
        response = await web_client.post("/inbox/decide-many", data=data)
        assert (response.status_code, message in response.text) == (status, True), data
    assert await status_of(session, item.id) == "open"


async def test_a_viewer_cannot_decide_in_bulk(
    web_client: httpx.AsyncClient, session: AsyncSession
) -> None:
    item = await waiting_run(session, PLANNER, {"question": "Same company?"})
    csrf = await signed_in(web_client, "viewer")
    page = (await web_client.get("/inbox")).text
    assert 'id="bulk"' not in page and 'name="items"' not in page
    refused = await web_client.post(
        "/inbox/decide-many", data={"action": "dismiss", "items": str(item.id), "csrf": csrf}
    )
    assert refused.status_code == 403
    assert await status_of(session, item.id) == "open"


async def test_a_reply_shows_who_it_goes_to_and_more_than_the_cap_is_refused_at_the_field(
    web_client: httpx.AsyncClient, session: AsyncSession
) -> None:
    tag = uuid.uuid4().hex[:8]
    reply_to = [f"p{i}@third-{tag}.example" for i in range(8)]
    asked = await receive(
        session, mail(sender=f"zed@{tag}.example", extra={"Reply-To": ", ".join(reply_to)})
    )
    step = {"message_id": str(asked.id), "text": "Thanks", "purpose": "answer"}
    item = await waiting_run(session, READER, {"steps": [["send_reply", step]]})
    csrf = await signed_in(web_client, "member")
    page = (await web_client.get("/inbox")).text
    # Read before deciding: every address, and the warning that they are not the sender.
    assert re.search(r"<dt>Recipients</dt><dd[^>]*>" + re.escape("\n".join(reply_to)), page)
    assert f"Warning: Reply-To differs from From (zed@{tag}.example)" in page
    assert "Over the limit of 5 recipients" in page
    assert f'<textarea id="arg-{item.id}-recipients" name="arg.recipients"' in page
    url = f"/inbox/items/{item.id}/decide"

    refused = await web_client.post(url, data={"action": "approve", "csrf": csrf})
    assert refused.status_code == 400
    assert (
        f'id="arg-{item.id}-recipients-error">recipients: 8 recipients: a reply goes to at most '
        "5 (COMPOUND_MAIL_MAX_REPLY_RECIPIENTS)" in refused.text
    )
    assert await status_of(session, item.id) == "open"

    form = {
        "action": "approve",
        "edited": "1",
        "arg.message_id": str(asked.id),
        "arg.text": "Thanks",
        "arg.purpose": "answer",
        "csrf": csrf,
    }
    injected = await web_client.post(
        url, data={**form, "arg.recipients": f"{reply_to[0]}\r\nBcc: a@evil.example"}
    )
    assert injected.status_code == 400
    assert "&#39;Bcc: a@evil.example&#39; is not a bare email address" in injected.text
    assert await status_of(session, item.id) == "open"

    done = await web_client.post(url, data={**form, "arg.recipients": "\n".join(reply_to[:2])})
    assert (done.status_code, done.headers["location"]) == (303, "/inbox?flash=approved")
    approved = await session.get(InboxItem, item.id, populate_existing=True)
    assert approved is not None and approved.decision is not None
    assert approved.decision["arguments"]["recipients"] == reply_to[:2]
