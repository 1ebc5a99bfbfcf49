"""The Runs pages over ASGI on the real database: the list (state, fan-out progress, state
filter, cursor), a run's detail (steps escaped, policy marked) and Undo run (CSRF, viewers)."""

from __future__ import annotations

import html
import re
import uuid
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from compound.agents.runtime import service as runs
from compound.agents.runtime.models import AgentRun
from compound.agents.runtime.undo import undo_refusal
from compound.platform.auth.actor import Actor
from compound.platform.records.models import Company
from tests.agent_driver import drive
from tests.factories import unique
from tests.runtime_agents import PLANNER
from tests.web.test_pages import signed_in

HOSTILE = "<script>alert(1)</script>"


async def made_run(
    session: AsyncSession, plan: dict[str, Any], *, title: str | None = None
) -> AgentRun:
    """A run of the test planner, titled `title`, driven until nothing is due."""
    run = await runs.start_run(session, Actor.system("tests"), PLANNER, plan)
    if title is not None:
        run.title = title
    await session.commit()
    await drive(session)
    await session.refresh(run)
    return run


async def company_named(session: AsyncSession, name: str) -> Company | None:
    statement = select(Company).where(col(Company.name) == name)
    return (await session.execute(statement.execution_options(populate_existing=True))).scalar()


async def test_the_list_shows_runs_with_state_and_fan_out_progress(
    web_client: httpx.AsyncClient, session: AsyncSession
) -> None:
    title = unique("Fan out ")
    parent = await made_run(
        session, {"children": [unique("Child A "), unique("Child B ")]}, title=title
    )
    assert parent.state == "done" and parent.children_total == 2
    await signed_in(web_client, "member")
    page = await web_client.get("/runs")
    assert page.status_code == 200
    assert f'<a href="/runs/{parent.id}">{title}</a>' in page.text
    assert '<progress max="2" value="2"' in page.text
    assert "2/2 done" in page.text
    assert '<span class="run-state state-done">done</span>' in page.text
    assert "tests.planner" in page.text


async def test_the_list_filters_by_state_and_refuses_a_bad_cursor_or_state(
    web_client: httpx.AsyncClient, session: AsyncSession
) -> None:
    waiting_title, done_title = unique("Waiting "), unique("Done ")
    await made_run(session, {"question": "Same company?"}, title=waiting_title)
    await made_run(session, {"steps": []}, title=done_title)
    await signed_in(web_client, "member")
    waiting = await web_client.get("/runs", params={"state": "waiting"})
    assert waiting.status_code == 200
    assert waiting_title in waiting.text and done_title not in waiting.text
    assert '<option value="waiting" selected>' in waiting.text
    done = await web_client.get("/runs", params={"state": "done"})
    assert done_title in done.text and waiting_title not in done.text
    # A page showing unfinished runs follows them live; one of finished runs has nothing to.
    assert '<script src="/static/live.js" defer></script>' in waiting.text
    assert 'id="runs-table" data-live="run_finished"' in waiting.text
    assert "/static/live.js" not in done.text
    bad = await web_client.get("/runs", params={"after": "not-a-cursor"})
    assert bad.status_code == 400 and "Not shown:" in bad.text
    unknown = await web_client.get("/runs", params={"state": "sleeping"})
    assert unknown.status_code == 400 and "state: choose one of" in unknown.text


async def test_the_list_sends_a_stranger_to_sign_in(web_client: httpx.AsyncClient) -> None:
    response = await web_client.get("/runs")
    assert response.status_code == 303
    assert response.headers["location"] == "/sign-in?next=%2Fruns"


async def test_the_detail_shows_the_steps_escaped_and_the_policy_marked(
    web_client: httpx.AsyncClient, session: AsyncSession
) -> None:
    parent = await made_run(
        session,
        {
            "steps": [["add_company", {"name": unique(HOSTILE)}]],
            "report": "worth a look",
            "children": [unique("Kid ")],
        },
        title=f"Title {HOSTILE}",
    )
    assert parent.state == "done", parent.error
    await signed_in(web_client, "member")
    page = await web_client.get(f"/runs/{parent.id}")
    assert page.status_code == 200
    assert "<script>alert(1)</script>" not in page.text
    assert "Title &lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    assert "&#34;name&#34;: &#34;&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    assert '<code class="name">add_company</code>' in page.text
    assert "<summary>Arguments</summary>" in page.text
    assert "<summary>Result</summary>" in page.text
    assert 'class="step kind-policy policy"' in page.text and "policy decision" in page.text
    # The child: listed with its state, and linking back to its parent and root.
    child = (
        await session.execute(select(AgentRun).where(col(AgentRun.parent_id) == parent.id))
    ).scalar_one()
    assert f'<a href="/runs/{child.id}">' in page.text
    child_page = await web_client.get(f"/runs/{child.id}")
    assert child_page.status_code == 200
    assert child_page.text.count(f'<a href="/runs/{parent.id}">') == 2  # parent and root


async def test_an_unknown_run_is_not_found(web_client: httpx.AsyncClient) -> None:
    csrf = await signed_in(web_client, "member")
    missing = uuid.uuid4()
    page = await web_client.get(f"/runs/{missing}")
    assert page.status_code == 404 and f"there is no run with id {missing}" in page.text
    undo = await web_client.post(f"/runs/{missing}/undo", data={"csrf": csrf})
    assert undo.status_code == 404


async def test_undo_on_the_page_deletes_the_company_the_run_wrote(
    web_client: httpx.AsyncClient, session: AsyncSession
) -> None:
    name = unique("Undone ")
    run = await made_run(session, {"steps": [["add_company", {"name": name}]]})
    assert run.state == "done" and await company_named(session, name) is not None
    csrf = await signed_in(web_client, "member")
    page = await web_client.get(f"/runs/{run.id}")
    assert "Undo run</button>" in page.text

    missing = await web_client.post(f"/runs/{run.id}/undo")
    assert missing.status_code == 403 and "security token (CSRF)" in missing.text
    wrong = await web_client.post(f"/runs/{run.id}/undo", data={"csrf": "x" + csrf})
    assert wrong.status_code == 403
    assert await company_named(session, name) is not None

    undone = await web_client.post(f"/runs/{run.id}/undo", data={"csrf": csrf})
    assert undone.status_code == 200, undone.text
    assert "1 write reverted, 0 kept" in undone.text
    assert re.search(r'<ul class="record-list reverted">\s*<li>[^<]*' + name, undone.text)
    assert await company_named(session, name) is None
    again = await web_client.post(f"/runs/{run.id}/undo", data={"csrf": csrf})
    assert again.status_code == 200 and "Nothing was left to undo." in again.text


async def test_undo_of_a_run_still_waiting_is_refused_with_its_reason(
    web_client: httpx.AsyncClient, session: AsyncSession
) -> None:
    run = await made_run(session, {"question": "Same company?"})
    assert run.state == "waiting"
    reason = await undo_refusal(session, run.id)
    assert reason is not None and "still going" in reason
    csrf = await signed_in(web_client, "member")
    # The page offers no button the service would refuse: it says why instead.
    page = await web_client.get(f"/runs/{run.id}")
    assert "Undo run</button>" not in page.text
    assert f"Undo run: not yet — {html.escape(reason, quote=True)}." in page.text
    refused = await web_client.post(f"/runs/{run.id}/undo", data={"csrf": csrf})
    assert refused.status_code == 400
    assert f"Not undone: {html.escape(reason, quote=True)}" in refused.text


async def test_a_viewer_sees_no_undo_button_and_cannot_undo(
    web_client: httpx.AsyncClient, session: AsyncSession
) -> None:
    name = unique("Kept ")
    run = await made_run(session, {"steps": [["add_company", {"name": name}]]})
    csrf = await signed_in(web_client, "viewer")
    page = await web_client.get(f"/runs/{run.id}")
    assert page.status_code == 200
    assert "Undo run" not in page.text and f"/runs/{run.id}/undo" not in page.text
    refused = await web_client.post(f"/runs/{run.id}/undo", data={"csrf": csrf})
    assert refused.status_code == 403 and "viewers cannot undo runs" in refused.text
    assert await company_named(session, name) is not None
