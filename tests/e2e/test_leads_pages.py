"""The pipeline board in Debian's Chromium against the running server: sign in, open the
board, move a lead with a rationale and see it in its new column (a screenshot of the
board is kept under var/screenshots/)."""

from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import Browser, expect

from compound.modules.leads import service
from compound.platform.auth.actor import Actor
from compound.platform.database import Database
from compound.platform.records.companies import create_company
from tests.conftest import REPOSITORY_ROOT, LiveServer
from tests.e2e.conftest import PASSWORD, new_member, run_async, sign_in


@pytest.fixture(scope="module")
def member(live_server: LiveServer) -> str:
    return new_member(live_server, "Lea Member")


@pytest.fixture(scope="module")
def lead(live_server: LiveServer) -> tuple[uuid.UUID, str]:
    name = f"Board Test {uuid.uuid4().hex[:6]} Labs"

    async def make() -> uuid.UUID:
        database = Database.connect(live_server.database_url, pool_size=2)
        try:
            async with database.session() as session:
                actor = Actor.system("e2e")
                company = await create_company(session, actor, name=name)
                made = await service.create_lead(
                    session, actor, company_id=company.id, score=99, rationale="fits the ICP"
                )
                return made.id
        finally:
            await database.dispose()

    return run_async(make), name


def test_a_person_moves_a_lead_on_the_board_with_a_rationale(
    browser: Browser, live_server: LiveServer, member: str, lead: tuple[uuid.UUID, str]
) -> None:
    lead_id, name = lead
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    page.goto(f"{live_server.url}/leads")
    expect(page).to_have_url(f"{live_server.url}/sign-in?next=%2Fleads")
    sign_in(page, member, PASSWORD)
    expect(page).to_have_url(f"{live_server.url}/leads")
    expect(page.get_by_role("heading", name="Leads", exact=True)).to_be_visible()

    card = page.locator(f"#lead-{lead_id}")
    expect(page.locator("#column-new-leads").locator(f"#lead-{lead_id}")).to_be_visible()
    expect(card).to_contain_text(name)
    card.get_by_text("Move…").click()
    card.get_by_label(f"Rationale for moving {name} to qualified").fill("Spoke to the CTO")
    card.get_by_role("button", name="→ qualified").click()

    expect(page.get_by_role("status")).to_contain_text("Moved")
    moved = page.locator("#column-qualified-leads").locator(f"#lead-{lead_id}")
    expect(moved).to_be_visible()
    expect(moved).to_contain_text("Spoke to the CTO")
    expect(page.locator("#column-new-leads").locator(f"#lead-{lead_id}")).to_have_count(0)
    screenshots = REPOSITORY_ROOT / "var" / "screenshots"
    screenshots.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(screenshots / "leads.png"))
    page.close()
