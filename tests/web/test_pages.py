"""The web UI's first pages over ASGI on the real database: signing in and out (cookie,
lock-out, CSRF) and the Agent Inbox (grouped items, decisions that resume runs, viewers,
hostile text escaped)."""

from __future__ import annotations

import re
import uuid
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from compound.agents.inbox.items import Evidence, open_item
from compound.agents.inbox.models import InboxItem, ItemKind
from compound.agents.runtime import service as runs
from compound.agents.runtime.models import AgentRun
from compound.modules.leads.models import LeadImport
from compound.platform.auth.actor import Actor
from compound.platform.config import Settings
from compound.platform.database import Database
from compound.platform.queue.models import Job
from tests.agent_driver import drive
from tests.conftest import Tokens
from tests.runtime_agents import PLANNER, READER

PASSWORD = "password123"
EMAIL_PLAN = {"steps": [["send_email", {"to": "ceo@example.com", "subject": "Re: intro"}]]}


async def sign_in(
    client: httpx.AsyncClient, role: str, password: str = PASSWORD, *, next_path: str = "/inbox"
) -> httpx.Response:
    """As a browser does: the form first (its CSRF token and cookie), then the post."""
    form = await client.get("/sign-in")
    match = re.search(r'name="csrf" value="([^"]+)"', form.text)
    assert match is not None, form.text
    return await client.post(
        "/sign-in",
        data={
            "email": f"{role}@tests.example",
            "password": password,
            "next": next_path,
            "csrf": match.group(1),
        },
    )


async def signed_in(client: httpx.AsyncClient, role: str) -> str:
    """Signs in as `role` and returns the session's CSRF token, read from the page."""
    response = await sign_in(client, role)
    assert response.status_code == 303, response.text
    page = await client.get("/inbox")
    assert page.status_code == 200
    match = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert match is not None
    return match.group(1)


async def waiting_run(session: AsyncSession, agent: Any, plan: dict[str, Any]) -> InboxItem:
    """A run of a test agent, advanced until it waits on its one Inbox item."""
    run = await runs.start_run(session, Actor.system("tests"), agent, plan)
    await session.commit()
    await drive(session)
    item = (
        await session.execute(select(InboxItem).where(col(InboxItem.run_id) == run.id))
    ).scalar_one()
    return item


async def status_of(session: AsyncSession, item_id: uuid.UUID) -> str:
    item = await session.get(InboxItem, item_id, populate_existing=True)
    assert item is not None
    return item.status


async def advance_jobs(session: AsyncSession, run_id: uuid.UUID) -> int:
    jobs = await session.execute(
        select(Job)
        .where(col(Job.actor_name) == "agents.advance_run")
        .where(col(Job.state) == "queued")
    )
    return sum(1 for job in jobs.scalars() if job.message["kwargs"]["run_id"] == str(run_id))


async def test_the_sign_in_page_renders(web_client: httpx.AsyncClient) -> None:
    response = await web_client.get("/sign-in")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert '<form method="post" action="/sign-in"' in response.text
    assert '<label for="email">Email</label>' in response.text
    assert '<label for="password">Password</label>' in response.text
    assert (await web_client.get("/static/app.css")).status_code == 200


async def test_a_wrong_password_says_so_and_the_fifth_failure_locks_the_address(
    web_client: httpx.AsyncClient,
) -> None:
    for _ in range(5):
        refused = await sign_in(web_client, "member", "not the password")
        assert refused.status_code == 401
        assert "wrong email or password" in refused.text
        assert 'value="member@tests.example"' in refused.text
    locked = await sign_in(web_client, "member")
    assert locked.status_code == 429 and int(locked.headers["retry-after"]) > 800
    assert "too many failed sign-ins for this address: try again in 15 minutes" in locked.text
    assert "compound_session" not in web_client.cookies


async def test_signing_in_sets_a_safe_cookie_and_goes_where_the_person_was_going(
    web_client: httpx.AsyncClient,
) -> None:
    response = await sign_in(web_client, "member")
    assert response.status_code == 303
    assert response.headers["location"] == "/inbox"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("compound_session=")
    assert "HttpOnly" in cookie and "samesite=lax" in cookie.lower() and "Secure" not in cookie
    page = await web_client.get("/")
    assert page.status_code == 200
    assert "member@tests.example" in page.text and "Sign out" in page.text
    already = await web_client.get("/sign-in", params={"next": "https://evil.example/"})
    assert (already.status_code, already.headers["location"]) == (303, "/")


async def test_somewhere_else_is_never_a_place_to_go_after_signing_in(
    web_client: httpx.AsyncClient,
) -> None:
    for target in ("//evil.example/x", "https://evil.example/", "javascript:alert(1)"):
        response = await sign_in(web_client, "member", next_path=target)
        assert response.headers["location"] == "/"
        web_client.cookies.clear()


async def test_the_inbox_sends_a_stranger_to_sign_in(web_client: httpx.AsyncClient) -> None:
    for path, back in (("/inbox", "%2Finbox"), ("/", "%2F")):
        response = await web_client.get(path)
        assert response.status_code == 303
        assert response.headers["location"] == f"/sign-in?next={back}"
    web_client.cookies.set("compound_session", "made-up", domain="compound.test")
    assert (await web_client.get("/inbox")).status_code == 303


async def test_a_cookie_secure_when_the_public_address_is_https(
    test_database: Database, tokens: Tokens
) -> None:
    from compound.web.app import create_app

    settings = Settings(_env_file=None, public_url="https://crm.example")  # type: ignore[call-arg]
    app = create_app(settings=settings, database=test_database)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="https://crm.example") as client:
        response = await sign_in(client, "member")
    assert "Secure" in response.headers["set-cookie"]


async def test_a_decision_without_the_right_csrf_token_is_refused_and_changes_nothing(
    web_client: httpx.AsyncClient, session: AsyncSession
) -> None:
    item = await waiting_run(session, PLANNER, {"question": "Same company?"})
    csrf = await signed_in(web_client, "member")
    url = f"/inbox/items/{item.id}/decide"
    missing = await web_client.post(url, data={"action": "answer", "answer": "yes"})
    assert missing.status_code == 403
    assert "without its security token (CSRF)" in missing.text
    wrong = await web_client.post(
        url, data={"action": "answer", "answer": "yes", "csrf": "x" + csrf}
    )
    assert wrong.status_code == 403
    assert "security token (CSRF) is wrong" in wrong.text
    assert await status_of(session, item.id) == "open"
    sign_out = await web_client.post("/sign-out", data={"csrf": "nope"})
    assert sign_out.status_code == 403
    assert (await web_client.get("/inbox")).status_code == 200


async def test_answering_a_question_on_the_page_resumes_the_waiting_run(
    web_client: httpx.AsyncClient, session: AsyncSession
) -> None:
    item = await waiting_run(session, PLANNER, {"question": "Same company?"})
    csrf = await signed_in(web_client, "member")
    page = (await web_client.get("/inbox")).text
    assert "Same company?" in page
    assert 'type="radio" name="answer" value="yes"' in page
    url = f"/inbox/items/{item.id}/decide"

    wrong = await web_client.post(url, data={"action": "answer", "answer": "perhaps", "csrf": csrf})
    assert wrong.status_code == 400
    assert "answer with one of: yes, no" in wrong.text
    assert await status_of(session, item.id) == "open"

    done = await web_client.post(url, data={"action": "answer", "answer": "no", "csrf": csrf})
    assert done.status_code == 303
    assert done.headers["location"] == "/inbox?flash=answered"
    assert await status_of(session, item.id) == "answered"
    assert await advance_jobs(session, item.run_id) == 1
    after = await web_client.get(done.headers["location"])
    assert "Answered: the run carries on" in after.text
    assert "Same company?" not in after.text
    await drive(session)
    run = await session.get(AgentRun, item.run_id, populate_existing=True)
    assert run is not None and run.state == "done"


async def test_edit_then_approve_checks_the_arguments_and_resumes_the_run(
    web_client: httpx.AsyncClient, session: AsyncSession
) -> None:
    item = await waiting_run(session, READER, EMAIL_PLAN)
    csrf = await signed_in(web_client, "admin")
    page = (await web_client.get("/inbox")).text
    assert "<code>send_email</code>" in page
    assert "&#34;to&#34;: &#34;ceo@example.com&#34;" in page  # the arguments, pretty-printed
    url = f"/inbox/items/{item.id}/decide"

    not_json = await web_client.post(
        url, data={"action": "approve", "arguments": "{", "csrf": csrf}
    )
    assert not_json.status_code == 400 and "arguments: not valid JSON" in not_json.text
    bad = await web_client.post(
        url, data={"action": "approve", "arguments": '{"to": "nope"}', "csrf": csrf}
    )
    assert bad.status_code == 400
    assert 'aria-invalid="true"' in bad.text and "to:" in bad.text
    assert "{&#34;to&#34;: &#34;nope&#34;}" in bad.text  # what was typed is kept
    assert await status_of(session, item.id) == "open"

    edited = '{"to": "cto@example.com", "subject": "Re: intro"}'
    done = await web_client.post(url, data={"action": "approve", "arguments": edited, "csrf": csrf})
    assert (done.status_code, done.headers["location"]) == (303, "/inbox?flash=approved")
    approved = await session.get(InboxItem, item.id, populate_existing=True)
    assert approved is not None and approved.decision == {
        "arguments": {"to": "cto@example.com", "subject": "Re: intro"}
    }
    assert approved.decided_by == "user:admin@tests.example"
    assert await advance_jobs(session, item.run_id) == 1
    again = await web_client.post(url, data={"action": "reject", "csrf": csrf})
    assert again.status_code == 400 and "already approved" in again.text


async def test_reject_and_dismiss_close_items(
    web_client: httpx.AsyncClient, session: AsyncSession
) -> None:
    question = await waiting_run(session, PLANNER, {"question": "Merge them?"})
    approval = await waiting_run(session, READER, EMAIL_PLAN)
    csrf = await signed_in(web_client, "member")
    rejected = await web_client.post(
        f"/inbox/items/{approval.id}/decide",
        data={"action": "reject", "reason": "not now", "csrf": csrf},
    )
    assert rejected.headers["location"] == "/inbox?flash=rejected"
    dismissed = await web_client.post(
        f"/inbox/items/{question.id}/decide", data={"action": "dismiss", "csrf": csrf}
    )
    assert dismissed.headers["location"] == "/inbox?flash=dismissed"
    assert (await status_of(session, approval.id), await status_of(session, question.id)) == (
        "rejected",
        "dismissed",
    )
    unknown = await web_client.post(
        f"/inbox/items/{uuid.uuid4()}/decide", data={"action": "dismiss", "csrf": csrf}
    )
    assert unknown.status_code == 404
    nonsense = await web_client.post(
        f"/inbox/items/{question.id}/decide", data={"action": "delete", "csrf": csrf}
    )
    assert nonsense.status_code == 400 and "choose one of" in nonsense.text


async def test_a_viewer_sees_the_items_but_no_forms_and_cannot_decide(
    web_client: httpx.AsyncClient, session: AsyncSession
) -> None:
    item = await waiting_run(session, PLANNER, {"question": "Same company?"})
    csrf = await signed_in(web_client, "viewer")
    page = (await web_client.get("/inbox")).text
    assert "Same company?" in page
    assert "/decide" not in page
    assert "you can read the Inbox, but not decide" in page
    refused = await web_client.post(
        f"/inbox/items/{item.id}/decide", data={"action": "answer", "answer": "yes", "csrf": csrf}
    )
    assert refused.status_code == 403
    assert "viewers cannot approve or edit" in refused.text
    assert await status_of(session, item.id) == "open"


async def test_hostile_item_text_is_escaped(
    web_client: httpx.AsyncClient, session: AsyncSession
) -> None:
    run = await runs.start_run(session, Actor.system("tests"), PLANNER, {"steps": []})
    await open_item(
        session,
        kind=ItemKind.EXCEPTION,
        run_id=run.id,
        root_run_id=run.root_id,
        title="<script>alert('title')</script>",
        explanation='<img src=x onerror="alert(1)">',
        evidence=[
            Evidence(label="<b>label</b>", quote="</blockquote><script>x()</script>"),
            Evidence(label="a link", url="javascript:alert(1)"),
        ],
    )
    await session.commit()
    await signed_in(web_client, "member")
    page = (await web_client.get("/inbox")).text
    assert "<script>" not in page and "<img" not in page and "<b>label" not in page
    assert "&lt;script&gt;alert(&#39;title&#39;)&lt;/script&gt;" in page
    assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;" in page
    assert "javascript:" not in page


async def test_a_lead_import_shows_its_ledger_line_over_its_group(
    web_client: httpx.AsyncClient, session: AsyncSession
) -> None:
    item = await waiting_run(session, PLANNER, {"question": "Is Acme a fit?"})
    session.add(
        LeadImport(
            id=item.root_run_id,
            source="text",
            state="done",
            title="Batch from Ana",
            requested_by="ana@example.com",
            found=5,
            added=3,
            known=1,
            need_you=1,
        )
    )
    await session.commit()
    await signed_in(web_client, "member")
    page = (await web_client.get("/inbox")).text
    assert "3 added, 1 already known and updated, 1 need you" in page


async def test_a_forged_paging_cursor_is_a_clear_error(web_client: httpx.AsyncClient) -> None:
    await signed_in(web_client, "member")
    response = await web_client.get("/inbox", params={"after": "not-a-cursor"})
    assert response.status_code == 400
    assert "Not done:" in response.text


async def test_signing_out_ends_the_session(web_client: httpx.AsyncClient) -> None:
    csrf = await signed_in(web_client, "member")
    response = await web_client.post("/sign-out", data={"csrf": csrf})
    assert (response.status_code, response.headers["location"]) == (303, "/sign-in")
    assert "compound_session" not in web_client.cookies
    assert (await web_client.get("/inbox")).status_code == 303


async def test_a_sign_in_without_the_forms_token_is_refused(web_client: httpx.AsyncClient) -> None:
    # Another site posting our form (login CSRF) has neither the cookie nor the token.
    forged = await web_client.post(
        "/sign-in", data={"email": "member@tests.example", "password": PASSWORD}
    )
    assert forged.status_code == 403 and "security token (CSRF)" in forged.text
    await web_client.get("/sign-in")  # now the cookie is there, but the field is not
    forged = await web_client.post(
        "/sign-in", data={"email": "member@tests.example", "password": PASSWORD, "csrf": "x"}
    )
    assert forged.status_code == 403 and "compound_session" not in forged.cookies
