"""The search page and the header box's suggestions over ASGI on the real database, with real
local embeddings: exact names first, then names being typed, then matches by meaning across
companies, people, notes and email; hostile, oversized and SQL-like queries; strangers."""

from __future__ import annotations

import html
import re
import uuid

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from compound.platform.auth.actor import Actor
from compound.platform.records import notes
from compound.platform.records.embedding_backfill import embed_missing
from compound.platform.records.models import Company
from tests.factories import make_company, make_person, unique
from tests.platform.email.test_processing import mail, receive
from tests.web.test_pages import signed_in

RESULT_LINK = re.compile(r'<li class="search-result kind-(\w+)">.*?<a href="([^"]+)">', re.S)
SUGGESTION_LINK = re.compile(r'<a href="([^"]+)" class="suggestion kind-(\w+)">')


def results_of(page: str) -> list[tuple[str, str]]:
    """(kind, url) of each result on the page, best first."""
    return [(kind, html.unescape(url)) for kind, url in RESULT_LINK.findall(page)]


def suggestions_of(fragment: str) -> list[tuple[str, str]]:
    return [(kind, html.unescape(url)) for url, kind in SUGGESTION_LINK.findall(fragment)]


async def test_an_exact_name_comes_first_then_names_being_typed_then_meaning(
    web_client: httpx.AsyncClient, session: AsyncSession
) -> None:
    word = f"Quillon{uuid.uuid4().hex[:6]}"
    # Made first, so neither database order nor names sorted alphabetically put it first.
    labs = await make_company(
        session, name=f"{word} Robotics Labs", description="Warehouse robots", embed=True
    )
    exact = await make_company(
        session, name=word, domain=f"{word.lower()}.example", description="Ledgers", embed=True
    )
    await session.commit()
    await signed_in(web_client, "viewer")

    page = await web_client.get("/search", params={"q": word.lower()})

    assert page.status_code == 200
    found = results_of(page.text)
    assert found[:2] == [
        ("company", f"/companies/{exact.id}"),
        ("company", f"/companies/{labs.id}"),
    ]
    first = page.text.split('<li class="search-result')[1]
    assert "exact match" in first and f"{word.lower()}.example · Ledgers" in first
    # The header box keeps the query.
    assert f'value="{word.lower()}"' in page.text
    by_domain = await web_client.get("/search", params={"q": f"https://{word.lower()}.example/"})
    assert results_of(by_domain.text)[0] == ("company", f"/companies/{exact.id}")


async def test_a_person_is_found_by_email_address_and_a_note_by_meaning(
    web_client: httpx.AsyncClient, session: AsyncSession, actor: Actor
) -> None:
    company = await make_company(session, name=unique("Brindle Foods "), embed=True)
    email = f"{unique('marta')}@brindle.example"
    marta = await make_person(session, name="Marta Ruiz", emails=[email], company=company)
    note = await notes.create_note(
        session,
        actor,
        body="Their CFO wants to reconcile invoices automatically at month end.",
        company_id=company.id,
    )
    await session.commit()
    await signed_in(web_client, "member")

    by_email = await web_client.get("/search", params={"q": email.upper()})
    assert results_of(by_email.text)[0] == ("person", f"/people/{marta.id}")
    assert "Marta Ruiz" in by_email.text and company.name in by_email.text
    by_meaning = await web_client.get(
        "/search", params={"q": "accounting automation for monthly bookkeeping"}
    )
    assert ("note", f"/companies/{company.id}#notes-head") in results_of(by_meaning.text)
    assert f"Note on {company.name}" in by_meaning.text
    assert str(note.id) not in by_meaning.text  # a note has no page: its record's is opened


async def test_a_company_is_found_by_meaning_without_sharing_a_word(
    web_client: httpx.AsyncClient, session: AsyncSession
) -> None:
    robots = await make_company(
        session,
        name=unique("Kestrel Automation "),
        description="Autonomous forklifts for warehouses",
        embed=True,
    )
    await make_company(
        session, name=unique("Ledgerly "), description="Bookkeeping for accountants", embed=True
    )
    await session.commit()
    await signed_in(web_client, "viewer")

    page = await web_client.get(
        "/search", params={"q": "machines that move pallets in logistics centres"}
    )

    assert page.status_code == 200
    assert results_of(page.text)[0] == ("company", f"/companies/{robots.id}")
    first = page.text.split('<li class="search-result')[1]
    assert "exact match" not in first and ">Company<" in first


async def test_an_email_is_found_by_meaning_and_opens_its_conversation(
    web_client: httpx.AsyncClient, session: AsyncSession
) -> None:
    message = await receive(
        session,
        mail(
            sender=f"Ola Berg <ola@{uuid.uuid4().hex[:6]}-frostline.example>",
            subject="Quote for the cold storage pilot",
            body="Could you send a price for forty refrigerated pallet temperature sensors?",
        ),
    )
    assert message.conversation_id is not None and message.embedding is None
    assert await embed_missing(session) >= 1  # the background sweep, run here
    await session.commit()
    await signed_in(web_client, "viewer")

    page = await web_client.get("/search", params={"q": "pricing of fridge sensors"})
    link = ("message", f"/conversations/{message.conversation_id}")
    assert link in results_of(page.text)
    assert "Quote for the cold storage pilot" in page.text and "Ola Berg: Could you" in page.text
    fragment = await web_client.get("/search/suggest", params={"q": "pricing of fridge sensors"})
    assert fragment.status_code == 200
    assert link in suggestions_of(fragment.text)


async def test_suggestions_are_a_fragment_of_at_most_eight_links(
    web_client: httpx.AsyncClient, session: AsyncSession
) -> None:
    word = f"Sorrel{uuid.uuid4().hex[:6]}"
    made = [await make_company(session, name=f"{word} {n}") for n in range(10)]
    await session.commit()
    await signed_in(web_client, "viewer")

    fragment = await web_client.get(
        "/search/suggest", params={"q": word[:-2]}, headers={"HX-Request": "true"}
    )

    assert fragment.status_code == 200
    assert "<html" not in fragment.text and "site-header" not in fragment.text
    found = suggestions_of(fragment.text)
    assert len(found) == 8
    assert {url for _, url in found} <= {f"/companies/{c.id}" for c in made}
    assert f'href="/search?q={word[:-2]}"' in fragment.text  # all results, without JS
    empty = await web_client.get("/search/suggest", params={"q": "   "})
    assert empty.status_code == 200 and empty.text == ""
    nothing = await web_client.get("/search/suggest", params={"q": "qqzzxq"})
    assert "Nothing matches" in nothing.text and suggestions_of(nothing.text) == []


async def test_an_empty_query_shows_a_hint(web_client: httpx.AsyncClient) -> None:
    await signed_in(web_client, "viewer")
    for params in ({}, {"q": ""}, {"q": "   "}):
        page = await web_client.get("/search", params=params)
        assert page.status_code == 200
        assert "Type a company, a person" in page.text and 'class="search-result' not in page.text


async def test_hostile_text_is_escaped_in_the_page_and_the_suggestions(
    web_client: httpx.AsyncClient, session: AsyncSession
) -> None:
    word = f"Hexa{uuid.uuid4().hex[:6]}"
    await make_company(
        session,
        name=f"{word} <script>alert(1)</script>",
        description='<img src=x onerror="alert(2)">',
    )
    await session.commit()
    await signed_in(web_client, "viewer")
    hostile = '<script>alert("q")</script>'

    page = await web_client.get("/search", params={"q": word})
    fragment = await web_client.get("/search/suggest", params={"q": word})
    echoed = await web_client.get("/search", params={"q": hostile})
    echoed_fragment = await web_client.get("/search/suggest", params={"q": hostile})

    for body in (page.text, fragment.text):
        assert "<script>alert" not in body and "<img src=x" not in body
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body
    assert "&lt;img src=x onerror=&#34;alert(2)&#34;&gt;" in page.text
    for body in (echoed.text, echoed_fragment.text):
        assert "<script>alert" not in body
        assert "&lt;script&gt;alert(&#34;q&#34;)&lt;/script&gt;" in body


async def test_an_oversized_or_garbled_query_is_a_400_naming_the_problem(
    web_client: httpx.AsyncClient,
) -> None:
    await signed_in(web_client, "viewer")
    long = "x" * 201

    page = await web_client.get("/search", params={"q": long})
    assert page.status_code == 400
    assert "query is 201 characters long; the limit is 200" in page.text
    assert long not in page.text  # not echoed whole into the box
    fragment = await web_client.get("/search/suggest", params={"q": long})
    assert fragment.status_code == 400 and "the limit is 200" in fragment.text
    huge = await web_client.get("/search", params={"q": "y" * 20_000})
    assert huge.status_code == 400
    control = await web_client.get("/search", params={"q": "acme\x00corp"})
    assert control.status_code == 400 and "control character U+0000" in control.text
    exactly = await web_client.get("/search", params={"q": "x" * 200})
    assert exactly.status_code == 200


async def test_sql_like_and_wildcard_queries_are_only_text(
    web_client: httpx.AsyncClient, session: AsyncSession
) -> None:
    plain = await make_company(session, name=unique("Plain Name "))
    await session.commit()
    await signed_in(web_client, "viewer")
    before = await session.scalar(select(func.count()).select_from(Company))

    for query in ("' OR 1=1; DROP TABLE company; --", "%", "_", "\\", "a%' --", "%%%%"):
        page = await web_client.get("/search", params={"q": query})
        assert page.status_code == 200, query
        # A wildcard matches itself: "%" or "_" is not the start of every name.
        assert "exact match" not in page.text
        assert f"/companies/{plain.id}" not in page.text, query
    assert await session.scalar(select(func.count()).select_from(Company)) == before


async def test_strangers_are_sent_to_sign_in_and_see_nothing(
    web_client: httpx.AsyncClient, session: AsyncSession
) -> None:
    secret = await make_company(session, name=unique("Secretive Holdings "))
    await session.commit()

    page = await web_client.get("/search", params={"q": secret.name})
    assert page.status_code == 303
    assert page.headers["location"].startswith("/sign-in?next=%2Fsearch%3Fq%3DSecretive")
    fragment = await web_client.get(
        "/search/suggest", params={"q": secret.name}, headers={"HX-Request": "true"}
    )
    assert fragment.status_code == 401 and fragment.text == ""
    assert fragment.headers["hx-redirect"].startswith("/sign-in?next=%2Fsearch")
    long = await web_client.get("/search", params={"q": "z" * 300})
    assert long.status_code == 303 and long.headers["location"] == "/sign-in?next=%2Fsearch"
