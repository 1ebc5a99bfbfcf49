"""The leads pages over ASGI on the real database: the pipeline board and its moves (with a
rationale, CSRF, viewers refused, hostile text escaped), a lead's detail with its research
note and its outreach drafts (and the button that starts one), the batch ledgers with their
progress, and the ideal customer profile's form."""

from __future__ import annotations

import html
import re
import uuid
from pathlib import Path

import httpx
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from compound.agents.inbox import service as inbox
from compound.agents.inbox.models import InboxItem
from compound.agents.runtime import service as runs
from compound.modules.leads import service
from compound.modules.leads.models import IdealCustomerProfile, Lead, LeadImport, LeadStatus
from compound.modules.leads.outreach import (
    DraftState,
    outreach_drafts,
    outreach_refusal,
    start_outreach,
)
from compound.platform.auth.actor import Actor
from compound.platform.records.models import Activity, Company
from tests.agent_driver import drive
from tests.factories import make_company, make_note
from tests.modules.leads.test_outreach import approval_of, qualified_lead
from tests.runtime_agents import PLANNER
from tests.web.test_pages import sign_in

PASSWORD = "password123"


async def signed_in(client: httpx.AsyncClient, role: str) -> str:
    """Signs in as `role` and returns the session's CSRF token, read from the page."""
    response = await sign_in(client, role, next_path="/leads")
    assert response.status_code == 303, response.text
    page = await client.get("/leads")
    assert page.status_code == 200, page.text
    match = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert match is not None
    return match.group(1)


async def make_lead(
    session: AsyncSession,
    actor: Actor,
    *,
    name: str | None = None,
    score: int = 70,
    rationale: str = "B2B fintech at seed",
    status: LeadStatus = LeadStatus.NEW,
) -> tuple[Company, Lead]:
    company = await make_company(session, name=name)
    lead = await service.create_lead(
        session, actor, company_id=company.id, score=score, rationale=rationale, status=status
    )
    await session.commit()
    return company, lead


def card_of(page: str, lead_id: uuid.UUID) -> str:
    match = re.search(rf'<article class="lead-card" id="lead-{lead_id}".*?</article>', page, re.S)
    assert match is not None, f"no card for lead {lead_id}"
    return match.group(0)


def column_of(page: str, status: str) -> str:
    match = re.search(rf'<section class="board-column status-{status}".*?</section>', page, re.S)
    assert match is not None
    return match.group(0)


def moves_of(card: str) -> list[str]:
    return re.findall(r'name="to" value="([a-z]+)"', card)


async def status_of(session: AsyncSession, lead_id: uuid.UUID) -> str:
    lead = await session.get(Lead, lead_id, populate_existing=True)
    assert lead is not None
    return lead.status


async def test_the_board_shows_each_lead_in_its_column_with_only_the_allowed_moves(
    web_client: httpx.AsyncClient, session: AsyncSession, actor: Actor
) -> None:
    acme, new = await make_lead(session, actor, name="Acme Robotics", score=81)
    _, engaged = await make_lead(session, actor, score=64, status=LeadStatus.ENGAGED)
    _, won = await make_lead(session, actor, score=90, status=LeadStatus.WON)
    _, low = await make_lead(session, actor, score=12)
    await signed_in(web_client, "member")
    page = (await web_client.get("/leads")).text
    for status in LeadStatus:
        assert f'id="column-{status.value}"' in page
    new_card = card_of(page, new.id)
    assert f'id="lead-{new.id}"' in column_of(page, "new")
    assert f'<a href="/companies/{acme.id}" class="company">Acme Robotics</a>' in new_card
    assert ">81<" in new_card and "B2B fintech at seed" in new_card
    assert moves_of(new_card) == ["researching", "qualified", "disqualified"]
    assert f'id="lead-{engaged.id}"' in column_of(page, "engaged")
    assert moves_of(card_of(page, engaged.id)) == ["won", "lost"]
    assert moves_of(card_of(page, won.id)) == []
    assert 'name="rationale" type="text" required' in new_card

    filtered = (await web_client.get("/leads", params={"min_score": "50"})).text
    assert f'id="lead-{new.id}"' in filtered and f'id="lead-{low.id}"' not in filtered
    bad = await web_client.get("/leads", params={"min_score": "lots"})
    assert bad.status_code == 400 and "minimum score: a whole number" in bad.text


async def test_a_move_with_a_rationale_moves_the_lead_and_is_on_its_timeline(
    web_client: httpx.AsyncClient, session: AsyncSession, actor: Actor
) -> None:
    _, lead = await make_lead(session, actor)
    csrf = await signed_in(web_client, "member")
    moved = await web_client.post(
        f"/leads/{lead.id}/move",
        data={"csrf": csrf, "to": "qualified", "rationale": "Met the founders: strong fit"},
    )
    assert moved.status_code == 303
    assert moved.headers["location"] == f"/leads?flash=moved#lead-{lead.id}"
    assert await status_of(session, lead.id) == "qualified"
    page = (await web_client.get("/leads?flash=moved")).text
    assert "Moved: the rationale is on the lead&#39;s timeline." in page
    assert f'id="lead-{lead.id}"' in column_of(page, "qualified")
    summaries = (
        await session.execute(
            select(Activity.summary)
            .where(col(Activity.subject_id) == lead.id)
            .where(col(Activity.kind) == "lead.moved")
        )
    ).scalars()
    assert [s.split(": ", 1)[1] for s in summaries] == [
        "new → qualified (Met the founders: strong fit)"
    ]

    not_allowed = await web_client.post(
        f"/leads/{lead.id}/move", data={"csrf": csrf, "to": "won", "rationale": "sure"}
    )
    assert not_allowed.status_code == 400
    assert "a qualified lead cannot move to won" in html.unescape(not_allowed.text)
    assert await status_of(session, lead.id) == "qualified"


async def test_a_move_without_a_rationale_says_so_and_moves_nothing(
    web_client: httpx.AsyncClient, session: AsyncSession, actor: Actor
) -> None:
    _, lead = await make_lead(session, actor)
    csrf = await signed_in(web_client, "member")
    refused = await web_client.post(
        f"/leads/{lead.id}/move", data={"csrf": csrf, "to": "researching", "rationale": "  "}
    )
    assert refused.status_code == 400
    assert 'role="alert"' in refused.text
    assert "Not done: moving a lead to researching needs a rationale" in refused.text
    assert 'aria-invalid="true"' in card_of(refused.text, lead.id)
    assert await status_of(session, lead.id) == "new"

    from_detail = await web_client.post(
        f"/leads/{lead.id}/move", data={"csrf": csrf, "to": "researching", "from": "detail"}
    )
    assert from_detail.status_code == 400
    assert "Lead: " in from_detail.text and "needs a rationale" in from_detail.text
    missing = await web_client.post(
        f"/leads/{uuid.uuid4()}/move", data={"csrf": csrf, "to": "researching", "rationale": "x"}
    )
    assert missing.status_code == 404


async def test_a_move_without_the_csrf_token_or_by_a_viewer_is_refused(
    web_client: httpx.AsyncClient, session: AsyncSession, actor: Actor
) -> None:
    _, lead = await make_lead(session, actor)
    url = f"/leads/{lead.id}/move"
    csrf = await signed_in(web_client, "member")
    missing = await web_client.post(url, data={"to": "researching", "rationale": "why not"})
    assert missing.status_code == 403 and "(CSRF)" in missing.text
    wrong = await web_client.post(
        url, data={"csrf": csrf + "x", "to": "researching", "rationale": "why not"}
    )
    assert wrong.status_code == 403
    assert await status_of(session, lead.id) == "new"

    web_client.cookies.clear()
    viewer_csrf = await signed_in(web_client, "viewer")
    page = (await web_client.get("/leads")).text
    assert "signed in as a viewer" in page
    assert moves_of(card_of(page, lead.id)) == []
    refused = await web_client.post(
        url, data={"csrf": viewer_csrf, "to": "researching", "rationale": "why not"}
    )
    assert refused.status_code == 403 and "viewers can read" in refused.text
    assert await status_of(session, lead.id) == "new"


async def test_a_stranger_is_sent_to_sign_in(web_client: httpx.AsyncClient) -> None:
    for path in ("/leads", f"/leads/{uuid.uuid4()}", "/imports", "/settings/icp"):
        response = await web_client.get(path)
        assert response.status_code == 303
        assert response.headers["location"].startswith("/sign-in?next=%2F")


async def test_the_lead_detail_shows_its_research_note_owner_and_outreach(
    web_client: httpx.AsyncClient, session: AsyncSession, actor: Actor
) -> None:
    company, lead = await make_lead(session, actor, name="Beta Labs", score=77)
    await make_note(
        session,
        company=company,
        body="Research: Beta Labs\n\nWhat they do: payroll APIs\n\nSources:\n- the email",
    )
    await session.commit()
    await signed_in(web_client, "member")
    page = await web_client.get(f"/leads/{lead.id}")
    assert page.status_code == 200
    assert "<h1>Lead: Beta Labs</h1>" in page.text
    assert f'<a href="/companies/{company.id}">Beta Labs</a>' in page.text
    assert "77/100" in page.text and "B2B fintech at seed" in page.text
    assert "What they do: payroll APIs" in page.text
    assert "unassigned" in page.text and "no outreach yet" in page.text
    assert moves_of(page.text) == ["researching", "qualified", "disqualified"]
    assert 'name="from" value="detail"' in page.text
    missing = await web_client.get(f"/leads/{uuid.uuid4()}")
    assert missing.status_code == 404 and "no lead with id" in missing.text


async def test_the_imports_list_shows_each_ledger_with_progress_and_its_line(
    web_client: httpx.AsyncClient, session: AsyncSession, actor: Actor
) -> None:
    company = await make_company(session, name="Gamma AI")
    run = await runs.start_run(session, actor, PLANNER, {"question": "x"})
    session.add(
        LeadImport(
            id=run.id,
            source="email",
            state="researching",
            title="Demo day batch",
            requested_by="ana@example.com",
            found=6,
            to_research=5,
            researched=2,
            added=1,
            known=0,
            need_you=1,
            lines=[
                {"name": "Gamma AI", "outcome": "added", "detail": "new company", "company_id": str(company.id)},
                {"name": "Delta", "outcome": "asked", "detail": "two candidates", "needs_you": True},
                {"name": "Sponsor Co", "outcome": "skipped", "detail": "score 20 < 60"},
            ],
        )
    )  # fmt: skip
    await session.commit()
    await signed_in(web_client, "member")
    page = (await web_client.get("/imports")).text
    assert f'<a href="/imports/{run.id}">Demo day batch</a>' in page
    assert '<progress max="5" value="2" aria-label="2 of 5 researched">' in page
    assert "1 added, 0 already known and updated, 1 need you, 2/5 researched so far" in page

    detail = await web_client.get(f"/imports/{run.id}")
    assert detail.status_code == 200
    assert f'<a href="/companies/{company.id}">Gamma AI</a>' in detail.text
    assert "two candidates" in detail.text and "needs you" in detail.text
    assert "score 20 &lt; 60" in detail.text
    # Still researching: the counts and lines refresh live as research runs report.
    assert '<script src="/static/live.js" defer></script>' in detail.text
    assert (
        'id="import-summary" data-live' in detail.text
        and 'id="import-lines" data-live' in detail.text
    )
    await session.execute(
        update(LeadImport).where(col(LeadImport.id) == run.id).values(state="done")
    )
    await session.commit()
    done = (await web_client.get(f"/imports/{run.id}")).text
    assert "/static/live.js" not in done  # nothing left to wait for
    assert (await web_client.get(f"/imports/{uuid.uuid4()}")).status_code == 404


async def test_the_icp_form_saves_and_shows_a_field_error_without_saving(
    web_client: httpx.AsyncClient, session: AsyncSession
) -> None:
    csrf = await signed_in(web_client, "member")
    form = await web_client.get("/settings/icp")
    assert form.status_code == 200 and '<label for="threshold">' in form.text
    saved = await web_client.post(
        "/settings/icp",
        data={
            "csrf": csrf,
            "description": "B2B software for finance teams",
            "sectors": "Fintech, developer tools, fintech",
            "stages": "seed, series a",
            "regions": "europe",
            "keywords": "",
            "threshold": "70",
        },
    )
    assert saved.status_code == 303 and saved.headers["location"] == "/settings/icp?flash=saved"
    icp = await session.get(IdealCustomerProfile, 1, populate_existing=True)
    assert icp is not None
    assert (icp.sectors, icp.stages, icp.threshold) == (
        ["fintech", "developer tools"],
        ["seed", "series a"],
        70,
    )
    shown = (await web_client.get("/settings/icp?flash=saved")).text
    assert "Saved:" in shown and 'value="fintech, developer tools"' in shown

    bad = await web_client.post(
        "/settings/icp",
        data={"csrf": csrf, "description": "changed", "sectors": "biotech", "threshold": "150"},
    )
    assert bad.status_code == 400
    assert 'id="error-threshold">threshold must be between 0 and 100; got 150' in bad.text
    assert 'id="threshold" name="threshold" type="number" min="0" max="100" value="150"' in bad.text
    assert 'value="biotech"' in bad.text  # what was typed is kept
    not_a_number = await web_client.post("/settings/icp", data={"csrf": csrf, "threshold": "high"})
    assert not_a_number.status_code == 400 and "threshold: a whole number" in not_a_number.text
    icp = await session.get(IdealCustomerProfile, 1, populate_existing=True)
    assert icp is not None
    assert (icp.description, icp.sectors, icp.threshold) == (
        "B2B software for finance teams",
        ["fintech", "developer tools"],
        70,
    )
    assert (await web_client.post("/settings/icp", data={"threshold": "50"})).status_code == 403


async def test_a_viewer_reads_the_icp_but_cannot_save_it(
    web_client: httpx.AsyncClient, session: AsyncSession
) -> None:
    csrf = await signed_in(web_client, "viewer")
    page = (await web_client.get("/settings/icp")).text
    assert "<fieldset" in page and "disabled" in page and ">Save</button>" not in page
    refused = await web_client.post("/settings/icp", data={"csrf": csrf, "threshold": "10"})
    assert refused.status_code == 403
    icp = await session.get(IdealCustomerProfile, 1, populate_existing=True)
    assert icp is None or icp.threshold != 10


async def test_hostile_text_in_a_rationale_or_a_name_is_escaped(
    web_client: httpx.AsyncClient, session: AsyncSession, actor: Actor
) -> None:
    hostile = "<script>alert('x')</script>"
    _, lead = await make_lead(session, actor, name=f"Evil {hostile} Inc", rationale=hostile)
    csrf = await signed_in(web_client, "member")
    for path in ("/leads", f"/leads/{lead.id}"):
        page = (await web_client.get(path)).text
        assert "<script>" not in page
        assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in page
    refused = await web_client.post(
        f"/leads/{lead.id}/move", data={"csrf": csrf, "to": "won", "rationale": hostile}
    )
    assert refused.status_code == 400 and "<script>" not in refused.text


# --- outreach drafts on a lead's detail -----------------------------------------------------


def outreach_section(page: str) -> str:
    match = re.search(r'<section class="panel outreach".*?</section>', page, re.S)
    assert match is not None, "no outreach section"
    return match.group(0)


async def drafted(session: AsyncSession, actor: Actor, lead_id: uuid.UUID) -> InboxItem:
    """Has the outreach of one lead drafted (offline engine) and returns its approval."""
    root = await start_outreach(session, actor, title="test", lead_ids=[lead_id])
    await session.commit()
    await drive(session)
    return await approval_of(session, root)


async def test_a_waiting_outreach_draft_is_shown_escaped_with_its_inbox_link(
    web_client: httpx.AsyncClient, session: AsyncSession, actor: Actor
) -> None:
    hostile = "<script>alert('x')</script>"
    company, lead = await qualified_lead(session, actor, contact="maya@drafts.example")
    company.name = f"Evil {hostile} {uuid.uuid4().hex[:4]}"
    company.description = f"We ship {hostile} to bakeries"
    await session.commit()
    item = await drafted(session, actor, lead.id)
    await signed_in(web_client, "member")
    page = (await web_client.get(f"/leads/{lead.id}")).text
    assert "<script>" not in page
    section = outreach_section(page)
    assert "waiting for approval" in section and "maya@drafts.example" in section
    assert f'<a href="/inbox#item-{item.id}">' in section
    assert f'<a href="/runs/{item.run_id}">' in section
    escaped = "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"
    assert f'<dd class="draft-subject">Evil {escaped}' in section
    assert f"We ship {escaped} to bakeries" in section and "Hi Maya," in section
    # One draft at a time: no second one while this one waits.
    assert "Draft outreach</button>" not in section
    assert '<a href="#outreach">waiting for approval</a>' in page


async def test_an_edited_approved_draft_shows_as_sent_with_its_conversation(
    web_client: httpx.AsyncClient, session: AsyncSession, actor: Actor, outbox: Path
) -> None:
    _, lead = await qualified_lead(session, actor, contact="sent@drafts.example")
    item = await drafted(session, actor, lead.id)
    assert item.proposal is not None
    edited = {**item.proposal["arguments"], "subject": "Edited by a person"}
    await inbox.decide(session, actor, item.id, inbox.Action.APPROVE, arguments=edited)
    await session.commit()
    await drive(session)
    await session.refresh(lead)
    assert lead.status == "contacted" and lead.outreach_conversation_id is not None
    await signed_in(web_client, "member")
    section = outreach_section((await web_client.get(f"/leads/{lead.id}")).text)
    assert '<span class="draft-state">sent</span>' in section
    assert '<dd class="draft-subject">Edited by a person</dd>' in section  # what was sent
    assert f'<a href="/conversations/{lead.outreach_conversation_id}">' in section
    assert f"/inbox#item-{item.id}" not in section  # nothing left to decide
    assert "Draft outreach</button>" not in section  # a contacted lead gets no first outreach


async def test_a_rejected_draft_shows_who_rejected_it_and_why(
    web_client: httpx.AsyncClient, session: AsyncSession, actor: Actor
) -> None:
    _, lead = await qualified_lead(session, actor, contact="no@drafts.example")
    item = await drafted(session, actor, lead.id)
    await inbox.decide(session, actor, item.id, inbox.Action.REJECT, reason="too <b>pushy</b>")
    await session.commit()
    await drive(session)
    await signed_in(web_client, "member")
    section = outreach_section((await web_client.get(f"/leads/{lead.id}")).text)
    assert '<span class="draft-state">rejected</span>' in section
    assert f"by {actor.label}: too &lt;b&gt;pushy&lt;/b&gt;" in section
    assert "Draft outreach</button>" in section  # a new attempt is allowed


async def test_the_draft_outreach_button_starts_one_draft_that_waits_in_the_inbox(
    web_client: httpx.AsyncClient, session: AsyncSession, actor: Actor
) -> None:
    _, lead = await qualified_lead(session, actor, contact="button@drafts.example")
    await session.commit()
    csrf = await signed_in(web_client, "member")
    page = (await web_client.get(f"/leads/{lead.id}")).text
    assert "No outreach drafted yet." in page
    assert f'<form method="post" action="/leads/{lead.id}/outreach"' in page
    started = await web_client.post(f"/leads/{lead.id}/outreach", data={"csrf": csrf})
    assert started.status_code == 303
    assert started.headers["location"] == f"/leads/{lead.id}?flash=drafting#outreach"
    shown = (await web_client.get(f"/leads/{lead.id}?flash=drafting")).text
    assert 'role="status">Drafting: the email will wait for your approval' in shown
    assert '<span class="draft-state">drafting</span>' in outreach_section(shown)
    assert "Draft outreach</button>" not in shown

    again = await web_client.post(f"/leads/{lead.id}/outreach", data={"csrf": csrf})
    assert again.status_code == 400
    assert f"Not drafted: an outreach for lead {lead.id} is already on its way" in again.text
    await drive(session)
    drafts = await outreach_drafts(session, lead.id)
    assert [draft.state for draft in drafts] == [DraftState.WAITING]
    assert drafts[0].to == "button@drafts.example"
    waiting = await web_client.post(f"/leads/{lead.id}/outreach", data={"csrf": csrf})
    assert waiting.status_code == 400 and "is already on its way" in waiting.text
    assert len(await outreach_drafts(session, lead.id)) == 1


async def _button_shown(client: httpx.AsyncClient, lead_id: uuid.UUID) -> bool:
    page = (await client.get(f"/leads/{lead_id}")).text
    return "Draft outreach</button>" in outreach_section(page)


async def _refusal_now(session: AsyncSession, lead_id: uuid.UUID) -> str | None:
    lead = await session.get(Lead, lead_id, populate_existing=True)
    assert lead is not None
    return await outreach_refusal(session, lead)


async def test_the_draft_outreach_button_shows_exactly_when_the_service_would_draft(
    web_client: httpx.AsyncClient, session: AsyncSession, actor: Actor
) -> None:
    _, new = await make_lead(session, actor, status=LeadStatus.NEW)
    _, ready = await qualified_lead(session, actor, contact="ready@drafts.example")
    _, waiting = await qualified_lead(session, actor, contact="waiting@drafts.example")
    await drafted(session, actor, waiting.id)
    _, sending = await qualified_lead(session, actor, contact="sending@drafts.example")
    approval = await drafted(session, actor, sending.id)
    # Approved, and not sent yet: the run is on its way again (the old button showed here).
    await inbox.decide(session, actor, approval.id, inbox.Action.APPROVE)
    await session.commit()
    csrf = await signed_in(web_client, "member")
    assert "approved, sending" in outreach_section(
        (await web_client.get(f"/leads/{sending.id}")).text
    )

    for lead, allowed in ((new, False), (ready, True), (waiting, False), (sending, False)):
        refusal = await _refusal_now(session, lead.id)
        assert (refusal is None) is allowed, (lead.status, refusal)
        assert await _button_shown(web_client, lead.id) is allowed, lead.id
        if refusal is not None:  # the service refuses the form with the very reason
            refused = await web_client.post(f"/leads/{lead.id}/outreach", data={"csrf": csrf})
            assert refused.status_code == 400
            assert f"Not drafted: {html.escape(refusal, quote=True)}" in refused.text


async def test_only_a_qualified_lead_can_have_an_outreach_drafted(
    web_client: httpx.AsyncClient, session: AsyncSession, actor: Actor
) -> None:
    _, lead = await make_lead(session, actor, status=LeadStatus.NEW)
    csrf = await signed_in(web_client, "member")
    assert "Draft outreach</button>" not in (await web_client.get(f"/leads/{lead.id}")).text
    refused = await web_client.post(f"/leads/{lead.id}/outreach", data={"csrf": csrf})
    assert refused.status_code == 400
    assert (
        'id="outreach-error">Not drafted: a first outreach goes to a qualified lead; '
        f"lead {lead.id} is new" in refused.text
    )
    assert await outreach_drafts(session, lead.id) == []
    missing = await web_client.post(f"/leads/{uuid.uuid4()}/outreach", data={"csrf": csrf})
    assert missing.status_code == 404 and "no lead with id" in missing.text
    not_an_id = await web_client.post("/leads/not-a-uuid/outreach", data={"csrf": csrf})
    assert not_an_id.status_code == 404 and "not-a-uuid" not in not_an_id.text


async def test_a_viewer_or_a_form_without_csrf_cannot_draft_outreach(
    web_client: httpx.AsyncClient, session: AsyncSession, actor: Actor
) -> None:
    _, lead = await qualified_lead(session, actor, contact="guarded@drafts.example")
    await session.commit()
    url = f"/leads/{lead.id}/outreach"
    csrf = await signed_in(web_client, "member")
    missing = await web_client.post(url, data={})
    assert missing.status_code == 403 and "(CSRF)" in missing.text
    wrong = await web_client.post(url, data={"csrf": csrf[:-1] + "x" * 5_000})
    assert wrong.status_code == 403

    web_client.cookies.clear()
    viewer_csrf = await signed_in(web_client, "viewer")
    page = (await web_client.get(f"/leads/{lead.id}")).text
    assert "No outreach drafted yet." in page and "Draft outreach</button>" not in page
    refused = await web_client.post(url, data={"csrf": viewer_csrf})
    assert refused.status_code == 403 and "viewers can read" in refused.text
    assert await outreach_drafts(session, lead.id) == []

    web_client.cookies.clear()
    stranger = await web_client.post(url, data={"csrf": csrf})
    assert stranger.status_code == 303 and stranger.headers["location"].startswith("/sign-in")
    assert await outreach_drafts(session, lead.id) == []


async def test_the_board_carries_what_dragging_needs_only_for_writers(
    web_client: httpx.AsyncClient, session: AsyncSession, actor: Actor
) -> None:
    _, lead = await make_lead(session, actor, name=f'Quote " {uuid.uuid4().hex[:4]} <b>Co</b>')
    await signed_in(web_client, "member")
    page = (await web_client.get("/leads")).text
    assert '<script src="/static/board.js" defer></script>' in page
    card = card_of(page, lead.id)
    assert f'data-lead-id="{lead.id}"' in card and 'data-status="new"' in card
    assert 'data-moves="researching qualified disqualified"' in card
    assert 'data-company="Quote &#34; ' in card and "&lt;b&gt;Co&lt;/b&gt;" in card
    assert 'data-status="qualified"' in column_of(page, "qualified")
    dialog = re.search(r'<dialog id="move-dialog".*?</dialog>', page, re.S)
    assert dialog is not None
    assert re.search(r'name="csrf" value="[^"]+"', dialog.group(0))
    assert 'name="rationale" rows="3" required' in dialog.group(0)
    script = await web_client.get("/static/board.js")
    assert script.status_code == 200 and "innerHTML" not in script.text.replace(
        "never innerHTML", ""
    )

    web_client.cookies.clear()
    await signed_in(web_client, "viewer")
    viewer_page = (await web_client.get("/leads")).text
    assert "board.js" not in viewer_page and 'id="move-dialog"' not in viewer_page
    assert "data-draggable" not in viewer_page
