"""The Companies pages in Debian's Chromium against the running server: search for a company
by name, open it and see its timeline; a screenshot of the company page is kept under
var/screenshots/."""

from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import Browser, expect

from compound.platform.auth.actor import Actor
from compound.platform.database import Database
from compound.platform.records import companies, notes
from tests.conftest import REPOSITORY_ROOT, LiveServer
from tests.e2e.conftest import PASSWORD, new_member, run_async, sign_in


@pytest.fixture(scope="module")
def member(live_server: LiveServer) -> str:
    return new_member(live_server, "Rea Records")


@pytest.fixture(scope="module")
def company_name(live_server: LiveServer) -> str:
    name = f"Brightwater Robotics {uuid.uuid4().hex[:6]}"

    async def make() -> None:
        database = Database.connect(live_server.database_url, pool_size=2)
        try:
            async with database.session() as session:
                actor = Actor.system("e2e")
                company = await companies.create_company(
                    session,
                    actor,
                    name=name,
                    domain=f"{uuid.uuid4().hex[:8]}.brightwater.example",
                    description="Warehouse robots for cold storage.",
                    compute_embedding=False,
                )
                await notes.create_note(
                    session,
                    actor,
                    body="Met their CTO at the logistics fair.",
                    company_id=company.id,
                    compute_embedding=False,
                )
        finally:
            await database.dispose()

    run_async(make)
    return name


def test_a_person_searches_for_a_company_and_opens_its_timeline(
    browser: Browser, live_server: LiveServer, member: str, company_name: str
) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    page.goto(f"{live_server.url}/companies")
    sign_in(page, member, PASSWORD)
    expect(page.get_by_role("heading", name="Companies", exact=True)).to_be_visible()

    page.get_by_label("Name contains").fill(company_name.split()[-1])
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_role("link", name=company_name)).to_have_count(1)
    page.get_by_role("link", name=company_name).click()

    expect(page.get_by_role("heading", name=company_name, exact=True)).to_be_visible()
    timeline = page.get_by_role("list", name="Activity, newest first")
    expect(timeline).to_contain_text(f"Company {company_name} created")
    expect(timeline).to_contain_text("Note added: Met their CTO at the logistics fair.")
    notes_section = page.get_by_role("region", name="Notes (1)")
    expect(notes_section).to_contain_text("Met their CTO at the logistics fair.")

    screenshots = REPOSITORY_ROOT / "var" / "screenshots"
    screenshots.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(screenshots / "company.png"))
    page.close()
