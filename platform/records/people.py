"""Person operations: create and update people with their (unique, normalized) email addresses."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Unpack

from sqlalchemy import Select, delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from compound.platform.auth.actor import Actor
from compound.platform.clock import utcnow
from compound.platform.embeddings import embed_one
from compound.platform.errors import Duplicate, NotFound, ValidationFailed
from compound.platform.normalize import normalize_email
from compound.platform.records.companies import get_company
from compound.platform.records.lookups import RecordView
from compound.platform.records.models import (
    PERSON_NAME_MAX,
    TITLE_MAX,
    Company,
    Note,
    Person,
    PersonEmail,
    Task,
)
from compound.platform.records.paging import (
    Page,
    PageRequest,
    list_records,
    where_name_contains,
)
from compound.platform.records.rules import optional_text, required_text
from compound.platform.records.timeline import (
    changed_fields,
    delete_recorded,
    record_change,
    snapshot,
)
from compound.platform.sentinel import UNSET, Unset

MAX_EMAILS_PER_PERSON = 20


@dataclass(frozen=True)
class PersonFilter:
    name_contains: str | None = None
    email: str | None = None
    company_id: uuid.UUID | None = None

    def where(self, statement: Select[Any]) -> Select[Any]:
        statement = where_name_contains(statement, Person, self.name_contains)
        if self.email:
            statement = statement.where(
                col(Person.id).in_(
                    select(col(PersonEmail.person_id)).where(
                        col(PersonEmail.email) == normalize_email(self.email)
                    )
                )
            )
        if self.company_id is not None:
            statement = statement.where(col(Person.company_id) == self.company_id)
        return statement


def person_embedding_text(person: Person, emails: Sequence[str], company: Company | None) -> str:
    parts = [person.name]
    if person.title:
        parts.append(f", {person.title}")
    if company is not None:
        parts.append(f" at {company.name}")
    if emails:
        parts.append(" <" + ", ".join(emails) + ">")
    return "".join(parts)


def _clean_emails(emails: Sequence[str]) -> list[str]:
    cleaned: list[str] = []
    for index, email in enumerate(emails):
        normalized = normalize_email(email, field=f"emails[{index}]")
        if normalized not in cleaned:
            cleaned.append(normalized)
    if len(cleaned) > MAX_EMAILS_PER_PERSON:
        raise ValidationFailed(
            f"a person has at most {MAX_EMAILS_PER_PERSON} email addresses", field="emails"
        )
    return cleaned


async def _ensure_emails_free(
    session: AsyncSession, emails: Sequence[str], *, except_person: uuid.UUID | None = None
) -> None:
    if not emails:
        return
    statement = select(col(PersonEmail.email), col(PersonEmail.person_id)).where(
        col(PersonEmail.email).in_(emails)
    )
    if except_person is not None:
        statement = statement.where(col(PersonEmail.person_id) != except_person)
    taken = (await session.execute(statement)).first()
    if taken is not None:
        raise Duplicate(
            f"email {taken.email} already belongs to person {taken.person_id}",
            field="emails",
            existing_id=str(taken.person_id),
        )


async def get_person(session: AsyncSession, person_id: uuid.UUID) -> Person:
    person = await session.get(Person, person_id)
    if person is None:
        raise NotFound(f"no person with id {person_id}", field="id")
    return person


async def emails_of(session: AsyncSession, person_id: uuid.UUID) -> list[str]:
    return list(
        (
            await session.execute(
                select(col(PersonEmail.email))
                .where(col(PersonEmail.person_id) == person_id)
                .order_by(PersonEmail.position)  # type: ignore[arg-type]
            )
        ).scalars()
    )


async def find_person_by_email(session: AsyncSession, email: str) -> Person | None:
    person_id = await session.scalar(
        select(col(PersonEmail.person_id)).where(col(PersonEmail.email) == normalize_email(email))
    )
    return await session.get(Person, person_id) if person_id else None


async def _replace_emails(
    session: AsyncSession, person_id: uuid.UUID, emails: list[str], *, new_person: bool = False
) -> None:
    if not new_person:
        await session.execute(delete(PersonEmail).where(col(PersonEmail.person_id) == person_id))
    try:
        async with session.begin_nested():
            for position, email in enumerate(emails):
                session.add(PersonEmail(email=email, person_id=person_id, position=position))
            await session.flush()
    except IntegrityError:
        # Someone else took one of the addresses since we checked: say who. The failed
        # rows are still pending, so the query must not flush them again.
        with session.no_autoflush:
            await _ensure_emails_free(session, emails, except_person=person_id)
        raise


async def _embed(session: AsyncSession, person: Person, emails: list[str]) -> None:
    company = await session.get(Company, person.company_id) if person.company_id else None
    person.embedding = await embed_one(person_embedding_text(person, emails, company))


async def create_person(
    session: AsyncSession,
    actor: Actor,
    *,
    name: str,
    emails: Sequence[str] = (),
    company_id: uuid.UUID | None = None,
    title: str | None = None,
    compute_embedding: bool = True,
) -> Person:
    clean_name = required_text(name, field="name", max_length=PERSON_NAME_MAX)
    clean_title = optional_text(title, field="title", max_length=TITLE_MAX)
    clean_emails = _clean_emails(emails)
    if company_id is not None:
        await get_company(session, company_id)
    await _ensure_emails_free(session, clean_emails)
    person = Person(name=clean_name, title=clean_title, company_id=company_id)
    if compute_embedding:
        await _embed(session, person, clean_emails)
    session.add(person)
    await session.flush()
    await _replace_emails(session, person.id, clean_emails, new_person=True)
    await record_change(
        session,
        actor,
        action="person.created",
        subject_type="person",
        subject_id=person.id,
        person_id=person.id,
        company_id=person.company_id,
        summary=f"Person {person.name} created",
        after=snapshot(person, emails=clean_emails),
    )
    return person


async def update_person(
    session: AsyncSession,
    actor: Actor,
    person_id: uuid.UUID,
    *,
    name: str | Unset = UNSET,
    emails: Sequence[str] | Unset = UNSET,
    company_id: uuid.UUID | Unset | None = UNSET,
    title: str | Unset | None = UNSET,
) -> Person:
    person = await get_person(session, person_id)
    current_emails = await emails_of(session, person.id)
    before = snapshot(person, emails=current_emails)
    new_emails = current_emails
    if name is not UNSET:
        person.name = required_text(name, field="name", max_length=PERSON_NAME_MAX)
    if title is not UNSET:
        person.title = optional_text(title, field="title", max_length=TITLE_MAX)
    if company_id is not UNSET:
        if company_id is not None:
            await get_company(session, company_id)
        person.company_id = company_id
    if emails is not UNSET:
        new_emails = _clean_emails(emails)
        await _ensure_emails_free(session, new_emails, except_person=person.id)
    after = snapshot(person, emails=new_emails)
    changes = changed_fields(before, after)
    if not changes:
        return person
    if new_emails != current_emails:
        await _replace_emails(session, person.id, new_emails)
    person.updated_at = utcnow()
    await _embed(session, person, new_emails)
    session.add(person)
    await session.flush()
    await record_change(
        session,
        actor,
        action="person.updated",
        subject_type="person",
        subject_id=person.id,
        person_id=person.id,
        company_id=person.company_id,
        summary=f"Person {person.name} updated: {', '.join(changes)}",
        before=before,
        after=snapshot(person, emails=new_emails),
        data={"fields": changes},
    )
    return person


async def delete_person(session: AsyncSession, actor: Actor, person_id: uuid.UUID) -> None:
    """Delete a person; their notes go, their tasks stay (unlinked) — all kept in the audit log."""
    person = await get_person(session, person_id)
    emails = await emails_of(session, person.id)
    notes = list(
        (await session.execute(select(Note).where(col(Note.person_id) == person.id))).scalars()
    )
    task_ids = list(
        (
            await session.execute(select(col(Task.id)).where(col(Task.person_id) == person.id))
        ).scalars()
    )
    before = snapshot(
        person, emails=emails, notes=[snapshot(note) for note in notes], task_ids=task_ids
    )
    # Emails and notes go with the row (ON DELETE CASCADE), tasks are unlinked (SET NULL).
    await delete_recorded(
        session,
        actor,
        person,
        summary=(
            f"Person {before['name']} deleted ({len(notes)} notes, {len(task_ids)} tasks unlinked)"
        ),
        before=before,
        company_id=person.company_id,
        person_id=person_id,
    )


async def list_people(
    session: AsyncSession,
    *,
    filter: PersonFilter | None = None,
    **request: Unpack[PageRequest],
) -> Page[RecordView]:
    return await list_records(session, Person, filter, **request)
