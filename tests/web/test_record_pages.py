"""The Companies and People pages over ASGI on the real database: lists (filter, sort, cursor
paging), detail pages with everything attached, provenance badges on agent-written values,
inline edit (field errors, CSRF, viewers), merging, hostile text escaped, unknown ids."""

from __future__ import annotations

import html
import re
import uuid

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from compound.modules.leads.models import LeadStatus
from compound.modules.leads.service import create_lead
from compound.platform.auth.actor import Actor, AgentProvenance
from compound.platform.records import companies, notes, tasks
from compound.platform.records.models import Company, Person
from tests.factories import make_company, make_note, make_person, unique
from tests.web.test_pages import sign_in, signed_in

RUN_ID = uuid.UUID("00000000-0000-4000-8000-0000000000a7")


def researcher() -> Actor:
    return Actor(
        label="agent:tests.researcher",
        scopes=frozenset({"read", "write"}),
        role="agent",
        provenance=AgentProvenance(run_id=RUN_ID, agent="tests.researcher", tool="web.fetch"),
    )


def names_in(page: str) -> list[str]:
    return [
        html.unescape(name) for name in re.findall(r'<a href="/companies/[^"]+">([^<]+)</a>', page)
    ]


async def test_pages_send_a_stranger_to_sign_in(web_client: httpx.AsyncClient) -> None:
    for path in ("/companies", "/people", f"/companies/{uuid.uuid4()}"):
        response = await web_client.get(path)
        assert response.status_code == 303
        assert response.headers["location"].startswith("/sign-in?next=")


async def test_the_company_list_filters_sorts_and_pages(
    web_client: httpx.AsyncClient, session: AsyncSession
) -> None:
    prefix = unique("Pager")
    made = [await make_company(session, name=f"{prefix} {index:02d}") for index in range(52)]
    await make_company(session, name=unique("Elsewhere"))
    await signed_in(web_client, "viewer")

    first = await web_client.get("/companies", params={"q": prefix.lower()})
    assert first.status_code == 200
    assert "52 companies" in first.text
    names = names_in(first.text)
    assert names == [f"{prefix} {index:02d}" for index in range(50)]
    match = re.search(r'href="(/companies\?[^"]+)" rel="next"', first.text)
    assert match is not None
    second = await web_client.get(html.unescape(match.group(1)))
    assert second.status_code == 200
    assert names_in(second.text) == [f"{prefix} 50", f"{prefix} 51"]
    assert 'rel="next"' not in second.text

    newest = await web_client.get("/companies", params={"q": prefix, "sort": "created"})
    assert names_in(newest.text)[0] == made[-1].name
    assert 'value="created" selected' in newest.text

    none = await web_client.get("/companies", params={"q": "no such company at all"})
    assert "No companies with “no such company at all” in their name" in none.text


async def test_a_bad_cursor_is_a_400_with_a_message(web_client: httpx.AsyncClient) -> None:
    await signed_in(web_client, "member")
    for path in ("/companies", "/people"):
        response = await web_client.get(path, params={"after": "not-a-cursor"})
        assert response.status_code == 400
        assert "invalid cursor" in html.unescape(response.text)
        assert 'role="alert"' in response.text


async def test_the_company_page_shows_people_notes_tasks_lead_and_the_timeline(
    web_client: httpx.AsyncClient, session: AsyncSession, actor: Actor
) -> None:
    company = await make_company(session, name=unique("Detail Co "), domain="detail.example")
    person = await make_person(session, name="Grace Hopper", company=company)
    await make_note(session, company=company, body="Met at the fair")
    await tasks.create_task(session, actor, title="Send the deck", company_id=company.id)
    await create_lead(
        session,
        actor,
        company_id=company.id,
        score=83,
        rationale="Fits the ICP: robots",
        status=LeadStatus.QUALIFIED,
    )
    await companies.update_company(session, actor, company.id, description="Builds robots")
    await session.commit()
    await signed_in(web_client, "viewer")

    page = await web_client.get(f"/companies/{company.id}")
    assert page.status_code == 200
    text = page.text
    assert company.name in text and "detail.example" in text and "Builds robots" in text
    assert f'href="/people/{person.id}">Grace Hopper</a>' in text
    assert "Met at the fair" in text and "Send the deck" in text
    assert "qualified" in text and "score 83" in text and "Fits the ICP: robots" in text
    timeline = text.split('id="timeline-head"')[1]
    updated = timeline.index(f"Company {company.name} updated: description")
    created = timeline.index(f"Company {company.name} created")
    assert updated < created  # newest first
    # A viewer sees no edit or merge forms.
    assert "/edit" not in text and "/companies/merge" not in text

    person_page = await web_client.get(f"/people/{person.id}")
    assert person_page.status_code == 200
    assert f'href="/companies/{company.id}">{company.name}</a>' in person_page.text
    assert "Grace Hopper" in person_page.text and "@example.com" in person_page.text
    people = await web_client.get("/people", params={"q": "grace hop"})
    assert f'href="/people/{person.id}">Grace Hopper</a>' in people.text


async def test_agent_written_values_carry_a_badge_naming_run_tool_source_and_confidence(
    web_client: httpx.AsyncClient, session: AsyncSession, actor: Actor
) -> None:
    writer = researcher().citing(source={"url": "https://robots.example/about"}, confidence=0.8)
    company = await companies.create_company(
        session,
        writer,
        name=unique("Robots "),
        domain="robots.example",
        description="Warehouse robots",
        compute_embedding=False,
    )
    await notes.create_note(
        session,
        researcher().citing(source={"message_id": "<m1@robots.example>"}, confidence=0.6),
        body="Agent research note",
        company_id=company.id,
        compute_embedding=False,
    )
    await make_note(session, company=company, body="A person's note")
    # A person rewrote the domain: that value is no longer the agent's.
    await companies.update_company(session, actor, company.id, domain="robots.example.org")
    await signed_in(web_client, "member")

    page = html.unescape((await web_client.get(f"/companies/{company.id}")).text)
    titles = re.findall(r'class="agent-badge" title="([^"]+)"', page)
    company_title = (
        f"Written by agent tests.researcher · run {RUN_ID} · tool web.fetch · "
        "source: url https://robots.example/about · confidence 0.80"
    )
    note_title = (
        f"Written by agent tests.researcher · run {RUN_ID} · tool web.fetch · "
        "source: message_id <m1@robots.example> · confidence 0.60"
    )
    # Name and description are the agent's, the domain is not; one of the two notes is.
    assert titles.count(company_title) == 2
    assert titles.count(note_title) == 1
    assert len(titles) == 3


async def test_an_edit_with_a_bad_domain_shows_the_field_error_and_changes_nothing(
    web_client: httpx.AsyncClient, session: AsyncSession
) -> None:
    company = await make_company(session, name=unique("Edit Co "), domain="edit.example")
    csrf = await signed_in(web_client, "member")
    url = f"/companies/{company.id}/edit"
    bad = await web_client.post(
        url,
        data={"csrf": csrf, "name": "Renamed", "domain": "not a domain", "description": "x"},
    )
    assert bad.status_code == 400
    assert '<p class="error field-error" role="alert" id="error-domain">' in bad.text
    assert "is not a valid domain name" in html.unescape(bad.text)
    assert 'id="edit-domain" name="domain" type="text" value="not a domain"' in bad.text
    stored = await session.get(Company, company.id, populate_existing=True)
    assert stored is not None
    assert (stored.name, stored.domain, stored.description) == (company.name, "edit.example", None)

    good = await web_client.post(
        url,
        data={"csrf": csrf, "name": "Renamed Co", "domain": "https://www.Renamed.example/x"},
    )
    assert good.status_code == 303
    assert good.headers["location"] == f"/companies/{company.id}?flash=saved"
    stored = await session.get(Company, company.id, populate_existing=True)
    assert stored is not None
    assert (stored.name, stored.domain, stored.description) == (
        "Renamed Co",
        "renamed.example",
        None,
    )
    shown = await web_client.get(good.headers["location"])
    assert "Saved." in shown.text and "Renamed Co" in shown.text


async def test_edits_without_csrf_or_by_a_viewer_are_refused(
    web_client: httpx.AsyncClient, session: AsyncSession
) -> None:
    company = await make_company(session, name=unique("Guarded "))
    url = f"/companies/{company.id}/edit"
    csrf = await signed_in(web_client, "member")
    missing = await web_client.post(url, data={"name": "Hacked"})
    assert missing.status_code == 403
    assert "without its security token (CSRF)" in missing.text
    wrong = await web_client.post(url, data={"name": "Hacked", "csrf": "x" + csrf})
    assert wrong.status_code == 403

    web_client.cookies.clear()
    viewer_csrf = await signed_in(web_client, "viewer")
    refused = await web_client.post(url, data={"name": "Hacked", "csrf": viewer_csrf})
    assert refused.status_code == 403
    assert "viewers cannot edit or merge records" in refused.text
    merge = await web_client.post(
        "/companies/merge",
        data={"csrf": viewer_csrf, "keep_id": str(company.id), "merge_id": str(uuid.uuid4())},
    )
    assert merge.status_code == 403
    stored = await session.get(Company, company.id, populate_existing=True)
    assert stored is not None and stored.name == company.name


async def test_merging_folds_one_company_into_the_other(
    web_client: httpx.AsyncClient, session: AsyncSession
) -> None:
    keep = await make_company(session, name=unique("Keep "))
    fold = await make_company(session, name=unique("Fold "), domain="fold.example")
    person = await make_person(session, company=fold)
    csrf = await signed_in(web_client, "admin")
    page = await web_client.get(f"/companies/{keep.id}")
    assert f'<option value="{fold.id}">{fold.name} (fold.example)</option>' in page.text
    assert f'<option value="{keep.id}">' not in page.text

    merged = await web_client.post(
        "/companies/merge",
        data={"csrf": csrf, "keep_id": str(keep.id), "merge_id": str(fold.id)},
    )
    assert merged.status_code == 303
    assert merged.headers["location"] == f"/companies/{keep.id}?flash=merged"
    assert await session.get(Company, fold.id, populate_existing=True) is None
    moved = await session.get(Person, person.id, populate_existing=True)
    assert moved is not None and moved.company_id == keep.id
    shown = (await web_client.get(merged.headers["location"])).text
    assert "Merged:" in shown and fold.name in shown and "fold.example" in shown

    again = await web_client.post(
        "/companies/merge",
        data={"csrf": csrf, "keep_id": str(keep.id), "merge_id": str(keep.id)},
    )
    assert again.status_code == 400
    assert "cannot merge a company into itself" in again.text


async def test_hostile_text_is_escaped(
    web_client: httpx.AsyncClient, session: AsyncSession
) -> None:
    company = await make_company(
        session,
        name=unique("<img src=x onerror=alert(1)> "),
        description='<script>alert("pwned")</script>',
    )
    await make_note(session, company=company, body="<script>alert(2)</script>")
    await signed_in(web_client, "member")
    page = (await web_client.get(f"/companies/{company.id}")).text
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(&#34;pwned&#34;)&lt;/script&gt;" in page
    listed = (await web_client.get("/companies", params={"q": "<img"})).text
    assert "<img src=x" not in listed and "&lt;img src=x onerror=alert(1)&gt;" in listed


async def test_an_unknown_id_is_a_404_page(web_client: httpx.AsyncClient) -> None:
    await signed_in(web_client, "member")
    missing = uuid.uuid4()
    for path, kind in ((f"/companies/{missing}", "company"), (f"/people/{missing}", "person")):
        response = await web_client.get(path)
        assert response.status_code == 404
        assert response.headers["content-type"].startswith("text/html")
        assert f"there is no {kind} with id {missing}" in response.text


async def test_signing_in_then_listing_people_works_for_a_viewer(
    web_client: httpx.AsyncClient, session: AsyncSession
) -> None:
    await make_person(session, name=unique("Listed "))
    response = await sign_in(web_client, "viewer")
    assert response.status_code == 303
    people = await web_client.get("/people", params={"sort": "updated"})
    assert people.status_code == 200
    assert 'value="updated" selected' in people.text
