"""The Companies and People pages over ASGI on the real database: lists (filter, sort, cursor
paging), detail pages with everything attached, provenance badges on agent-written values,
inline edit (field errors, CSRF, viewers), merging, hostile text escaped, unknown ids."""

from __future__ import annotations

import html
import re
import uuid

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from compound.modules.leads.models import LeadStatus
from compound.modules.leads.service import create_lead
from compound.platform.auth.actor import Actor, AgentProvenance
from compound.platform.records import companies, notes, people, tasks
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
    edit_name = unique("Edit Co ")
    company = await make_company(session, name=edit_name, domain="edit.example")
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
    assert (stored.name, stored.domain, stored.description) == (edit_name, "edit.example", None)

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
    guarded = unique("Guarded ")
    company = await make_company(session, name=guarded)
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
    assert stored is not None and stored.name == guarded


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


# --- the person page's inline edit ------------------------------------------------------------


def person_form(csrf: str, **fields: str) -> dict[str, str]:
    return {"csrf": csrf, "name": "", "title": "", "company_id": "", "emails": "", **fields}


async def test_a_person_edit_saves_every_field_and_is_in_the_timeline(
    web_client: httpx.AsyncClient, session: AsyncSession
) -> None:
    old = await make_company(session, name=unique("Old Co "))
    new = await make_company(session, name=unique("New Co "), domain="newco.example")
    person = await make_person(
        session, name=unique("Ada "), emails=["ada@old.example"], company=old
    )
    first_name = person.name
    csrf = await signed_in(web_client, "member")

    page = await web_client.get(f"/people/{person.id}")
    assert f'action="/people/{person.id}/edit"' in page.text
    assert f'id="edit-name" name="name" type="text" value="{person.name}"' in page.text
    assert f'<option value="{old.id}" selected>{old.name}</option>' in page.text
    assert f'<option value="{new.id}">{new.name} (newco.example)</option>' in page.text
    assert ">ada@old.example</textarea>" in page.text

    saved = await web_client.post(
        f"/people/{person.id}/edit",
        data=person_form(
            csrf,
            name="Ada Lovelace",
            title="  Chief Analyst ",
            company_id=str(new.id),
            emails="Ada@Analytical.example\n\nada@analytical.example, second@analytical.example",
        ),
    )
    assert saved.status_code == 303
    assert saved.headers["location"] == f"/people/{person.id}?flash=saved"
    stored = await session.get(Person, person.id, populate_existing=True)
    assert stored is not None
    assert (stored.name, stored.title, stored.company_id) == (
        "Ada Lovelace",
        "Chief Analyst",
        new.id,
    )
    assert await people.emails_of(session, person.id) == [
        "ada@analytical.example",
        "second@analytical.example",
    ]

    shown = (await web_client.get(saved.headers["location"])).text
    assert '<p class="flash" role="status">Saved.</p>' in shown
    assert f'<a href="/companies/{new.id}">{new.name}</a>' in shown
    assert "mailto:second@analytical.example" in shown
    timeline = shown.split('id="timeline-head"')[1]
    updated = timeline.index("Person Ada Lovelace updated: company_id, emails, name, title")
    assert updated < timeline.index(f"Person {first_name} created")

    # Clearing the title, the company and the addresses is an edit too.
    cleared = await web_client.post(
        f"/people/{person.id}/edit", data=person_form(csrf, name="Ada Lovelace")
    )
    assert cleared.status_code == 303
    stored = await session.get(Person, person.id, populate_existing=True)
    assert stored is not None and (stored.title, stored.company_id) == (None, None)
    assert await people.emails_of(session, person.id) == []


async def test_a_field_left_out_of_the_form_is_left_as_it_is(
    web_client: httpx.AsyncClient, session: AsyncSession
) -> None:
    kept_name = unique("Kept Co ")
    company = await make_company(session, name=kept_name, domain="kept.example")
    person = await make_person(session, emails=["kept@kept.example"], company=company)
    csrf = await signed_in(web_client, "member")
    renamed = await web_client.post(
        f"/people/{person.id}/edit", data={"csrf": csrf, "name": "Only The Name"}
    )
    assert renamed.status_code == 303
    stored = await session.get(Person, person.id, populate_existing=True)
    assert stored is not None and (stored.name, stored.company_id) == ("Only The Name", company.id)
    assert await people.emails_of(session, person.id) == ["kept@kept.example"]

    # The same holds on the company page, which shares the handler.
    domain_only = await web_client.post(
        f"/companies/{company.id}/edit", data={"csrf": csrf, "domain": "moved.example"}
    )
    assert domain_only.status_code == 303
    kept = await session.get(Company, company.id, populate_existing=True)
    assert kept is not None and (kept.name, kept.domain) == (kept_name, "moved.example")


@pytest.mark.parametrize(
    ("fields", "field", "message", "typed"),
    [
        (
            {"name": "N" * 201},
            "name",
            "name is 201 characters long; the limit is 200",
            'id="edit-name" name="name" type="text" value="' + "N" * 201 + '"',
        ),
        ({"name": "   "}, "name", "name is required", 'name="name" type="text" value="   "'),
        (
            {"title": "T" * 5_000},
            "title",
            "title is 5000 characters long; the limit is 200",
            'value="' + "T" * 5_000 + '"',
        ),
        (
            {"emails": "fine@ok.example\nnot an email"},
            "emails",
            "'not an email' is not an email address",
            ">fine@ok.example\nnot an email</textarea>",
        ),
        (
            {"emails": "\n".join(f"p{index}@many.example" for index in range(21))},
            "emails",
            "a person has at most 20 email addresses",
            "p20@many.example</textarea>",
        ),
        (
            {"company_id": str(uuid.UUID(int=7))},
            "company_id",
            f"no company with id {uuid.UUID(int=7)}",
            f'<option value="{uuid.UUID(int=7)}" selected>{uuid.UUID(int=7)} (not a company)',
        ),
        (
            {"company_id": "robert'); drop table"},
            "company_id",
            '"robert\'); drop table" is not a company id; choose a company',
            "robert&#39;); drop table (not a company)",
        ),
    ],
    ids=[
        "long-name",
        "blank-name",
        "long-title",
        "bad-email",
        "too-many-emails",
        "no-company",
        "bad-company-id",
    ],
)
async def test_a_bad_person_edit_shows_the_error_at_its_field_and_changes_nothing(
    web_client: httpx.AsyncClient,
    session: AsyncSession,
    fields: dict[str, str],
    field: str,
    message: str,
    typed: str,
) -> None:
    company = await make_company(session, name=unique("Stays Co "))
    steady = unique("Steady ")
    person = await make_person(
        session, name=steady, emails=["steady@stays.example"], company=company
    )
    csrf = await signed_in(web_client, "member")
    form = person_form(
        csrf,
        name="Changed Name",
        title="Changed Title",
        company_id=str(company.id),
        emails="changed@stays.example",
    )
    form.update(fields)

    bad = await web_client.post(f"/people/{person.id}/edit", data=form)
    assert bad.status_code == 400
    text = bad.text
    assert f'<p class="error field-error" role="alert" id="error-{field}">' in text
    shown_error = text.split(f'id="error-{field}">')[1].split("</p>")[0]
    assert html.unescape(shown_error) == message
    assert f'aria-invalid="true" aria-describedby="error-{field}"' in text
    assert typed in text
    assert '<details class="edit" open>' in text
    # The other fields keep what was typed too.
    for other, value in (("name", "Changed Name"), ("title", "Changed Title")):
        if other not in fields:
            assert f'id="edit-{other}" name="{other}" type="text" value="{value}"' in text
    if "emails" not in fields:
        assert ">changed@stays.example</textarea>" in text

    stored = await session.get(Person, person.id, populate_existing=True)
    assert stored is not None
    assert (stored.name, stored.title, stored.company_id) == (steady, None, company.id)
    assert await people.emails_of(session, person.id) == ["steady@stays.example"]
    assert f"Person {steady} updated" not in text and "Person Changed Name" not in text


async def test_an_address_another_person_has_is_an_error_at_the_email_box(
    web_client: httpx.AsyncClient, session: AsyncSession
) -> None:
    owner = await make_person(session, emails=["taken@owner.example"])
    person = await make_person(session, emails=["mine@owner.example"])
    csrf = await signed_in(web_client, "member")
    refused = await web_client.post(
        f"/people/{person.id}/edit",
        data=person_form(csrf, name=person.name, emails="mine@owner.example\nTAKEN@owner.example"),
    )
    assert refused.status_code == 400
    error = refused.text.split('id="error-emails">')[1].split("</p>")[0]
    assert error == f"email taken@owner.example already belongs to person {owner.id}"
    assert await people.emails_of(session, person.id) == ["mine@owner.example"]
    assert await people.emails_of(session, owner.id) == ["taken@owner.example"]


async def test_hostile_text_in_a_person_edit_is_stored_as_text_and_shown_escaped(
    web_client: httpx.AsyncClient, session: AsyncSession
) -> None:
    person = await make_person(session)
    csrf = await signed_in(web_client, "member")
    name = '<script>alert("name")</script>'
    title = '"><img src=x onerror=alert(2)>'
    saved = await web_client.post(
        f"/people/{person.id}/edit", data=person_form(csrf, name=name, title=title)
    )
    assert saved.status_code == 303
    stored = await session.get(Person, person.id, populate_existing=True)
    assert stored is not None and (stored.name, stored.title) == (name, title)

    page = (await web_client.get(f"/people/{person.id}")).text
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(&#34;name&#34;)&lt;/script&gt;" in page
    assert 'value="&#34;&gt;&lt;img src=x onerror=alert(2)&gt;"' in page
    assert (
        "Person &lt;script&gt;alert(&#34;name&#34;)&lt;/script&gt; updated: emails, name, title"
        in page
    )

    # Refused, the hostile text typed comes back escaped as well.
    again = await web_client.post(
        f"/people/{person.id}/edit",
        data=person_form(csrf, name=name, emails="<script>alert(3)</script>"),
    )
    assert again.status_code == 400
    assert "<script>alert(3)" not in again.text
    assert "&lt;script&gt;alert(3)&lt;/script&gt;</textarea>" in again.text


async def test_person_edits_by_a_viewer_or_without_csrf_are_refused(
    web_client: httpx.AsyncClient, session: AsyncSession
) -> None:
    guarded = unique("Guarded Person ")
    person = await make_person(session, name=guarded)
    url = f"/people/{person.id}/edit"
    csrf = await signed_in(web_client, "member")
    missing = await web_client.post(url, data={"name": "Hacked"})
    assert missing.status_code == 403
    assert "without its security token (CSRF)" in missing.text
    wrong = await web_client.post(url, data={"name": "Hacked", "csrf": csrf[::-1]})
    assert wrong.status_code == 403
    assert "wrong or expired" in wrong.text

    web_client.cookies.clear()
    stranger = await web_client.post(url, data={"name": "Hacked", "csrf": csrf})
    assert stranger.status_code == 303
    assert stranger.headers["location"].startswith("/sign-in?next=")

    viewer_csrf = await signed_in(web_client, "viewer")
    page = await web_client.get(f"/people/{person.id}")
    assert page.status_code == 200 and "/edit" not in page.text and 'name="emails"' not in page.text
    refused = await web_client.post(url, data=person_form(viewer_csrf, name="Hacked"))
    assert refused.status_code == 403
    assert "viewers cannot edit or merge records" in refused.text
    stored = await session.get(Person, person.id, populate_existing=True)
    assert stored is not None and stored.name == guarded


async def test_a_person_edit_of_a_malformed_or_unknown_id_is_a_404(
    web_client: httpx.AsyncClient,
) -> None:
    csrf = await signed_in(web_client, "member")
    malformed = await web_client.post("/people/not-a-uuid/edit", data=person_form(csrf, name="X"))
    assert malformed.status_code == 404
    missing = uuid.uuid4()
    unknown = await web_client.post(f"/people/{missing}/edit", data=person_form(csrf, name="X"))
    assert unknown.status_code == 404
    assert unknown.headers["content-type"].startswith("text/html")
    assert f"there is no person with id {missing}" in unknown.text


async def test_agent_written_person_values_carry_badges_until_a_person_edits_them(
    web_client: httpx.AsyncClient, session: AsyncSession
) -> None:
    company = await make_company(session, name=unique("Badged Co "))
    person = await people.create_person(
        session,
        researcher().citing(source={"url": "https://badged.example/team"}, confidence=0.9),
        name=unique("Researched "),
        title="CTO",
        company_id=company.id,
        emails=["cto@badged.example"],
        compute_embedding=False,
    )
    await session.flush()  # the provenance rows, for the app's requests to read
    csrf = await signed_in(web_client, "member")
    title = (
        f"Written by agent tests.researcher · run {RUN_ID} · tool web.fetch · "
        "source: url https://badged.example/team · confidence 0.90"
    )
    page = html.unescape((await web_client.get(f"/people/{person.id}")).text)
    assert re.findall(r'class="agent-badge" title="([^"]+)"', page) == [title] * 4

    edited = await web_client.post(
        f"/people/{person.id}/edit",
        data=person_form(
            csrf,
            name=person.name,
            title="Chief Technology Officer",
            company_id=str(company.id),
            emails="cto@badged.example",
        ),
    )
    assert edited.status_code == 303
    page = html.unescape((await web_client.get(f"/people/{person.id}")).text)
    # Name, company and address are still the agent's; the title is now a person's.
    assert re.findall(r'class="agent-badge" title="([^"]+)"', page) == [title] * 3
    about = page.split('id="about"')[1].split("</dl>")[0]
    assert "Chief Technology Officer</dd>" in about
