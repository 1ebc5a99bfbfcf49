"""GraphQL for leads: the pipeline, one lead, its moves, and the ideal customer profile."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import Enum
from typing import Any

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types import Info

from compound.modules.leads import agents, imports, outreach, service
from compound.modules.leads.models import (
    IdealCustomerProfile,
    ImportSource,
    ImportState,
    Lead,
    LeadImport,
    LeadStatus,
)
from compound.platform.auth.actor import Actor
from compound.platform.errors import NotFound
from compound.platform.graphql.connection import Connection, connection_from_page, fetch_page
from compound.platform.graphql.context import context_of, parse_id
from compound.platform.graphql.cost import list_size
from compound.platform.graphql.payloads import USER_ERRORS, UserError, run_mutation
from compound.platform.graphql.permissions import CanRead, CanWrite
from compound.platform.records.graphql import (
    PROVENANCE_DESCRIPTION,
    CompanyType,
    OrderDirection,
    ProvenanceType,
    company_of,
    record_provenance,
)
from compound.platform.records.listed import PROVENANCE_LISTED
from compound.platform.records.lookups import RecordView
from compound.platform.sentinel import UNSET

# A ledger has a line per company of its list; a GraphQL answer shows this many of them
# (the query cost counts them; the counts cover every line).
LINES_LISTED = 1000

LeadStatusEnum = strawberry.enum(LeadStatus, name="LeadStatus")
ImportStateEnum = strawberry.enum(ImportState, name="LeadImportState")
OutcomeEnum = strawberry.enum(imports.Outcome, name="LeadImportOutcome")


@strawberry.type(name="Lead", description="A company in the sales pipeline.")
class LeadType:
    id: strawberry.ID
    status: LeadStatusEnum  # type: ignore[valid-type]
    score: int = strawberry.field(description="Fit with the ideal customer profile, 0–100.")
    rationale: str = strawberry.field(description="Why it has this status and score.")
    company_id: strawberry.ID
    source_message_id: strawberry.ID | None
    owner_id: strawberry.ID | None
    outreach_conversation_id: strawberry.ID | None = strawberry.field(
        description="The thread of the first outreach email; replies to it engage the lead."
    )
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
            outreach_conversation_id=_id(row.outreach_conversation_id),
            created_at=row.created_at,
            updated_at=row.updated_at,
        )

    @strawberry.field
    async def company(self, info: Info[Any, Any]) -> CompanyType | None:
        return await company_of(info, self.company_id)

    @strawberry.field(description=PROVENANCE_DESCRIPTION, metadata=list_size(PROVENANCE_LISTED))
    async def provenance(self, info: Info[Any, Any]) -> list[ProvenanceType]:
        return await record_provenance(info, "lead", self.id)


@strawberry.type(name="LeadImportLine", description="What became of one company of a list.")
class LeadImportLineType:
    name: str
    outcome: OutcomeEnum  # type: ignore[valid-type]
    detail: str
    needs_you: bool = strawberry.field(
        description="A question or an exception about it waits in the Inbox."
    )
    company_id: strawberry.ID | None
    lead_id: strawberry.ID | None
    run_id: strawberry.ID | None


def _id(value: Any) -> strawberry.ID | None:
    return strawberry.ID(str(value)) if value else None


@strawberry.type(
    name="LeadImport",
    description="The batch ledger of an imported list: counted up while its runs work.",
)
class LeadImportType:
    id: strawberry.ID = strawberry.field(description="Also the id of the import's run.")
    source: str
    state: ImportStateEnum  # type: ignore[valid-type]
    title: str
    requested_by: str
    message_id: strawberry.ID | None
    found: int
    skipped: int
    to_research: int
    researched: int = strawberry.field(description="Research runs finished so far.")
    added: int
    known: int
    need_you: int
    failed: int
    summary: str = strawberry.field(
        description="One line: '48 added, 3 already known and updated, 2 need you'."
    )
    lines: list[LeadImportLineType] = strawberry.field(
        description=f"One per company of the list, in its order (the first {LINES_LISTED}).",
        metadata=list_size(LINES_LISTED),
    )
    created_at: datetime
    finished_at: datetime | None

    @classmethod
    def of(cls, row: RecordView | LeadImport) -> LeadImportType:
        lines = [imports.LedgerLine.model_validate(line) for line in row.lines[:LINES_LISTED]]
        return cls(
            id=strawberry.ID(str(row.id)),
            source=row.source,
            state=ImportState(row.state),
            title=row.title,
            requested_by=row.requested_by,
            message_id=_id(row.message_id),
            found=row.found,
            skipped=row.skipped,
            to_research=row.to_research,
            researched=row.researched,
            added=row.added,
            known=row.known,
            need_you=row.need_you,
            failed=row.failed,
            summary=imports.summary_line(row),
            lines=[
                LeadImportLineType(
                    name=line.name,
                    outcome=line.outcome,
                    detail=line.detail,
                    needs_you=line.needs_you,
                    company_id=_id(line.company_id),
                    lead_id=_id(line.lead_id),
                    run_id=_id(line.run_id),
                )
                for line in lines
            ],
            created_at=row.created_at,
            finished_at=row.finished_at,
        )


@strawberry.type
class OutreachPayload:
    run_id: strawberry.ID | None = strawberry.field(
        description="The run that drafts them; its approvals are grouped under it."
    )
    user_errors: list[UserError] = strawberry.field(metadata=USER_ERRORS)


@strawberry.type
class LeadImportPayload:
    lead_import: LeadImportType | None
    user_errors: list[UserError] = strawberry.field(metadata=USER_ERRORS)


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


@strawberry.input
class LeadOrderInput:
    field: LeadOrderField = LeadOrderField.SCORE
    direction: OrderDirection = OrderDirection.DESC


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
    user_errors: list[UserError] = strawberry.field(metadata=USER_ERRORS)


@strawberry.type
class IcpPayload:
    icp: IcpType | None
    user_errors: list[UserError] = strawberry.field(metadata=USER_ERRORS)


def _given(value: Any) -> Any:
    """strawberry's UNSET (not sent) and null both mean: leave the value alone."""
    return UNSET if value is strawberry.UNSET or value is None else value


IMPORT_TITLES: dict[ImportSource, str] = {
    ImportSource.TEXT: "pasted list",
    ImportSource.CSV: "CSV import",
}
"""An import's title when the person gives none."""


async def _start_import(
    info: Info[Any, Any],
    source: ImportSource,
    title: str | None,
    *,
    text: str | None = None,
    csv: str | None = None,
) -> LeadImportPayload:
    """Both import mutations: a list as pasted text (extracted by the agent) or as CSV
    (parsed here, line by line), started as one import whose ledger answers at once."""

    async def start(session: AsyncSession, actor: Actor) -> LeadImport:
        return await agents.start_import(
            session,
            actor,
            source=source,
            title=imports.import_title(title, IMPORT_TITLES[source]),
            requested_by=actor.label,
            requester_user_id=actor.user_id,
            text=imports.check_list_text(text) if text is not None else None,
            companies=imports.parse_companies_csv(csv) if csv is not None else None,
        )

    row, errors = await run_mutation(info, start)
    return LeadImportPayload(
        lead_import=LeadImportType.of(row) if row else None, user_errors=errors
    )


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
                descending=order.direction == OrderDirection.DESC,
                with_total=with_total,
            )

        return connection_from_page(await fetch_page(info, first, page), LeadType.of)

    @strawberry.field(permission_classes=[CanRead])
    async def lead(self, info: Info[Any, Any], id: strawberry.ID) -> LeadType | None:
        loader = context_of(info).loader("leads", service.leads_by_ids)
        row = await loader.load(parse_id(id))
        return LeadType.of(row) if row else None

    @strawberry.field(permission_classes=[CanRead], description="An imported list's ledger.")
    async def lead_import(self, info: Info[Any, Any], id: strawberry.ID) -> LeadImportType | None:
        async def read(session: AsyncSession) -> LeadImport | None:
            try:
                return await imports.get_import(session, parse_id(id))
            except NotFound:
                return None

        row = await context_of(info).run(read)
        return LeadImportType.of(row) if row else None

    @strawberry.field(permission_classes=[CanRead], description="Imported lists, newest first.")
    async def lead_imports(
        self, info: Info[Any, Any], first: int | None = None, after: str | None = None
    ) -> Connection[LeadImportType]:
        async def page(session: AsyncSession, size: int, with_total: bool) -> Any:
            return await imports.list_imports(
                session, first=size, after=after, with_total=with_total
            )

        return connection_from_page(await fetch_page(info, first, page), LeadImportType.of)

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

    @strawberry.mutation(
        permission_classes=[CanWrite],
        description="Import the companies a text lists (an email pasted, a newsletter): "
        "extracted, judged against the ICP and researched in the background.",
    )
    async def import_company_list(
        self, info: Info[Any, Any], text: str, title: str | None = None
    ) -> LeadImportPayload:
        return await _start_import(info, ImportSource.TEXT, title, text=text)

    @strawberry.mutation(
        permission_classes=[CanWrite],
        description="Import companies from CSV text with a header row: name (required), "
        "url, one_liner, sector, stage, location.",
    )
    async def import_companies_csv(
        self, info: Info[Any, Any], csv: str, title: str | None = None
    ) -> LeadImportPayload:
        return await _start_import(info, ImportSource.CSV, title, csv=csv)

    @strawberry.mutation(
        permission_classes=[CanWrite],
        description="Have a first outreach email drafted for each qualified lead; each "
        "waits in the Inbox for approval (edit, approve, reject) before it is sent.",
    )
    async def draft_outreach(
        self, info: Info[Any, Any], lead_ids: list[strawberry.ID], title: str | None = None
    ) -> OutreachPayload:
        async def start(session: AsyncSession, actor: Actor) -> uuid.UUID:
            ids = [parse_id(value, field="leadIds") for value in lead_ids]
            return await outreach.draft_outreach(session, actor, ids, title=title)

        run_id, errors = await run_mutation(info, start)
        return OutreachPayload(
            run_id=strawberry.ID(str(run_id)) if run_id else None, user_errors=errors
        )
