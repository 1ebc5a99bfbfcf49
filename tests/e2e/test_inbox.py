"""The Agent Inbox in Debian's Chromium against the running server: a failed sign-in says
why, signing in shows the waiting items, answering and rejecting take them off the list,
signing out ends the session; a screenshot of the Inbox is kept under var/screenshots/."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

import pytest
from playwright.sync_api import Browser, expect
from sqlalchemy import select
from sqlmodel import col

from compound.agents.inbox.models import InboxItem
from compound.agents.runtime import service as runs
from compound.agents.runtime.tasks import advance_run_now
from compound.platform.auth.actor import Actor
from compound.platform.database import Database
from tests.conftest import REPOSITORY_ROOT, LiveServer
from tests.e2e.conftest import PASSWORD, new_member, run_async, sign_in
from tests.runtime_agents import PLANNER, READER


@dataclass(frozen=True)
class Waiting:
    question_id: uuid.UUID
    question: str
    approval_id: uuid.UUID


async def _item_of_new_run(database: Database, agent: object, plan: dict[str, object]) -> InboxItem:
    """Starts a run of a test agent in the live server's database and advances it here, in
    this process (which knows the test agents), until it waits on its Inbox item."""
    async with database.session() as session:
        run = await runs.start_run(session, Actor.system("e2e"), agent, plan)  # type: ignore[arg-type]
    for _ in range(5):
        async with database.sessionmaker() as session:
            await advance_run_now(session, str(run.id))
            await session.commit()
            item = (
                await session.execute(select(InboxItem).where(col(InboxItem.run_id) == run.id))
            ).scalar_one_or_none()
            if item is not None:
                return item
    raise AssertionError("the run never opened its Inbox item")


@pytest.fixture(scope="module")
def member(live_server: LiveServer) -> str:
    return new_member(live_server, "Ana Member")


@pytest.fixture(scope="module")
def waiting(live_server: LiveServer) -> Waiting:
    question = f"Is Acme {uuid.uuid4().hex[:6]} the same company as ACME Inc?"

    async def make() -> Waiting:
        database = Database.connect(live_server.database_url, pool_size=2)
        try:
            asked = await _item_of_new_run(database, PLANNER, {"question": question})
            approval = await _item_of_new_run(
                database,
                READER,
                {"steps": [["send_email", {"to": "ceo@example.com", "subject": "Re: intro"}]]},
            )
        finally:
            await database.dispose()
        return Waiting(question_id=asked.id, question=question, approval_id=approval.id)

    return run_async(make)


def test_a_person_signs_in_decides_in_the_inbox_and_signs_out(
    browser: Browser, live_server: LiveServer, member: str, waiting: Waiting
) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    page.goto(f"{live_server.url}/inbox")
    expect(page).to_have_url(f"{live_server.url}/sign-in?next=%2Finbox")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()

    sign_in(page, member, "not my password")
    expect(page.get_by_role("alert")).to_have_text("wrong email or password")
    expect(page.get_by_label("Email")).to_have_value(member)

    sign_in(page, member, PASSWORD)
    expect(page).to_have_url(f"{live_server.url}/inbox")
    expect(page.get_by_role("heading", name="Inbox", exact=True)).to_be_visible()
    expect(page.get_by_role("banner")).to_contain_text("Ana Member")
    question = page.locator(f"#item-{waiting.question_id}")
    approval = page.locator(f"#item-{waiting.approval_id}")
    expect(question).to_contain_text(waiting.question)
    expect(approval).to_contain_text("send_email")
    expect(approval).to_contain_text("ceo@example.com")

    screenshots = REPOSITORY_ROOT / "var" / "screenshots"
    screenshots.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(screenshots / "inbox.png"))

    question.get_by_label("no").check()
    question.get_by_role("button", name="Answer").click()
    expect(page.get_by_role("status").filter(has_text="Answered")).to_contain_text("Answered")
    expect(page.locator(f"#item-{waiting.question_id}")).to_have_count(0)

    approval.get_by_label("Reason for rejecting").fill("not this week")
    approval.get_by_role("button", name="Reject").click()
    expect(page.get_by_role("status").filter(has_text="Rejected")).to_contain_text("Rejected")
    expect(page.locator(f"#item-{waiting.approval_id}")).to_have_count(0)

    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(f"{live_server.url}/sign-in")
    page.goto(f"{live_server.url}/inbox")
    expect(page).to_have_url(f"{live_server.url}/sign-in?next=%2Finbox")
    page.close()


def test_a_viewer_reads_the_inbox_but_has_nothing_to_approve_with(
    browser: Browser, live_server: LiveServer
) -> None:
    email = f"e2e-viewer-{uuid.uuid4().hex[:8]}@example.com"
    live_server.cli(
        "user", "create", "--email", email, "--password-stdin", "--role", "viewer", stdin=PASSWORD
    )

    async def make() -> InboxItem:
        database = Database.connect(live_server.database_url, pool_size=1)
        try:
            plan = {"steps": [["send_email", {"to": "cfo@example.com", "subject": "Pricing"}]]}
            return await _item_of_new_run(database, READER, plan)
        finally:
            await database.dispose()

    item = run_async(make)
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    page.goto(f"{live_server.url}/inbox")
    sign_in(page, email, PASSWORD)
    approval = page.locator(f"#item-{item.id}")
    expect(approval).to_contain_text("cfo@example.com")
    expect(page.get_by_text("you can read the Inbox, but not decide")).to_be_visible()
    expect(approval.get_by_role("button")).to_have_count(0)
    expect(page.get_by_role("checkbox")).to_have_count(0)
    page.keyboard.press("j")
    page.keyboard.press("a")  # the shortcut finds no Approve button to press
    expect(page.get_by_role("alert")).to_have_count(0)
    expect(approval).to_be_visible()
    page.close()


def test_the_keyboard_moves_between_items_and_decides_the_current_one(
    browser: Browser, live_server: LiveServer, member: str
) -> None:
    async def make() -> list[InboxItem]:
        database = Database.connect(live_server.database_url, pool_size=1)
        try:
            return [
                await _item_of_new_run(
                    database, READER, {"steps": [["send_email", {"to": to, "subject": "Hi"}]]}
                )
                for to in ("first@example.com", "second@example.com")
            ]
        finally:
            await database.dispose()

    first, second = run_async(make)
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    page.goto(f"{live_server.url}/inbox")
    sign_in(page, member, PASSWORD)

    def go_to_second() -> None:
        items = page.locator("[data-item]")
        ids = [items.nth(i).get_attribute("id") for i in range(items.count())]
        for _ in range(ids.index(f"item-{second.id}") + 1):
            page.keyboard.press("j")
        expect(page.locator(f"#item-{second.id}")).to_have_class(re.compile(r"\bcurrent\b"))

    go_to_second()
    page.keyboard.press("x")
    expect(page.locator(f"#item-{second.id} input[name=items]")).to_be_checked()
    page.evaluate("window.__stillThisPage = true")
    # `a` presses this item's Approve. The served app does not know the test agent, so the
    # approval is refused, and the refusal names this item's tool. With htmx the answer is
    # swapped into the page (no reload) and the post's address stays out of the history.
    page.keyboard.press("a")
    expect(page.get_by_role("alert").first).to_contain_text("no longer has the tool 'send_email'")
    expect(page).to_have_url(f"{live_server.url}/inbox")
    assert page.evaluate("window.__stillThisPage === true")
    expect(page.locator(f"#item-{second.id}")).to_have_class(re.compile(r"\bcurrent\b"))

    page.keyboard.press("r")
    page.keyboard.type("sent already")
    page.keyboard.press("Enter")
    expect(page.get_by_role("status").filter(has_text="Rejected")).to_be_visible()
    expect(page.locator(f"#item-{second.id}")).to_have_count(0)
    expect(page.locator(f"#item-{first.id}")).to_have_count(1)
    assert page.evaluate("window.__stillThisPage === true")

    # Bulk: tick the first item with the keyboard and dismiss it from the bar.
    page.locator(f"#item-{first.id}").click(position={"x": 5, "y": 5})
    page.keyboard.press("x")
    page.get_by_role("form", name="Decide the ticked items").get_by_role(
        "button", name="Dismiss"
    ).click()
    expect(page.get_by_role("status").filter(has_text="Dismissed 1")).to_be_visible()
    expect(page.locator(f"#item-{first.id}")).to_have_count(0)
    page.close()


def test_a_new_item_arrives_live_but_never_over_what_a_person_is_typing(
    browser: Browser, live_server: LiveServer, member: str
) -> None:
    def new_item(to: str) -> InboxItem:
        async def make() -> InboxItem:
            database = Database.connect(live_server.database_url, pool_size=1)
            try:
                plan = {"steps": [["send_email", {"to": to, "subject": "Hi"}]]}
                return await _item_of_new_run(database, READER, plan)
            finally:
                await database.dispose()

        return run_async(make)

    typing_at = new_item("typing@example.com")
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    page.goto(f"{live_server.url}/inbox")
    sign_in(page, member, PASSWORD)
    expect(page.locator("html")).to_have_attribute("data-live-ready", "", timeout=15_000)
    page.evaluate("window.__stillThisPage = true")

    arrived = new_item("arrived@example.com")
    expect(page.locator(f"#item-{arrived.id}")).to_be_visible(timeout=15_000)

    reason = page.locator(f"#item-{typing_at.id}").get_by_label("Reason for rejecting")
    reason.fill("half a thought")
    later = new_item("later@example.com")
    note = page.locator("#live-note")
    expect(note).to_contain_text("There are updates", timeout=15_000)
    expect(page.locator(f"#item-{later.id}")).to_have_count(0)
    expect(reason).to_have_value("half a thought")  # nothing typed is lost by waiting

    note.get_by_role("button").click()
    expect(page.locator(f"#item-{later.id}")).to_be_visible()
    expect(note).to_be_hidden()
    assert page.evaluate("window.__stillThisPage === true")
    page.close()
