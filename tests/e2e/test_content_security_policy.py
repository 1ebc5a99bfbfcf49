"""The Content-Security-Policy (issue 13, finding 10) in Debian's Chromium against the
running server: with the policy on, htmx still swaps (the search suggestions, a boosted
Inbox decision), live.js still streams (an item opened after the page loaded appears without
a reload), board.js still runs, and no page of the tour logs a single CSP violation or
script error in the browser console."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, expect
from sqlalchemy import select
from sqlmodel import col

from compound.agents.inbox.models import InboxItem
from compound.agents.runtime import service as runs
from compound.agents.runtime.tasks import advance_run_now
from compound.platform.auth.actor import Actor
from compound.platform.database import Database
from compound.platform.records import companies
from tests.conftest import REPOSITORY_ROOT, LiveServer
from tests.e2e.conftest import PASSWORD, new_member, run_async, sign_in
from tests.runtime_agents import PLANNER

# Runs before any page script, outside the page's policy (Playwright injects it): every
# violation the browser reports becomes a console error the test collects.
REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  console.error(`CSP violation: ${event.violatedDirective} blocked ${event.blockedURI || "inline"}`
                + ` at ${event.sourceFile}:${event.lineNumber}`);
});
"""
FIRST_SEARCH_MS = 60_000  # the first search loads the embedding model in the server


@pytest.fixture
def watched(browser: Browser) -> Iterator[tuple[Page, list[str]]]:
    """A page whose console errors, CSP reports and uncaught exceptions are collected."""
    context: BrowserContext = browser.new_context(viewport={"width": 1280, "height": 800})
    context.add_init_script(REPORT_VIOLATIONS)
    page = context.new_page()
    problems: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        text = message.text
        # A 404 page is asked for on purpose below; the browser logs its status.
        expected = "status of 404" in text
        if (message.type in {"error", "warning"} or "Security Policy" in text) and not expected:
            problems.append(f"{page.url}: {message.type}: {text}")

    page.on("console", on_console)
    page.on("pageerror", lambda error: problems.append(f"{page.url}: uncaught {error}"))
    yield page, problems
    context.close()


def _open_question(live_server: LiveServer, question: str) -> uuid.UUID:
    """A test agent's run in the live server's database, advanced here until it asks."""

    async def make() -> uuid.UUID:
        database = Database.connect(live_server.database_url, pool_size=1)
        try:
            async with database.session() as session:
                run = await runs.start_run(
                    session, Actor.system("e2e"), PLANNER, {"question": question}
                )
            for _ in range(5):
                async with database.sessionmaker() as session:
                    await advance_run_now(session, str(run.id))
                    await session.commit()
                    item = (
                        await session.execute(
                            select(InboxItem).where(col(InboxItem.run_id) == run.id)
                        )
                    ).scalar_one_or_none()
                    if item is not None:
                        return item.id
            raise AssertionError("the run never opened its Inbox item")
        finally:
            await database.dispose()

    return run_async(make)


def _company(live_server: LiveServer, name: str) -> uuid.UUID:
    async def make() -> uuid.UUID:
        database = Database.connect(live_server.database_url, pool_size=1)
        try:
            async with database.session() as session:
                company = await companies.create_company(
                    session,
                    Actor.system("e2e"),
                    name=name,
                    domain=f"{uuid.uuid4().hex[:8]}.policy.example",
                    compute_embedding=False,
                )
                return company.id
        finally:
            await database.dispose()

    return run_async(make)


def test_htmx_live_updates_and_page_scripts_run_under_the_policy(
    live_server: LiveServer, watched: tuple[Page, list[str]]
) -> None:
    assert (REPOSITORY_ROOT / "web" / "static" / "vendor" / "htmx.min.js").exists(), (
        "htmx is missing: `make install` fetches it from npm"
    )
    page, problems = watched
    tag = uuid.uuid4().hex[:6]
    member = new_member(live_server, "Pat Policy")
    company_name = f"Cobalt Policy {tag}"
    company_id = _company(live_server, company_name)

    response = page.goto(f"{live_server.url}/inbox")
    assert response is not None
    assert "script-src 'self'" in response.headers["content-security-policy"]
    sign_in(page, member, PASSWORD)
    expect(page.get_by_role("heading", name="Inbox", exact=True)).to_be_visible()
    assert page.evaluate("typeof window.htmx") == "object"
    # live.js: the event stream is open (connect-src 'self')...
    expect(page.locator("html")).to_have_attribute("data-live-ready", "", timeout=15_000)
    page.evaluate("window.__stillThisPage = true")

    # ...and an item opened now appears on the page without a reload.
    question = f"Is {company_name} the one from the list?"
    item_id = _open_question(live_server, question)
    item = page.locator(f"#item-{item_id}")
    expect(item).to_contain_text(question, timeout=30_000)
    assert page.evaluate("window.__stillThisPage === true")

    # A boosted decision: htmx posts the form and swaps the answer in, still no reload.
    item.get_by_label("no").check()
    item.get_by_role("button", name="Answer").click()
    expect(page.get_by_role("status").filter(has_text="Answered")).to_be_visible()
    expect(page.locator(f"#item-{item_id}")).to_have_count(0)
    assert page.evaluate("window.__stillThisPage === true")

    # htmx's search suggestions.
    box = page.get_by_role("searchbox", name="Search")
    box.press_sequentially(f"Cobalt Policy {tag}", delay=20)
    suggestion = page.locator("#site-search-results").get_by_role(
        "link", name=f"Company {company_name}"
    )
    expect(suggestion).to_be_visible(timeout=FIRST_SEARCH_MS)

    # The rest of the tour: every script-bearing page and a few plain ones.
    for path, heading in [
        (f"/companies/{company_id}", company_name),
        ("/companies", "Companies"),
        ("/people", "People"),
        ("/leads", "Leads"),  # board.js, for a member who may move leads
        ("/imports", "Imported lists"),
        ("/runs", "Runs"),
        ("/conversations", "Conversations"),
        ("/settings/tokens", "API tokens"),
        ("/search?q=Cobalt", "Search"),
        ("/no-such-page", "No such page"),
    ]:
        page.goto(f"{live_server.url}{path}")
        expect(page.get_by_role("heading", level=1)).to_contain_text(heading)
        page.wait_for_load_state("networkidle")

    assert problems == []
