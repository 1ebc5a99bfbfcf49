"""The header's search box in Debian's Chromium against the running server: typing a company's
name shows it under the box (htmx), a click opens it; with JavaScript off, Enter opens the
full results page instead. The header stays on one line at 1280 px."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import Browser, Page, expect

from compound.platform.auth.actor import Actor
from compound.platform.database import Database
from compound.platform.records import companies
from tests.conftest import REPOSITORY_ROOT, LiveServer
from tests.e2e.conftest import PASSWORD, new_member, run_async, sign_in

# The first search loads the embedding model in the server process.
FIRST_SEARCH_MS = 60_000


@pytest.fixture(scope="module")
def member(live_server: LiveServer) -> str:
    return new_member(live_server, "Sam Search")


@pytest.fixture(scope="module")
def company_name(live_server: LiveServer) -> str:
    name = f"Saltmarsh Optics {uuid.uuid4().hex[:6]}"

    async def make() -> None:
        database = Database.connect(live_server.database_url, pool_size=2)
        try:
            async with database.session() as session:
                await companies.create_company(
                    session,
                    Actor.system("e2e"),
                    name=name,
                    domain=f"{uuid.uuid4().hex[:8]}.saltmarsh.example",
                    description="Lenses for marine cameras.",
                    compute_embedding=False,
                )
        finally:
            await database.dispose()

    run_async(make)
    return name


def _header_is_one_line(page: Page) -> None:
    header = page.get_by_role("banner")
    box = header.bounding_box()
    assert box is not None and box["height"] < 60, box
    search_box = page.get_by_role("searchbox", name="Search").bounding_box()
    sign_out = page.get_by_role("button", name="Sign out").bounding_box()
    assert search_box is not None and sign_out is not None
    assert abs(search_box["y"] - sign_out["y"]) < 20 and search_box["width"] >= 120


def test_typing_a_name_suggests_the_company_and_a_click_opens_it(
    browser: Browser, live_server: LiveServer, member: str, company_name: str
) -> None:
    assert (REPOSITORY_ROOT / "web" / "static" / "vendor" / "htmx.min.js").exists(), (
        "htmx is missing: `make install` fetches it from npm"
    )
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    page.goto(f"{live_server.url}/companies")
    sign_in(page, member, PASSWORD)
    expect(page.get_by_role("heading", name="Companies", exact=True)).to_be_visible()
    _header_is_one_line(page)

    box = page.get_by_role("searchbox", name="Search")
    box.press_sequentially(company_name.split()[0] + " " + company_name.split()[1], delay=30)
    suggestions = page.locator("#site-search-results")
    suggestion = suggestions.get_by_role("link", name=re.compile(re.escape(company_name)))
    expect(suggestion).to_be_visible(timeout=FIRST_SEARCH_MS)
    expect(suggestion).to_contain_text("Company")
    screenshots = REPOSITORY_ROOT / "var" / "screenshots"
    screenshots.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(screenshots / "search-suggestions.png"))

    suggestion.click()

    expect(page.get_by_role("heading", name=company_name, exact=True)).to_be_visible()
    assert re.search(r"/companies/[0-9a-f-]{36}$", page.url), page.url
    page.close()


def test_without_javascript_enter_opens_the_results_page(
    browser: Browser, live_server: LiveServer, member: str, company_name: str
) -> None:
    context = browser.new_context(
        java_script_enabled=False, viewport={"width": 1280, "height": 800}
    )
    page = context.new_page()
    page.goto(f"{live_server.url}/companies")
    sign_in(page, member, PASSWORD)
    expect(page.get_by_role("heading", name="Companies", exact=True)).to_be_visible()

    box = page.get_by_role("searchbox", name="Search")
    box.fill(company_name)
    box.press("Enter")

    expect(page.get_by_role("heading", name="Search", exact=True)).to_be_visible(
        timeout=FIRST_SEARCH_MS
    )
    assert "/search?q=Saltmarsh" in page.url
    expect(page.get_by_role("searchbox", name="Search")).to_have_value(company_name)
    results = page.get_by_role("list", name="Results, best first")
    first = results.get_by_role("listitem").first
    expect(first).to_contain_text("exact match")
    expect(page.locator("#site-search-results")).to_be_empty()  # no htmx, no suggestions
    page.screenshot(path=str(REPOSITORY_ROOT / "var" / "screenshots" / "search.png"))
    first.get_by_role("link", name=company_name, exact=True).click()

    expect(page.get_by_role("heading", name=company_name, exact=True)).to_be_visible()
    context.close()
