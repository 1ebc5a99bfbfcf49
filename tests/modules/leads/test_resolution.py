"""Resolving a name from an email against the CRM, on the real database with real
embeddings: link on clear evidence, create on a clear miss, ask when two readings fit."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from compound.modules.leads.resolution import Action, resolve_company, website
from compound.platform.auth.actor import Actor
from compound.platform.records import companies


async def company(
    session: AsyncSession, actor: Actor, name: str, domain: str | None, description: str
) -> uuid.UUID:
    made = await companies.create_company(
        session, actor, name=name, domain=domain, description=description
    )
    return made.id


async def test_the_same_website_or_the_same_name_links(session: AsyncSession, actor: Actor) -> None:
    tag = uuid.uuid4().hex[:6]
    kestrel = await company(
        session, actor, f"Kestrel{tag} Systems GmbH", f"kestrel{tag}.io", "Fleet telematics"
    )
    by_site = await resolve_company(
        session, name="Something Else", url_hint=f"https://WWW.kestrel{tag}.io/about"
    )
    assert (by_site.action, by_site.company_id) == (Action.LINK, kestrel)
    by_name = await resolve_company(session, name=f"KESTREL{tag} SYSTEMS, Inc.", url_hint="tbd")
    assert (by_name.action, by_name.company_id) == (Action.LINK, kestrel)
    assert by_name.reason == "the same name"


async def test_the_same_name_at_another_website_depends_on_the_business(
    session: AsyncSession, actor: Actor
) -> None:
    tag = uuid.uuid4().hex[:6]
    osprey = await company(
        session,
        actor,
        f"Osprey{tag} Pay",
        f"ospreypay{tag}.com",
        "Payments and invoicing software for construction subcontractors",
    )
    moved = await resolve_company(
        session,
        name=f"Osprey{tag} Pay",
        url_hint=f"osprey{tag}.io",
        context="Invoicing and payments for construction subcontractors",
    )
    assert (moved.action, moved.company_id) == (Action.LINK, osprey)
    assert "moved" in moved.reason
    other = await resolve_company(
        session,
        name=f"Osprey{tag} Pay",
        url_hint=f"osprey{tag}-kids.app",
        context="Pocket-money app that teaches children to save",
    )
    assert other.action is Action.ASK and other.company_id is None
    assert [c.company_id for c in other.candidates] == [osprey]


async def test_two_companies_of_one_name_are_a_question(
    session: AsyncSession, actor: Actor
) -> None:
    tag = uuid.uuid4().hex[:6]
    health = await company(session, actor, f"Acme{tag} Health", None, "Clinic scheduling")
    labs = await company(session, actor, f"Acme{tag} Health Labs", None, "Lab diagnostics kits")
    asked = await resolve_company(session, name=f"Acme{tag} Health AI")
    assert asked.action is Action.ASK
    assert {c.company_id for c in asked.candidates} == {health, labs}


async def test_alike_spellings_link_only_with_the_same_business(
    session: AsyncSession, actor: Actor
) -> None:
    tag = uuid.uuid4().hex[:4]
    robotics = await company(
        session,
        actor,
        f"Northwind{tag} Robotics",
        f"northwind{tag}robotics.com",
        "Autonomous forklifts and warehouse robots for logistics centers",
    )
    typo = await resolve_company(
        session,
        name=f"Northwnd{tag} Robotics",
        context="Warehouse robots and autonomous forklifts for logistics",
    )
    assert (typo.action, typo.company_id) == (Action.LINK, robotics), typo.reason
    different = await resolve_company(
        session,
        name=f"Northwind{tag} Robotix",
        url_hint=f"robotix{tag}.dev",
        context="Robotics kits for primary-school classrooms",
    )
    assert different.action is Action.CREATE, different.reason
    unclear = await resolve_company(session, name=f"Northwind{tag} Robotix")
    assert unclear.action is Action.ASK, unclear.reason


async def test_a_clear_miss_is_created(session: AsyncSession) -> None:
    tag = uuid.uuid4().hex[:6]
    missing = await resolve_company(
        session, name=f"Zyqorbit{tag}", url_hint="coming soon", context="Quantum sensors"
    )
    assert missing.action is Action.CREATE and missing.company_id is None


def test_url_hints_that_are_not_websites_are_ignored() -> None:
    assert website("https://www.Example.com/x") == "example.com"
    for junk in ("tbd", "coming soon", "", None, "linkedin only", "ftp://x.example", "10.0.0.1"):
        assert website(junk) is None, junk


async def test_the_same_name_for_another_business_is_not_linked(
    session: AsyncSession, actor: Actor
) -> None:
    tag = uuid.uuid4().hex[:6]
    bikes = await company(
        session, actor, f"Tilt{tag}", None, "Dockless electric bike and scooter sharing in cities"
    )
    other = await resolve_company(
        session,
        name=f"Tilt{tag}",
        context="Crowdfunding pages for group gifts and collecting money from friends",
    )
    assert other.action is Action.CREATE, other.reason
    assert "another business" in other.reason
    same = await resolve_company(
        session, name=f"Tilt{tag}", context="Shared electric bikes and scooters for city riders"
    )
    assert (same.action, same.company_id) == (Action.LINK, bikes), same.reason
    # A one-liner that says too little to tell businesses apart still links by name.
    thin = await resolve_company(session, name=f"Tilt{tag}", context="seed, Berlin")
    assert thin.action is Action.LINK, thin.reason


async def test_of_two_companies_with_the_name_the_matching_business_is_linked(
    session: AsyncSession, actor: Actor
) -> None:
    tag = uuid.uuid4().hex[:6]
    bank = await company(
        session, actor, f"Mercury{tag}", None, "Online business banking for startups"
    )
    await company(
        session, actor, f"Mercury{tag} Inc.", None, "Outboard motors and engines for boats"
    )
    meant = await resolve_company(
        session, name=f"Mercury{tag}", context="Business bank accounts for startups, online"
    )
    assert (meant.action, meant.company_id) == (Action.LINK, bank), meant.reason
    unclear = await resolve_company(session, name=f"Mercury{tag}")
    assert unclear.action is Action.ASK, unclear.reason


async def test_a_renamed_company_is_asked_about_not_duplicated(
    session: AsyncSession, actor: Actor
) -> None:
    tag = uuid.uuid4().hex[:6]
    described = "Payroll, benefits and HR software for small businesses in the United States"
    renamed = await company(session, actor, f"Gustavo{tag} Payroll", None, described)
    asked = await resolve_company(session, name=f"Zenpay{tag}", context=described)
    assert asked.action is Action.ASK, asked.reason
    assert [c.company_id for c in asked.candidates][:1] == [renamed]
    assert "renamed?" in asked.reason
