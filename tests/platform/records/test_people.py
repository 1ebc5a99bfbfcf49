"""Person services: normalized emails unique across people, links to companies, the trail."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from compound.platform.auth.actor import Actor
from compound.platform.errors import Duplicate, NotFound, ValidationFailed
from compound.platform.records import people
from compound.platform.records.models import Activity
from tests.factories import make_company, make_person


async def test_create_normalizes_and_deduplicates_emails(
    session: AsyncSession, actor: Actor
) -> None:
    company = await make_company(session)
    person = await people.create_person(
        session,
        actor,
        name="Ada Lovelace",
        emails=["Ada@Example.com", " ada@example.com ", "ada.l@Personal.example.org"],
        company_id=company.id,
        title="CTO",
    )
    assert await people.emails_of(session, person.id) == [
        "ada@example.com",
        "ada.l@personal.example.org",
    ]
    found = await people.find_person_by_email(session, "ADA@EXAMPLE.COM")
    assert found is not None and found.id == person.id
    activity = await session.scalar(select(Activity).where(Activity.subject_id == person.id))
    assert activity is not None and activity.company_id == company.id


async def test_an_email_belongs_to_one_person_only(session: AsyncSession, actor: Actor) -> None:
    owner = await make_person(session, emails=["shared@example.com"])
    with pytest.raises(Duplicate) as raised:
        await make_person(session, emails=["Shared@Example.com"])
    assert raised.value.existing_id == str(owner.id)
    other = await make_person(session)
    with pytest.raises(Duplicate):
        await people.update_person(session, actor, other.id, emails=["shared@example.com"])


async def test_update_replaces_emails_and_moves_company(
    session: AsyncSession, actor: Actor
) -> None:
    first, second = await make_company(session), await make_company(session)
    person = await make_person(session, emails=["old@example.com"], company=first)
    await people.update_person(
        session, actor, person.id, emails=["new@example.com"], company_id=second.id
    )
    assert await people.emails_of(session, person.id) == ["new@example.com"]
    assert person.company_id == second.id
    assert await people.find_person_by_email(session, "old@example.com") is None


async def test_keeping_ones_own_email_is_not_a_duplicate(
    session: AsyncSession, actor: Actor
) -> None:
    person = await make_person(session, emails=["me@example.com"])
    await people.update_person(
        session, actor, person.id, emails=["me@example.com", "me2@example.com"]
    )
    assert await people.emails_of(session, person.id) == ["me@example.com", "me2@example.com"]


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"name": "", "emails": []}, "name"),
        ({"name": "x" * 201, "emails": []}, "name"),
        ({"name": "Ok", "emails": ["not-an-email"]}, "emails[0]"),
        ({"name": "Ok", "emails": ["ok@example.com", "bad@@example.com"]}, "emails[1]"),
        ({"name": "Ok", "emails": [f"p{i}@example.com" for i in range(21)]}, "emails"),
        ({"name": "Ok", "title": "t" * 201}, "title"),
    ],
)
async def test_bad_person_input_names_the_field(
    session: AsyncSession, actor: Actor, fields: dict[str, object], field: str
) -> None:
    with pytest.raises(ValidationFailed) as raised:
        await people.create_person(session, actor, compute_embedding=False, **fields)  # type: ignore[arg-type]
    assert raised.value.field == field


async def test_unknown_company_is_not_found(session: AsyncSession, actor: Actor) -> None:
    import uuid

    with pytest.raises(NotFound):
        await people.create_person(session, actor, name="Lost", company_id=uuid.uuid4())
