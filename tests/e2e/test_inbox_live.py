"""The whole loop in Debian's Chromium, with Compound's processes running as `compound up`
runs them (server, worker, SMTP listener, outbound relay): a colleague mails an incubator's
list over SMTP and, on an Inbox that is never reloaded, the ledger fills and the exceptions
appear; answering the question and approving an outreach draft (edited in the form made from
the tool's schema) resume the waiting runs; the shortcuts help opens with `?`."""

from __future__ import annotations

import smtplib
import uuid
from email.message import EmailMessage
from pathlib import Path

from playwright.sync_api import Browser, Page, expect

from compound.platform.database import Database
from tests.conftest import LiveServer
from tests.e2e.conftest import PASSWORD, Background, run_async, sign_in
from tests.factories import make_company
from tests.modules.leads.test_workflow import cohort

SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
WORK_SECONDS = 120


def _crm_knows_harborline_and_two_acmes(live_server: LiveServer, tag: str) -> None:
    async def make() -> None:
        database = Database.connect(live_server.database_url, pool_size=1)
        try:
            async with database.session() as session:
                await make_company(
                    session, name="Harborline Freight", domain=f"harborline-{tag}.example"
                )
                await make_company(
                    session, name=f"Acme{tag} Widgets Inc", domain=f"acme{tag}.example"
                )
                await make_company(
                    session, name=f"Acme{tag} Widgets GmbH", domain=f"acme{tag}-gmbh.example"
                )
        finally:
            await database.dispose()

    run_async(make)


def _mail_the_list(background: Background, sender: str, tag: str) -> None:
    message = EmailMessage()
    message["From"] = f"Ana <{sender}>"
    message["To"] = "leads@compound.localhost"
    message["Subject"] = f"Fwd: Larkspur Spring cohort {tag}"
    message["Message-ID"] = f"<cohort-{tag}@example.com>"
    message.set_content(cohort(tag))
    with smtplib.SMTP("127.0.0.1", background.smtp_port, timeout=30) as client:
        client.login(sender, PASSWORD)  # a colleague's own account: the list is a command
        client.send_message(message)


def _not_reloaded(page: Page) -> bool:
    return bool(page.evaluate("window.__stillThisPage === true"))


def test_an_emailed_list_fills_the_ledger_live_and_decisions_resume_the_runs(
    browser: Browser, live_server: LiveServer, background: Background
) -> None:
    tag = uuid.uuid4().hex[:6]
    # A colleague: an account on an internal domain, authenticated by SMTP AUTH.
    sender = f"ana-{tag}@compound.localhost"
    live_server.cli(
        "user", "create", "--email", sender, "--password-stdin", "--role", "member",
        "--name", "Ana Forwarder", stdin=PASSWORD,
    )  # fmt: skip
    _crm_knows_harborline_and_two_acmes(live_server, tag)
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    try:
        page.goto(f"{live_server.url}/inbox")
        sign_in(page, sender, PASSWORD)
        expect(page.get_by_role("heading", name="Inbox", level=1)).to_be_visible()
        expect(page.locator("html")).to_have_attribute("data-live-ready", "", timeout=15_000)
        page.evaluate("window.__stillThisPage = true")

        _mail_the_list(background, sender, tag)
        group = page.get_by_role(
            "region", name=f"Import companies: Fwd: Larkspur Spring cohort {tag}"
        )
        expect(group.locator(".ledger")).to_contain_text(
            "3 added, 1 already known and updated, 2 need you", timeout=WORK_SECONDS * 1000
        )
        expect(group).to_contain_text(f"No URL found for Zephyrine{tag} Dynamics")
        question = group.locator("article.kind-question")
        expect(question).to_contain_text(f"Acme{tag}")
        assert _not_reloaded(page), "the ledger and the items must arrive without a reload"

        page.keyboard.press("?")
        expect(page.get_by_role("dialog", name="Keyboard shortcuts")).to_be_visible()
        page.keyboard.press("Escape")
        expect(page.get_by_role("dialog", name="Keyboard shortcuts")).to_be_hidden()
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "inbox-live.png"), full_page=False)

        # Answer the question: the research run waiting on it resumes and the ledger counts it.
        question.locator("label.choice", has_text=f"Acme{tag} Widgets Inc").locator("input").check()
        question.get_by_role("button", name="Answer").click()
        expect(page.get_by_role("status").filter(has_text="Answered")).to_be_visible()
        page.evaluate("window.__stillThisPage = true")
        expect(group.locator(".ledger")).to_contain_text(
            "3 added, 2 already known and updated, 1 need you", timeout=WORK_SECONDS * 1000
        )
        assert _not_reloaded(page)

        # Nobody to write to at Quillmate: one exception asks for a person, instead of an
        # outreach draft nobody could approve.
        drafts = page.get_by_role(
            "region", name=f"Outreach drafts: Fwd: Larkspur Spring cohort {tag}"
        )
        expect(
            drafts.locator(
                "article.kind-exception", has_text=f"No contact known for Quillmate{tag}"
            )
        ).to_be_visible(timeout=WORK_SECONDS * 1000)
        expect(drafts.locator("article.kind-approval")).to_have_count(0)
    finally:
        page.close()
