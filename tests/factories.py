"""Factory functions for test data, going through the real services."""

from __future__ import annotations

import itertools
import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from compound.platform.auth import service as auth
from compound.platform.auth.actor import Actor
from compound.platform.email.ingest import Envelope
from compound.platform.email.models import Channel
from compound.platform.records import companies, notes, people
from compound.platform.records.models import Company, Note, Person

_counter = itertools.count(1)
SYSTEM = Actor.system("factories")


def unique(prefix: str) -> str:
    return f"{prefix}{next(_counter)}-{uuid.uuid4().hex[:6]}"


async def make_company(
    session: AsyncSession,
    *,
    name: str | None = None,
    domain: str | None = None,
    description: str | None = None,
    embed: bool = False,
) -> Company:
    return await companies.create_company(
        session,
        SYSTEM,
        name=name or unique("Company "),
        domain=domain,
        description=description,
        compute_embedding=embed,
    )


async def make_person(
    session: AsyncSession,
    *,
    name: str | None = None,
    emails: list[str] | None = None,
    company: Company | None = None,
    embed: bool = False,
) -> Person:
    return await people.create_person(
        session,
        SYSTEM,
        name=name or unique("Person "),
        emails=emails if emails is not None else [f"{unique('p')}@example.com"],
        company_id=company.id if company else None,
        compute_embedding=embed,
    )


async def make_note(
    session: AsyncSession,
    *,
    company: Company | None = None,
    person: Person | None = None,
    body: str = "# Call\n- went well",
) -> Note:
    return await notes.create_note(
        session,
        SYSTEM,
        body=body,
        company_id=company.id if company else None,
        person_id=person.id if person else None,
        compute_embedding=False,
    )


async def submitted_by_account(
    session: AsyncSession, email: str, *, role: str = "member", name: str | None = None
) -> Envelope:
    """How a colleague's own mail arrives: SMTP AUTH as an account (created here) whose
    address is the message's From — the one way mail counts as theirs without a relay."""
    user = await auth.create_user(
        session, SYSTEM, email=email, role=role, name=name, password="password123"
    )
    return Envelope(
        channel=Channel.SMTP, submitted_by=f"user:{user.email}", submitter_user_id=user.id
    )
