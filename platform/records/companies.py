"""Company operations: create, update, merge, delete, find and list, each with its audit trail."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Unpack

from sqlalchemy import Connection, Select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from compound.platform.auth.actor import Actor
from compound.platform.clock import utcnow
from compound.platform.embeddings import embed_one
from compound.platform.errors import Duplicate, NotFound, ValidationFailed
from compound.platform.normalize import company_name_key, normalize_domain
from compound.platform.records.lookups import RecordView
from compound.platform.records.models import (
    ALIAS_MAX,
    COMPANY_NAME_MAX,
    DESCRIPTION_MAX,
    Company,
    Note,
    Person,
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

MAX_ALIASES = 50


@dataclass(frozen=True)
class CompanyFilter:
    name_contains: str | None = None
    domain: str | None = None

    def where(self, statement: Select[Any]) -> Select[Any]:
        statement = where_name_contains(statement, Company, self.name_contains)
        if self.domain:
            domain = normalize_domain(self.domain, field="domain")
            statement = statement.where(col(Company.domain) == domain)
        return statement


def company_embedding_text(company: Company) -> str:
    parts = [company.name]
    if company.domain:
        parts.append(f"({company.domain})")
    if company.aliases:
        parts.append("also known as " + ", ".join(company.aliases))
    if company.description:
        parts.append("— " + company.description)
    return " ".join(parts)


def name_keys(name: str, aliases: Sequence[str]) -> list[str]:
    """The keys a company is found by under any spelling of its name or aliases."""
    return sorted({key for key in map(company_name_key, [name, *aliases]) if key})


def refill_name_keys(connection: Connection, *, batch: int = 5_000) -> None:
    """Recompute every company's name keys (for migrations, when the rules change)."""
    page = text(
        "SELECT id, name, aliases FROM company WHERE CAST(:last AS uuid) IS NULL OR id > :last "
        "ORDER BY id LIMIT :batch"
    )
    last = None
    while rows := connection.execute(page, {"last": last, "batch": batch}).all():
        connection.execute(
            text("UPDATE company SET name_keys = :keys WHERE id = :id"),
            [{"id": row.id, "keys": name_keys(row.name, row.aliases or [])} for row in rows],
        )
        last = rows[-1].id


async def companies_with_name_key(
    session: AsyncSession, key: str, *, limit: int = 20
) -> list[Company]:
    """Companies whose name or an alias has this `company_name_key` (an index lookup)."""
    if not key:
        return []
    statement = (
        select(Company)
        .where(col(Company.name_keys).contains([key]))
        .order_by(col(Company.created_at))
        .limit(limit)
    )
    return list((await session.execute(statement)).scalars())


def _clean_aliases(aliases: Sequence[str], *, name: str) -> list[str]:
    cleaned: list[str] = []
    for alias in aliases:
        text = optional_text(alias, field="aliases", max_length=ALIAS_MAX)
        if text is None or text.lower() == name.lower():
            continue
        if text.lower() not in {existing.lower() for existing in cleaned}:
            cleaned.append(text)
    if len(cleaned) > MAX_ALIASES:
        raise ValidationFailed(f"a company has at most {MAX_ALIASES} aliases", field="aliases")
    return cleaned


async def _ensure_domain_free(
    session: AsyncSession, domain: str, *, except_id: uuid.UUID | None = None
) -> None:
    statement = select(col(Company.id), col(Company.name)).where(col(Company.domain) == domain)
    if except_id is not None:
        statement = statement.where(col(Company.id) != except_id)
    existing = (await session.execute(statement)).first()
    if existing is not None:
        raise Duplicate(
            f"domain {domain} already belongs to company {existing.name!r} (id {existing.id})",
            field="domain",
            existing_id=str(existing.id),
        )


async def _save_guarding_domain(session: AsyncSession, company: Company) -> None:
    """Write `company`; a concurrent insert of the same domain becomes a Duplicate, not a crash."""
    try:
        async with session.begin_nested():
            session.add(company)
            await session.flush()
    except IntegrityError as error:
        if company.domain is not None and "uq_company_domain" in str(error.orig):
            # The failed row is still pending: a query must not try to flush it again.
            with session.no_autoflush:
                await _ensure_domain_free(session, company.domain, except_id=company.id)
        raise


async def get_company(session: AsyncSession, company_id: uuid.UUID) -> Company:
    company = await session.get(Company, company_id)
    if company is None:
        raise NotFound(f"no company with id {company_id}", field="id")
    return company


async def find_company_by_domain(session: AsyncSession, domain: str) -> Company | None:
    return (
        await session.execute(
            select(Company).where(col(Company.domain) == normalize_domain(domain))
        )
    ).scalar_one_or_none()


async def create_company(
    session: AsyncSession,
    actor: Actor,
    *,
    name: str,
    domain: str | None = None,
    description: str | None = None,
    aliases: Sequence[str] = (),
    compute_embedding: bool = True,
) -> Company:
    clean_name = required_text(name, field="name", max_length=COMPANY_NAME_MAX)
    clean_domain = normalize_domain(domain) if domain and domain.strip() else None
    clean_description = optional_text(
        description, field="description", max_length=DESCRIPTION_MAX, multiline=True
    )
    clean_aliases = _clean_aliases(aliases, name=clean_name)
    if clean_domain:
        await _ensure_domain_free(session, clean_domain)
    company = Company(
        name=clean_name,
        domain=clean_domain,
        description=clean_description,
        aliases=clean_aliases,
    )
    company.name_keys = name_keys(company.name, company.aliases)
    if compute_embedding:
        company.embedding = await embed_one(company_embedding_text(company))
    await _save_guarding_domain(session, company)
    await record_change(
        session,
        actor,
        action="company.created",
        subject_type="company",
        subject_id=company.id,
        company_id=company.id,
        summary=f"Company {company.name} created",
        after=snapshot(company),
    )
    return company


async def update_company(
    session: AsyncSession,
    actor: Actor,
    company_id: uuid.UUID,
    *,
    name: str | Unset = UNSET,
    domain: str | Unset | None = UNSET,
    description: str | Unset | None = UNSET,
    aliases: Sequence[str] | Unset = UNSET,
) -> Company:
    company = await get_company(session, company_id)
    before = snapshot(company)
    if name is not UNSET:
        company.name = required_text(name, field="name", max_length=COMPANY_NAME_MAX)
    if domain is not UNSET:
        new_domain = normalize_domain(domain) if domain and domain.strip() else None
        if new_domain and new_domain != company.domain:
            await _ensure_domain_free(session, new_domain, except_id=company.id)
        company.domain = new_domain
    if description is not UNSET:
        company.description = optional_text(
            description, field="description", max_length=DESCRIPTION_MAX, multiline=True
        )
    if aliases is not UNSET:
        company.aliases = _clean_aliases(aliases, name=company.name)
    after = snapshot(company)
    changes = changed_fields(before, after)
    if not changes:
        return company
    company.updated_at = utcnow()
    company.name_keys = name_keys(company.name, company.aliases)
    if {"name", "domain", "description", "aliases"} & set(changes):
        company.embedding = await embed_one(company_embedding_text(company))
    await _save_guarding_domain(session, company)
    await record_change(
        session,
        actor,
        action="company.updated",
        subject_type="company",
        subject_id=company.id,
        company_id=company.id,
        summary=f"Company {company.name} updated: {', '.join(changes)}",
        before=before,
        after=snapshot(company),
        data={"fields": changes},
    )
    return company


async def merge_companies(
    session: AsyncSession, actor: Actor, *, keep_id: uuid.UUID, merge_id: uuid.UUID
) -> Company:
    """Fold `merge_id` into `keep_id`: people, notes and tasks move, its name becomes an alias."""
    if keep_id == merge_id:
        raise ValidationFailed("cannot merge a company into itself", field="mergeId")
    keep = await get_company(session, keep_id)
    merged = await get_company(session, merge_id)
    before = snapshot(keep)
    merged_snapshot = snapshot(merged)
    moved = {}
    for model in (Person, Note, Task):
        result = await session.execute(
            update(model).where(col(model.company_id) == merged.id).values(company_id=keep.id)
        )
        moved[model.__tablename__] = result.rowcount  # type: ignore[attr-defined]
    keep.aliases = _clean_aliases([*keep.aliases, merged.name, *merged.aliases], name=keep.name)
    keep.name_keys = name_keys(keep.name, keep.aliases)
    keep.description = keep.description or merged.description
    merged_domain = merged.domain
    await session.delete(merged)
    await session.flush()
    if keep.domain is None and merged_domain is not None:
        keep.domain = merged_domain
    keep.updated_at = utcnow()
    keep.embedding = await embed_one(company_embedding_text(keep))
    session.add(keep)
    await session.flush()
    await record_change(
        session,
        actor,
        action="company.merged",
        subject_type="company",
        subject_id=keep.id,
        company_id=keep.id,
        summary=(
            f"Company {merged.name} merged into {keep.name}: {moved['person']} people, "
            f"{moved['note']} notes, {moved['task']} tasks moved"
        ),
        before=before,
        after=snapshot(keep),
        data={"merged": merged_snapshot, "moved": moved},
    )
    await record_change(
        session,
        actor,
        action="company.deleted",
        subject_type="company",
        subject_id=merged.id,
        company_id=merged.id,
        summary=f"Company {merged.name} merged into {keep.name} (id {keep.id})",
        before=merged_snapshot,
        data={"merged_into": str(keep.id)},
    )
    return keep


async def delete_company(session: AsyncSession, actor: Actor, company_id: uuid.UUID) -> None:
    """Delete a company; its people stay (unlinked), its notes go — all kept in the audit log."""
    company = await get_company(session, company_id)
    notes = list(
        (await session.execute(select(Note).where(col(Note.company_id) == company.id))).scalars()
    )
    people_ids = list(
        (
            await session.execute(
                select(col(Person.id)).where(col(Person.company_id) == company.id)
            )
        ).scalars()
    )
    before = snapshot(
        company,
        notes=[snapshot(note) for note in notes],
        people_ids=people_ids,
    )
    await delete_recorded(
        session,
        actor,
        company,
        summary=(
            f"Company {before['name']} deleted "
            f"({len(notes)} notes, {len(people_ids)} people unlinked)"
        ),
        before=before,
        company_id=company_id,
    )


async def list_companies(
    session: AsyncSession,
    *,
    filter: CompanyFilter | None = None,
    **request: Unpack[PageRequest],
) -> Page[RecordView]:
    return await list_records(session, Company, filter, **request)
