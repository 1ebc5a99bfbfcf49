"""Leads and the ideal customer profile: the pipeline's moves, each with its rationale."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from compound.modules.leads.models import (
    ICP_DESCRIPTION_MAX,
    ICP_TERM_MAX,
    ICP_TERMS_MAX,
    RATIONALE_MAX,
    IdealCustomerProfile,
    Lead,
    LeadStatus,
)
from compound.platform.auth.actor import Actor
from compound.platform.auth.models import User
from compound.platform.clock import utcnow
from compound.platform.errors import Duplicate, NotFound, ValidationFailed
from compound.platform.modules import RecordKind
from compound.platform.records.companies import get_company
from compound.platform.records.lookups import RecordView, by_ids, select_view
from compound.platform.records.paging import Page, paginate
from compound.platform.records.rules import optional_text, required_text
from compound.platform.records.timeline import changed_fields, record_change, snapshot
from compound.platform.sentinel import UNSET, Unset

MOVES: dict[LeadStatus, frozenset[LeadStatus]] = {
    LeadStatus.NEW: frozenset(
        {LeadStatus.RESEARCHING, LeadStatus.QUALIFIED, LeadStatus.DISQUALIFIED}
    ),
    LeadStatus.RESEARCHING: frozenset({LeadStatus.QUALIFIED, LeadStatus.DISQUALIFIED}),
    LeadStatus.QUALIFIED: frozenset({LeadStatus.CONTACTED, LeadStatus.DISQUALIFIED}),
    # Reconsidered: back to research, or qualified on a person's word.
    LeadStatus.DISQUALIFIED: frozenset({LeadStatus.RESEARCHING, LeadStatus.QUALIFIED}),
    LeadStatus.CONTACTED: frozenset({LeadStatus.ENGAGED, LeadStatus.LOST}),
    LeadStatus.ENGAGED: frozenset({LeadStatus.WON, LeadStatus.LOST}),
    LeadStatus.WON: frozenset(),
    # A lost deal can come back, through research.
    LeadStatus.LOST: frozenset({LeadStatus.RESEARCHING}),
}
"""Where a lead may go from each status: new → researching → qualified | disqualified →
contacted → engaged → won | lost."""


def moves_from(status: LeadStatus) -> list[LeadStatus]:
    """Where a lead with this status may move, in pipeline order: what `update_lead` allows,
    and the move buttons the pipeline pages show."""
    return [candidate for candidate in LeadStatus if candidate in MOVES[status]]


class LeadOrder(StrEnum):
    SCORE = "score"
    CREATED_AT = "created_at"
    UPDATED_AT = "updated_at"


@dataclass(frozen=True)
class LeadFilter:
    status: LeadStatus | None = None
    min_score: int | None = None
    owner_user_id: uuid.UUID | None = None
    company_id: uuid.UUID | None = None


def parse_status(value: str, *, field: str = "status") -> LeadStatus:
    try:
        return LeadStatus(value.strip().lower())
    except ValueError:
        raise ValidationFailed(
            f"unknown lead status {value!r}; choose one of: "
            f"{', '.join(s.value for s in LeadStatus)}",
            field=field,
        ) from None


def _check_score(score: int, *, field: str = "score") -> int:
    if not 0 <= score <= 100:
        raise ValidationFailed(f"{field} must be between 0 and 100; got {score}", field=field)
    return score


async def _check_owner(session: AsyncSession, user_id: uuid.UUID | None) -> None:
    if user_id is not None and await session.get(User, user_id) is None:
        raise NotFound(f"no user with id {user_id}", field="ownerId")


# --- the ideal customer profile -------------------------------------------------------


async def get_icp(session: AsyncSession) -> IdealCustomerProfile:
    """The workspace's ICP (an empty one, threshold 60, until someone writes it)."""
    return await session.get(IdealCustomerProfile, 1) or IdealCustomerProfile()


def _terms(values: Sequence[str], *, field: str) -> list[str]:
    if len(values) > ICP_TERMS_MAX:
        raise ValidationFailed(f"{field}: at most {ICP_TERMS_MAX} entries", field=field)
    cleaned: list[str] = []
    for value in values:
        term = required_text(value, field=field, max_length=ICP_TERM_MAX).lower()
        if term not in cleaned:
            cleaned.append(term)
    return cleaned


async def update_icp(
    session: AsyncSession,
    actor: Actor,
    *,
    description: str | Unset = UNSET,
    sectors: Sequence[str] | Unset = UNSET,
    stages: Sequence[str] | Unset = UNSET,
    regions: Sequence[str] | Unset = UNSET,
    keywords: Sequence[str] | Unset = UNSET,
    threshold: int | Unset = UNSET,
) -> IdealCustomerProfile:
    icp = await session.get(IdealCustomerProfile, 1, with_for_update=True)
    if icp is None:
        icp = IdealCustomerProfile()
        session.add(icp)
    before = snapshot(icp)
    if description is not UNSET:
        icp.description = (
            optional_text(
                description, field="description", max_length=ICP_DESCRIPTION_MAX, multiline=True
            )
            or ""
        )
    if sectors is not UNSET:
        icp.sectors = _terms(sectors, field="sectors")
    if stages is not UNSET:
        icp.stages = _terms(stages, field="stages")
    if regions is not UNSET:
        icp.regions = _terms(regions, field="regions")
    if keywords is not UNSET:
        icp.keywords = _terms(keywords, field="keywords")
    if threshold is not UNSET:
        icp.threshold = _check_score(threshold, field="threshold")
    changes = changed_fields(before, snapshot(icp))
    if not changes:
        return icp
    icp.updated_by = actor.label[:300]
    icp.updated_at = utcnow()
    await session.flush()
    await record_change(
        session,
        actor,
        action="icp.updated",
        subject_type="ideal_customer_profile",
        subject_id=uuid.UUID(int=1),
        summary=f"Ideal customer profile updated ({', '.join(changes)})",
        before=before,
        after=snapshot(icp),
        data={"fields": changes},
    )
    return icp


# --- leads ---------------------------------------------------------------------------------


async def get_lead(session: AsyncSession, lead_id: uuid.UUID) -> Lead:
    lead = await session.get(Lead, lead_id)
    if lead is None:
        raise NotFound(f"no lead with id {lead_id}", field="id")
    return lead


async def lead_of_company(session: AsyncSession, company_id: uuid.UUID) -> Lead | None:
    return (
        await session.execute(select(Lead).where(col(Lead.company_id) == company_id))
    ).scalar_one_or_none()


async def create_lead(
    session: AsyncSession,
    actor: Actor,
    *,
    company_id: uuid.UUID,
    score: int,
    rationale: str,
    status: LeadStatus = LeadStatus.NEW,
    source_message_id: uuid.UUID | None = None,
    owner_user_id: uuid.UUID | None = None,
) -> Lead:
    """A company's lead; a company has at most one (Duplicate names the existing one)."""
    company = await get_company(session, company_id)
    await _check_owner(session, owner_user_id)
    existing = await lead_of_company(session, company_id)
    if existing is not None:
        raise Duplicate(
            f"{company.name} already has a lead ({existing.status}, id {existing.id})",
            field="companyId",
            existing_id=str(existing.id),
        )
    lead = Lead(
        company_id=company_id,
        status=status.value,
        score=_check_score(score),
        rationale=required_text(
            rationale, field="rationale", max_length=RATIONALE_MAX, multiline=True
        ),
        source_message_id=source_message_id,
        owner_user_id=owner_user_id,
    )
    try:
        async with session.begin_nested():
            session.add(lead)
            await session.flush()
    except IntegrityError:
        # Another transaction made this company's lead a moment ago (the unique index
        # waited for it to commit, so it is there to name).
        raced = await lead_of_company(session, company_id)
        if raced is None:
            raise
        raise Duplicate(
            f"{company.name} already has a lead ({raced.status}, id {raced.id})",
            field="companyId",
            existing_id=str(raced.id),
        ) from None
    await record_change(
        session,
        actor,
        action="lead.created",
        subject_type="lead",
        subject_id=lead.id,
        company_id=company_id,
        summary=f"Lead {company.name}: {status.value}, score {lead.score}",
        after=snapshot(lead),
    )
    return lead


async def update_lead(
    session: AsyncSession,
    actor: Actor,
    lead_id: uuid.UUID,
    *,
    status: LeadStatus | Unset = UNSET,
    rationale: str | Unset = UNSET,
    score: int | Unset = UNSET,
    owner_user_id: uuid.UUID | Unset | None = UNSET,
) -> Lead:
    """Move, rescore or reassign a lead. A move needs a rationale and must be one of MOVES."""
    lead = (
        await session.execute(select(Lead).where(col(Lead.id) == lead_id).with_for_update())
    ).scalar_one_or_none()
    if lead is None:
        raise NotFound(f"no lead with id {lead_id}", field="id")
    before = snapshot(lead)
    current = LeadStatus(lead.status)
    moved = False
    if status is not UNSET and status is not current:
        moved = True
        allowed = moves_from(current)
        if status not in allowed:
            raise ValidationFailed(
                f"a {current.value} lead cannot move to {status.value}; from {current.value} "
                f"it can go to: {', '.join(sorted(s.value for s in allowed)) or 'nowhere'}",
                field="status",
            )
        if rationale is UNSET or not (rationale or "").strip():
            raise ValidationFailed(
                f"moving a lead to {status.value} needs a rationale", field="rationale"
            )
        lead.status = status.value
    if rationale is not UNSET:
        lead.rationale = required_text(
            rationale, field="rationale", max_length=RATIONALE_MAX, multiline=True
        )
    if score is not UNSET:
        lead.score = _check_score(score)
    if owner_user_id is not UNSET:
        await _check_owner(session, owner_user_id)
        lead.owner_user_id = owner_user_id
    after = snapshot(lead)
    changes = changed_fields(before, after)
    if not changes:
        return lead
    lead.updated_at = utcnow()
    await session.flush()
    company = await get_company(session, lead.company_id)
    summary = (
        f"Lead {company.name}: {current.value} → {lead.status} ({lead.rationale[:200]})"
        if moved
        else f"Lead {company.name} updated ({', '.join(changes)})"
    )
    await record_change(
        session,
        actor,
        action="lead.moved" if moved else "lead.updated",
        subject_type="lead",
        subject_id=lead.id,
        company_id=lead.company_id,
        summary=summary,
        before=before,
        after=snapshot(lead),
        data={"fields": changes, "from": current.value, "to": lead.status},
    )
    return lead


async def delete_lead(session: AsyncSession, actor: Actor, lead_id: uuid.UUID) -> None:
    """Take a company out of the pipeline (the audit log keeps the lead)."""
    lead = await get_lead(session, lead_id)
    before = snapshot(lead)
    await session.delete(lead)
    await session.flush()
    await record_change(
        session,
        actor,
        action="lead.deleted",
        subject_type="lead",
        subject_id=lead_id,
        company_id=lead.company_id,
        summary=f"Lead removed ({before['status']}, score {before['score']})",
        before=before,
    )


async def _restore_lead(
    session: AsyncSession, actor: Actor, lead_id: uuid.UUID, field: str, value: Any
) -> None:
    await update_lead(session, actor, lead_id, **{field: value})


# Undo of an agent's run takes its leads back; a status is kept (the pipeline only moves
# forward along MOVES), a score, rationale or owner is put back.
LEAD_RECORDS = RecordKind(
    "lead",
    model=Lead,
    delete=delete_lead,
    describe=lambda lead: f"lead ({lead.status}, score {lead.score})",
    restorable=frozenset({"score", "rationale", "owner_user_id"}),
    restore=_restore_lead,
)


@dataclass(frozen=True)
class LeadSummary:
    """What other modules' pages show of a company's lead."""

    id: uuid.UUID
    status: str
    score: int
    rationale: str


async def lead_summary_of_company(
    session: AsyncSession, company_id: uuid.UUID
) -> LeadSummary | None:
    lead = await lead_of_company(session, company_id)
    if lead is None:
        return None
    return LeadSummary(id=lead.id, status=lead.status, score=lead.score, rationale=lead.rationale)


async def leads_by_ids(session: AsyncSession, ids: Sequence[uuid.UUID]) -> list[RecordView | None]:
    return await by_ids(session, Lead, ids)


async def list_leads(
    session: AsyncSession,
    *,
    first: int,
    after: str | None = None,
    filter: LeadFilter | None = None,
    order_by: LeadOrder = LeadOrder.SCORE,
    descending: bool = True,
    with_total: bool = True,
) -> Page[Any]:
    statement = select_view(Lead)
    filter = filter or LeadFilter()
    if filter.status is not None:
        statement = statement.where(col(Lead.status) == filter.status.value)
    if filter.min_score is not None:
        statement = statement.where(
            col(Lead.score) >= _check_score(filter.min_score, field="minScore")
        )
    if filter.owner_user_id is not None:
        statement = statement.where(col(Lead.owner_user_id) == filter.owner_user_id)
    if filter.company_id is not None:
        statement = statement.where(col(Lead.company_id) == filter.company_id)
    return await paginate(
        session,
        statement,
        sort_column=getattr(Lead, order_by.value),
        id_column=Lead.id,  # type: ignore[arg-type]
        descending=descending,
        first=first,
        after=after,
        with_total=with_total,
    )
