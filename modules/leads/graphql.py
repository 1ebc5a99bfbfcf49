"""GraphQL for leads: the pipeline, one lead, its moves, and the ideal customer profile."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Any

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types import Info

from compound.modules.leads import service
from compound.modules.leads.models import IdealCustomerProfile, Lead, LeadStatus
from compound.platform.auth.actor import Actor
from compound.platform.graphql.connection import Connection, connection_from_page, fetch_page
from compound.platform.graphql.context import context_of, parse_id
from compound.platform.graphql.payloads import UserError, run_mutation
from compound.platform.graphql.permissions import CanRead, CanWrite
from compound.platform.records.graphql import (
    PROVENANCE_DESCRIPTION,
    CompanyType,
    ProvenanceType,
    company_of,
    record_provenance,
)
from compound.platform.records.lookups import RecordView
from compound.platform.sentinel import UNSET

LeadStatusEnum = strawberry.enum(LeadStatus, name="LeadStatus")


@strawberry.type(name="Lead", description="A company in the sales pipeline.")
class LeadType:
    id: strawberry.ID
    status: LeadStatusEnum  # type: ignore[valid-type]
    score: int = strawberry.field(description="Fit with the ideal customer profile, 0–100.")
    rationale: str = strawberry.field(description="Why it has this status and score.")
    company_id: strawberry.ID
    source_message_id: strawberry.ID | None
    owner_id: strawberry.ID | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, row: RecordView | Lead) -> LeadType:
        return cls(
            id=strawberry.ID(str(row.id)),
            status=LeadStatus(row.status),
            score=row.score,
            rationale=row.rationale,
            company_id=strawberry.ID(str(row.company_id)),
            source_message_id=strawberry.ID(str(row.source_message_id))
            if row.source_message_id
            else None,
            owner_id=strawberry.ID(str(row.owner_user_id)) if row.owner_user_id else None,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )

    @strawberry.field
    async def company(self, info: Info[Any, Any]) -> CompanyType | None:
        return await company_of(info, self.company_id)

    @strawberry.field(description=PROVENANCE_DESCRIPTION)
    async def provenance(self, info: Info[Any, Any]) -> list[ProvenanceType]:
        return await record_provenance(info, "lead", self.id)


@strawberry.type(name="IdealCustomerProfile")
class IcpType:
    description: str
    sectors: list[str]
    stages: list[str]
    regions: list[str]
    keywords: list[str]
    threshold: int = strawberry.field(
        description="Candidates scoring below this are skipped, with the reason."
    )
    updated_by: str | None
    updated_at: datetime | None

    @classmethod
    def of(cls, icp: IdealCustomerProfile) -> IcpType:
        return cls(
            description=icp.description,
            sectors=list(icp.sectors),
            stages=list(icp.stages),
            regions=list(icp.regions),
            keywords=list(icp.keywords),
            threshold=icp.threshold,
            updated_by=icp.updated_by,
            updated_at=icp.updated_at if icp.updated_by else None,
        )


@strawberry.input
class LeadFilterInput:
    status: LeadStatusEnum | None = None  # type: ignore[valid-type]
    min_score: int | None = None
    owner_id: strawberry.ID | None = None
    company_id: strawberry.ID | None = None


@strawberry.enum
class LeadOrderField(Enum):
    SCORE = "score"
    CREATED_AT = "created_at"
    UPDATED_AT = "updated_at"


@strawberry.enum
class LeadOrderDirection(Enum):
    ASC = "asc"
    DESC = "desc"


@strawberry.input
class LeadOrderInput:
    field: LeadOrderField = LeadOrderField.SCORE
    direction: LeadOrderDirection = LeadOrderDirection.DESC


@strawberry.input
class UpdateLeadInput:
    status: LeadStatusEnum | None = strawberry.UNSET  # type: ignore[valid-type]
    rationale: str | None = strawberry.UNSET
    score: int | None = strawberry.UNSET
    owner_id: strawberry.ID | None = strawberry.UNSET


@strawberry.input
class UpdateIcpInput:
    description: str | None = strawberry.UNSET
    sectors: list[str] | None = strawberry.UNSET
    stages: list[str] | None = strawberry.UNSET
    regions: list[str] | None = strawberry.UNSET
    keywords: list[str] | None = strawberry.UNSET
    threshold: int | None = strawberry.UNSET


@strawberry.type
class LeadPayload:
    lead: LeadType | None
    user_errors: list[UserError]


@strawberry.type
class IcpPayload:
    icp: IcpType | None
    user_errors: list[UserError]


def _given(value: Any) -> Any:
    """strawberry's UNSET (not sent) and null both mean: leave the value alone."""
    return UNSET if value is strawberry.UNSET or value is None else value


@strawberry.type
class LeadsQuery:
    @strawberry.field(permission_classes=[CanRead], description="The pipeline; best score first.")
    async def leads(
        self,
        info: Info[Any, Any],
        first: int | None = None,
        after: str | None = None,
        filter: LeadFilterInput | None = None,
        order_by: LeadOrderInput | None = None,
    ) -> Connection[LeadType]:
        order = order_by or LeadOrderInput()
        wanted = service.LeadFilter(
            status=LeadStatus(filter.status) if filter and filter.status else None,
            min_score=filter.min_score if filter else None,
            owner_user_id=parse_id(filter.owner_id, field="ownerId")
            if filter and filter.owner_id
            else None,
            company_id=parse_id(filter.company_id, field="companyId")
            if filter and filter.company_id
            else None,
        )

        async def page(session: AsyncSession, size: int, with_total: bool) -> Any:
            return await service.list_leads(
                session,
                first=size,
                after=after,
                filter=wanted,
                order_by=service.LeadOrder(order.field.value),
                descending=order.direction == LeadOrderDirection.DESC,
                with_total=with_total,
            )

        return connection_from_page(await fetch_page(info, first, page), LeadType.of)

    @strawberry.field(permission_classes=[CanRead])
    async def lead(self, info: Info[Any, Any], id: strawberry.ID) -> LeadType | None:
        loader = context_of(info).loader("leads", service.leads_by_ids)
        row = await loader.load(parse_id(id))
        return LeadType.of(row) if row else None

    @strawberry.field(permission_classes=[CanRead], description="The ideal customer profile.")
    async def icp(self, info: Info[Any, Any]) -> IcpType:
        return IcpType.of(await context_of(info).run(service.get_icp))


@strawberry.type
class LeadsMutation:
    @strawberry.mutation(
        permission_classes=[CanWrite],
        description="Move (with a rationale), rescore or reassign a lead.",
    )
    async def update_lead(
        self, info: Info[Any, Any], id: strawberry.ID, input: UpdateLeadInput
    ) -> LeadPayload:
        async def update(session: AsyncSession, actor: Actor) -> Lead:
            owner: Any = UNSET
            if input.owner_id is None:
                owner = None
            elif input.owner_id is not strawberry.UNSET:
                owner = parse_id(input.owner_id, field="ownerId")
            status: Any = _given(input.status)
            return await service.update_lead(
                session,
                actor,
                parse_id(id),
                status=status if status is UNSET else LeadStatus(status),
                rationale=_given(input.rationale),
                score=_given(input.score),
                owner_user_id=owner,
            )

        lead, errors = await run_mutation(info, update)
        return LeadPayload(lead=LeadType.of(lead) if lead else None, user_errors=errors)

    @strawberry.mutation(permission_classes=[CanWrite])
    async def update_icp(self, info: Info[Any, Any], input: UpdateIcpInput) -> IcpPayload:
        async def update(session: AsyncSession, actor: Actor) -> IdealCustomerProfile:
            return await service.update_icp(
                session,
                actor,
                description=_given(input.description),
                sectors=_given(input.sectors),
                stages=_given(input.stages),
                regions=_given(input.regions),
                keywords=_given(input.keywords),
                threshold=_given(input.threshold),
            )

        icp, errors = await run_mutation(info, update)
        return IcpPayload(icp=IcpType.of(icp) if icp else None, user_errors=errors)
