"""The pipeline board in Debian's Chromium against the running server: sign in, open the
board, move a lead with a rationale (by its buttons, and by dragging its card to another
column) and see it in its new column; the board fits 1280 px without scrolling the page
sideways (screenshots of the board are kept under var/screenshots/)."""

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


def make_lead(live_server: LiveServer, name: str) -> uuid.UUID:
    """A new lead of a new company, written straight into the live server's database."""

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

    return run_async(make)


@pytest.fixture(scope="module")
def lead(live_server: LiveServer) -> tuple[uuid.UUID, str]:
    name = f"Board Test {uuid.uuid4().hex[:6]} Labs"
    return make_lead(live_server, name), name


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


def test_a_person_drags_a_card_to_another_column_and_gives_the_rationale(
    browser: Browser, live_server: LiveServer, member: str
) -> None:
    name = f"Drag Test {uuid.uuid4().hex[:6]} <b>Co</b>"
    lead_id = make_lead(live_server, name)
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    page.goto(f"{live_server.url}/sign-in?next=%2Fleads")
    sign_in(page, member, PASSWORD)
    expect(page).to_have_url(f"{live_server.url}/leads")
    card = page.locator(f"#column-new-leads #lead-{lead_id}")
    expect(card).to_have_attribute("draggable", "true")

    # The board fits a 1280 px screen: no sideways scrolling of the page.
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 1280, f"the board page is {width} px wide"
    board = page.evaluate(
        "[...document.querySelectorAll('.board')].map(b => b.scrollWidth - b.clientWidth)"
    )
    assert board == [0], "all eight columns show side by side, without scrolling the board"
    screenshots = REPOSITORY_ROOT / "var" / "screenshots"
    screenshots.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(screenshots / "leads-board-1280.png"))

    # A move the pipeline does not allow: the server says so, and nothing moves.
    card.drag_to(page.locator("#column-won-leads"))
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("heading")).to_have_text(f"Move {name} to won")
    expect(dialog).to_contain_text("from new a lead can go to: researching, qualified")
    dialog.get_by_label(f"Why move {name} from new to won?").fill("Signed already")
    dialog.get_by_role("button", name="Move").click()
    expect(page.get_by_role("alert")).to_contain_text("a new lead cannot move to won")
    card = page.locator(f"#column-new-leads #lead-{lead_id}")
    expect(card).to_have_attribute("draggable", "true")  # board.js has run on the new page

    # Cancelled: nothing is sent. (The refused card's Move… menu is open: it is taken by its
    # score, away from the menu's text fields.)
    card.locator(".score").drag_to(page.locator("#column-researching-leads"))
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_be_hidden()
    expect(card).to_be_visible()

    card.locator(".score").drag_to(page.locator("#column-qualified-leads"))
    expect(dialog).to_be_visible()
    rationale = dialog.get_by_label(f"Why move {name} from new to qualified?")
    expect(rationale).to_be_focused()
    page.screenshot(path=str(screenshots / "leads-board-drag-dialog.png"))
    rationale.fill("Dragged: demo went well")
    dialog.get_by_role("button", name="Move").click()
    expect(page.get_by_role("status")).to_contain_text("Moved")

    page.reload()
    moved = page.locator(f"#column-qualified-leads #lead-{lead_id}")
    expect(moved).to_be_visible()
    expect(moved).to_contain_text("Dragged: demo went well")
    expect(page.locator(f"#column-new-leads #lead-{lead_id}")).to_have_count(0)
    page.close()
