"""GraphQL types, queries and mutations of the shared records (web/ composes the schema)."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence
from datetime import date, datetime
from enum import Enum
from typing import Annotated, Any, TypeAlias

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.scalars import JSON
from strawberry.types import Info

from compound.platform.auth.actor import Actor
from compound.platform.graphql.connection import (
    Connection,
    connection_from_page,
    total_count_requested,
)
from compound.platform.graphql.context import context_of, parse_id
from compound.platform.graphql.cost import capped_list
from compound.platform.graphql.payloads import USER_ERRORS, UserError, run_mutation
from compound.platform.graphql.permissions import CanRead, CanWrite
from compound.platform.records import companies, listed, lookups, notes, people, search, tasks
from compound.platform.records import models as rows
from compound.platform.records.listed import (
    NOTES_LISTED,
    PEOPLE_LISTED,
    PROVENANCE_LISTED,
    TASKS_LISTED,
    TIMELINE_LISTED,
)
from compound.platform.records.lookups import RecordView
from compound.platform.records.paging import RecordOrder, check_page_size
from compound.platform.sentinel import UNSET as SERVICE_UNSET

DEFAULT_PAGE_SIZE = 20


def _unset(value: Any) -> Any:
    """strawberry's UNSET (field not sent) → the services' UNSET (leave the value alone)."""
    return SERVICE_UNSET if value is strawberry.UNSET else value


def _optional_id(value: Any, *, field: str) -> Any:
    if value is strawberry.UNSET:
        return SERVICE_UNSET
    return parse_id(value, field=field) if value is not None else None


# --- output types -------------------------------------------------------------------


@strawberry.type(name="Activity", description="One entry on a record's timeline.")
class ActivityType:
    id: strawberry.ID
    occurred_at: datetime
    kind: str
    summary: str
    actor: str

    @classmethod
    def of(cls, row: RecordView) -> ActivityType:
        return cls(
            id=strawberry.ID(str(row.id)),
            occurred_at=row.occurred_at,
            kind=row.kind,
            summary=row.summary,
            actor=row.actor,
        )


@strawberry.type(
    name="Provenance",
    description="One write an agent made on a record: its run, tool, cited source, confidence.",
)
class ProvenanceType:
    run_id: strawberry.ID
    agent: str
    tool: str | None
    action: str = strawberry.field(description="What the write was, e.g. company.updated.")
    field: str | None = strawberry.field(
        description="The field written (snake_case); null when the whole record was "
        "created, deleted or merged."
    )
    source: JSON = strawberry.field(
        description="Where the value came from: keys such as message_id, url, span."
    )
    confidence: float | None = strawberry.field(
        description="0 to 1, as the agent stated it; null when it did not say."
    )
    created_at: datetime
    undone_at: datetime | None = strawberry.field(
        description="When an undo of the run reverted this write; null while it stands."
    )

    @classmethod
    def of(cls, row: RecordView) -> ProvenanceType:
        return cls(
            run_id=strawberry.ID(str(row.run_id)),
            agent=row.agent,
            tool=row.tool,
            action=row.action,
            field=row.field,
            source=row.source,
            confidence=row.confidence,
            created_at=row.created_at,
            undone_at=row.undone_at,
        )


PROVENANCE_DESCRIPTION = (
    f"What agents wrote on this record and on what grounds, newest first (at most "
    f"{PROVENANCE_LISTED})."
)


async def record_provenance(
    info: Info[Any, Any], subject_type: str, record_id: strawberry.ID
) -> list[ProvenanceType]:
    async def batch(session: AsyncSession, ids: Sequence[uuid.UUID]) -> list[list[RecordView]]:
        return await listed.provenance(session, subject_type, ids)

    loader = context_of(info).loader(f"provenance_of_{subject_type}", batch)
    return [ProvenanceType.of(row) for row in await loader.load(uuid.UUID(record_id))]


@strawberry.type(name="Company")
class CompanyType:
    id: strawberry.ID
    name: str
    domain: str | None
    aliases: list[str]
    description: str | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, row: RecordView) -> CompanyType:
        return cls(
            id=strawberry.ID(str(row.id)),
            name=row.name,
            domain=row.domain,
            aliases=list(row.aliases),
            description=row.description,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )

    @capped_list(PEOPLE_LISTED, f"Its people by name, the first {PEOPLE_LISTED} (all: `people`).")
    async def people(self, info: Info[Any, Any]) -> list[PersonType]:
        loader = context_of(info).loader("people_of_company", listed.company_people)
        return [PersonType.of(row) for row in await loader.load(uuid.UUID(self.id))]

    @capped_list(
        NOTES_LISTED, f"Notes attached to this company, oldest first (the newest {NOTES_LISTED})."
    )
    async def notes(self, info: Info[Any, Any]) -> list[NoteType]:
        loader = context_of(info).loader("notes_of_company", listed.company_notes)
        return [NoteType.of(row) for row in await loader.load(uuid.UUID(self.id))]

    @capped_list(
        TASKS_LISTED, f"Tasks linked to this company, oldest first (the newest {TASKS_LISTED})."
    )
    async def tasks(self, info: Info[Any, Any]) -> list[TaskType]:
        loader = context_of(info).loader("tasks_of_company", listed.company_tasks)
        return [TaskType.of(row) for row in await loader.load(uuid.UUID(self.id))]

    @capped_list(
        TIMELINE_LISTED,
        f"What happened to this company and its people, newest first (at most {TIMELINE_LISTED}).",
    )
    async def timeline(self, info: Info[Any, Any]) -> list[ActivityType]:
        loader = context_of(info).loader("timeline_of_company", listed.company_timelines)
        return [ActivityType.of(row) for row in await loader.load(uuid.UUID(self.id))]

    @capped_list(PROVENANCE_LISTED, PROVENANCE_DESCRIPTION)
    async def provenance(self, info: Info[Any, Any]) -> list[ProvenanceType]:
        return await record_provenance(info, "company", self.id)


@strawberry.type(name="Person")
class PersonType:
    id: strawberry.ID
    name: str
    title: str | None
    company_id: strawberry.ID | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, row: RecordView) -> PersonType:
        return cls(
            id=strawberry.ID(str(row.id)),
            name=row.name,
            title=row.title,
            company_id=strawberry.ID(str(row.company_id)) if row.company_id else None,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )

    @strawberry.field(description="Normalized email addresses, the first one primary.")
    async def emails(self, info: Info[Any, Any]) -> list[str]:
        loader = context_of(info).loader("emails_of_person", lookups.emails_of_people)
        return list(await loader.load(uuid.UUID(self.id)))

    @strawberry.field
    async def company(self, info: Info[Any, Any]) -> CompanyType | None:
        return await company_of(info, self.company_id)

    @capped_list(NOTES_LISTED, f"Oldest first (the newest {NOTES_LISTED}).")
    async def notes(self, info: Info[Any, Any]) -> list[NoteType]:
        loader = context_of(info).loader("notes_of_person", listed.person_notes)
        return [NoteType.of(row) for row in await loader.load(uuid.UUID(self.id))]

    @capped_list(TASKS_LISTED, f"Oldest first (the newest {TASKS_LISTED}).")
    async def tasks(self, info: Info[Any, Any]) -> list[TaskType]:
        loader = context_of(info).loader("tasks_of_person", listed.person_tasks)
        return [TaskType.of(row) for row in await loader.load(uuid.UUID(self.id))]

    @capped_list(TIMELINE_LISTED, f"Newest first (at most {TIMELINE_LISTED}).")
    async def timeline(self, info: Info[Any, Any]) -> list[ActivityType]:
        loader = context_of(info).loader("timeline_of_person", listed.person_timelines)
        return [ActivityType.of(row) for row in await loader.load(uuid.UUID(self.id))]

    @capped_list(PROVENANCE_LISTED, PROVENANCE_DESCRIPTION)
    async def provenance(self, info: Info[Any, Any]) -> list[ProvenanceType]:
        return await record_provenance(info, "person", self.id)


async def company_of(info: Info[Any, Any], company_id: strawberry.ID | None) -> CompanyType | None:
    """The company a record points at, through the request's batching loader."""
    if company_id is None:
        return None
    row = (
        await context_of(info)
        .loader("company", lookups.companies_by_ids)
        .load(uuid.UUID(company_id))
    )
    return CompanyType.of(row) if row else None


async def _person_of(info: Info[Any, Any], person_id: strawberry.ID | None) -> PersonType | None:
    if person_id is None:
        return None
    row = await context_of(info).loader("person", lookups.people_by_ids).load(uuid.UUID(person_id))
    return PersonType.of(row) if row else None


@strawberry.type(name="Note")
class NoteType:
    id: strawberry.ID
    body: str = strawberry.field(description="Markdown.")
    company_id: strawberry.ID | None
    person_id: strawberry.ID | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, row: RecordView) -> NoteType:
        return cls(
            id=strawberry.ID(str(row.id)),
            body=row.body,
            company_id=strawberry.ID(str(row.company_id)) if row.company_id else None,
            person_id=strawberry.ID(str(row.person_id)) if row.person_id else None,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )

    @strawberry.field
    async def company(self, info: Info[Any, Any]) -> CompanyType | None:
        return await company_of(info, self.company_id)

    @strawberry.field
    async def person(self, info: Info[Any, Any]) -> PersonType | None:
        return await _person_of(info, self.person_id)

    @capped_list(PROVENANCE_LISTED, PROVENANCE_DESCRIPTION)
    async def provenance(self, info: Info[Any, Any]) -> list[ProvenanceType]:
        return await record_provenance(info, "note", self.id)


@strawberry.enum(name="TaskStatus")
class TaskStatusEnum(Enum):
    OPEN = "open"
    DONE = "done"
    CANCELLED = "cancelled"


@strawberry.type(name="Task")
class TaskType:
    id: strawberry.ID
    title: str
    due_date: date | None
    status: TaskStatusEnum
    assignee_user_id: strawberry.ID | None
    assignee_agent: str | None
    company_id: strawberry.ID | None
    person_id: strawberry.ID | None
    completed_at: datetime | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, row: RecordView) -> TaskType:
        return cls(
            id=strawberry.ID(str(row.id)),
            title=row.title,
            due_date=row.due_date,
            status=TaskStatusEnum(row.status),
            assignee_user_id=strawberry.ID(str(row.assignee_user_id))
            if row.assignee_user_id
            else None,
            assignee_agent=row.assignee_agent,
            company_id=strawberry.ID(str(row.company_id)) if row.company_id else None,
            person_id=strawberry.ID(str(row.person_id)) if row.person_id else None,
            completed_at=row.completed_at,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )

    @strawberry.field
    async def company(self, info: Info[Any, Any]) -> CompanyType | None:
        return await company_of(info, self.company_id)

    @strawberry.field
    async def person(self, info: Info[Any, Any]) -> PersonType | None:
        return await _person_of(info, self.person_id)

    @capped_list(PROVENANCE_LISTED, PROVENANCE_DESCRIPTION)
    async def provenance(self, info: Info[Any, Any]) -> list[ProvenanceType]:
        return await record_provenance(info, "task", self.id)


SearchNode: TypeAlias = Annotated[
    CompanyType | PersonType | NoteType, strawberry.union("SearchNode")
]


@strawberry.type(description="One semantic search match: the record and its cosine similarity.")
class SearchHit:
    score: float = strawberry.field(description="Cosine similarity, 1 is identical.")
    node: SearchNode


# --- inputs --------------------------------------------------------------------------


@strawberry.input
class CompanyFilter:
    name_contains: str | None = None
    domain: str | None = None


@strawberry.enum
class CompanyOrderField(Enum):
    NAME = "name"
    CREATED_AT = "created_at"
    UPDATED_AT = "updated_at"


@strawberry.enum
class OrderDirection(Enum):
    ASC = "asc"
    DESC = "desc"


@strawberry.input
class CompanyOrder:
    field: CompanyOrderField = CompanyOrderField.NAME
    direction: OrderDirection = OrderDirection.ASC


@strawberry.input
class PersonFilter:
    name_contains: str | None = None
    email: str | None = None
    company_id: strawberry.ID | None = None


@strawberry.enum
class PersonOrderField(Enum):
    NAME = "name"
    CREATED_AT = "created_at"
    UPDATED_AT = "updated_at"


@strawberry.input
class PersonOrder:
    field: PersonOrderField = PersonOrderField.NAME
    direction: OrderDirection = OrderDirection.ASC


@strawberry.input
class CreateCompanyInput:
    name: str
    domain: str | None = None
    description: str | None = None
    aliases: list[str] | None = None


@strawberry.input
class UpdateCompanyInput:
    id: strawberry.ID
    name: str | None = strawberry.UNSET
    domain: str | None = strawberry.UNSET
    description: str | None = strawberry.UNSET
    aliases: list[str] | None = strawberry.UNSET


@strawberry.input
class CreatePersonInput:
    name: str
    emails: list[str] | None = None
    company_id: strawberry.ID | None = None
    title: str | None = None


@strawberry.input
class UpdatePersonInput:
    id: strawberry.ID
    name: str | None = strawberry.UNSET
    emails: list[str] | None = strawberry.UNSET
    company_id: strawberry.ID | None = strawberry.UNSET
    title: str | None = strawberry.UNSET


@strawberry.input
class CreateNoteInput:
    body: str
    company_id: strawberry.ID | None = None
    person_id: strawberry.ID | None = None


@strawberry.input
class CreateTaskInput:
    title: str
    due_date: date | None = None
    status: TaskStatusEnum = TaskStatusEnum.OPEN
    assignee_user_id: strawberry.ID | None = None
    assignee_agent: str | None = None
    company_id: strawberry.ID | None = None
    person_id: strawberry.ID | None = None


@strawberry.input
class UpdateTaskInput:
    id: strawberry.ID
    title: str | None = strawberry.UNSET
    due_date: date | None = strawberry.UNSET
    status: TaskStatusEnum | None = strawberry.UNSET
    assignee_user_id: strawberry.ID | None = strawberry.UNSET
    assignee_agent: str | None = strawberry.UNSET
    company_id: strawberry.ID | None = strawberry.UNSET
    person_id: strawberry.ID | None = strawberry.UNSET


# --- payloads -----------------------------------------------------------------------


@strawberry.type
class CompanyPayload:
    company: CompanyType | None
    user_errors: list[UserError] = strawberry.field(metadata=USER_ERRORS)


@strawberry.type
class DeleteCompanyPayload:
    deleted_id: strawberry.ID | None
    user_errors: list[UserError] = strawberry.field(metadata=USER_ERRORS)


@strawberry.type
class PersonPayload:
    person: PersonType | None
    user_errors: list[UserError] = strawberry.field(metadata=USER_ERRORS)


@strawberry.type
class NotePayload:
    note: NoteType | None
    user_errors: list[UserError] = strawberry.field(metadata=USER_ERRORS)


@strawberry.type
class TaskPayload:
    task: TaskType | None
    user_errors: list[UserError] = strawberry.field(metadata=USER_ERRORS)


# --- queries ------------------------------------------------------------------------


def _page_size(info: Info[Any, Any], first: int | None) -> int:
    maximum = context_of(info).settings.graphql_max_page_size
    return check_page_size(first, default=DEFAULT_PAGE_SIZE, maximum=maximum)


@strawberry.type
class RecordsQuery:
    @strawberry.field(permission_classes=[CanRead])
    async def company(self, info: Info[Any, Any], id: strawberry.ID) -> CompanyType | None:
        context = context_of(info)
        row = await context.run(lambda session: lookups.one(session, rows.Company, parse_id(id)))
        return CompanyType.of(row) if row else None

    @strawberry.field(permission_classes=[CanRead])
    async def person(self, info: Info[Any, Any], id: strawberry.ID) -> PersonType | None:
        context = context_of(info)
        row = await context.run(lambda session: lookups.one(session, rows.Person, parse_id(id)))
        return PersonType.of(row) if row else None

    @strawberry.field(permission_classes=[CanRead])
    async def note(self, info: Info[Any, Any], id: strawberry.ID) -> NoteType | None:
        context = context_of(info)
        row = await context.run(lambda session: lookups.one(session, rows.Note, parse_id(id)))
        return NoteType.of(row) if row else None

    @strawberry.field(permission_classes=[CanRead])
    async def task(self, info: Info[Any, Any], id: strawberry.ID) -> TaskType | None:
        context = context_of(info)
        row = await context.run(lambda session: session.get(rows.Task, parse_id(id)))
        return TaskType.of(row) if row else None

    @strawberry.field(permission_classes=[CanRead])
    async def companies(
        self,
        info: Info[Any, Any],
        first: int | None = None,
        after: str | None = None,
        filter: CompanyFilter | None = None,
        order_by: CompanyOrder | None = None,
    ) -> Connection[CompanyType]:
        context = context_of(info)
        order = order_by or CompanyOrder()
        with_total = total_count_requested(info)

        async def page(session: AsyncSession) -> Any:
            return await companies.list_companies(
                session,
                first=_page_size(info, first),
                after=after,
                filter=companies.CompanyFilter(
                    name_contains=filter.name_contains, domain=filter.domain
                )
                if filter
                else None,
                order_by=RecordOrder(order.field.value),
                descending=order.direction == OrderDirection.DESC,
                with_total=with_total,
            )

        return connection_from_page(await context.run(page), CompanyType.of)

    @strawberry.field(permission_classes=[CanRead])
    async def people(
        self,
        info: Info[Any, Any],
        first: int | None = None,
        after: str | None = None,
        filter: PersonFilter | None = None,
        order_by: PersonOrder | None = None,
    ) -> Connection[PersonType]:
        context = context_of(info)
        order = order_by or PersonOrder()
        with_total = total_count_requested(info)

        async def page(session: AsyncSession) -> Any:
            return await people.list_people(
                session,
                first=_page_size(info, first),
                after=after,
                filter=people.PersonFilter(
                    name_contains=filter.name_contains,
                    email=filter.email,
                    company_id=parse_id(filter.company_id, field="companyId")
                    if filter.company_id
                    else None,
                )
                if filter
                else None,
                order_by=RecordOrder(order.field.value),
                descending=order.direction == OrderDirection.DESC,
                with_total=with_total,
            )

        return connection_from_page(await context.run(page), PersonType.of)

    @strawberry.field(
        permission_classes=[CanRead],
        description="Semantic search over companies, people and notes, best match first.",
    )
    async def search(
        self, info: Info[Any, Any], query: str, first: int | None = None
    ) -> list[SearchHit]:
        context = context_of(info)
        size = check_page_size(first, default=10, maximum=context.settings.graphql_max_page_size)

        async def run(session: AsyncSession) -> list[SearchHit]:
            hits = await search.search(
                session, query, first=size, ef_search=context.settings.search_ef_search
            )
            by_kind: dict[
                str, Callable[[AsyncSession, Sequence[uuid.UUID]], Awaitable[Sequence[Any]]]
            ] = {
                "company": lookups.companies_by_ids,
                "person": lookups.people_by_ids,
                "note": lookups.notes_by_ids,
            }
            to_node: dict[str, Callable[[Any], Any]] = {
                "company": CompanyType.of,
                "person": PersonType.of,
                "note": NoteType.of,
            }
            results: list[SearchHit] = []
            loaded: dict[uuid.UUID, Any] = {}
            for kind, fetch in by_kind.items():
                ids = [hit.id for hit in hits if hit.kind == kind]
                if ids:
                    loaded.update({row.id: row for row in await fetch(session, ids) if row})
            for hit in hits:
                row = loaded.get(hit.id)
                if row is not None:
                    results.append(
                        SearchHit(score=round(hit.score, 6), node=to_node[hit.kind](row))
                    )
            return results

        return await context.run(run)


# --- mutations ----------------------------------------------------------------------


@strawberry.type
class RecordsMutation:
    @strawberry.mutation(permission_classes=[CanWrite])
    async def create_company(
        self, info: Info[Any, Any], input: CreateCompanyInput
    ) -> CompanyPayload:
        async def create(session: AsyncSession, actor: Actor) -> rows.Company:
            return await companies.create_company(
                session,
                actor,
                name=input.name,
                domain=input.domain,
                description=input.description,
                aliases=input.aliases or [],
            )

        row, errors = await run_mutation(info, create)
        return CompanyPayload(company=CompanyType.of(row) if row else None, user_errors=errors)

    @strawberry.mutation(permission_classes=[CanWrite])
    async def update_company(
        self, info: Info[Any, Any], input: UpdateCompanyInput
    ) -> CompanyPayload:
        async def change(session: AsyncSession, actor: Actor) -> rows.Company:
            aliases = _unset(input.aliases)
            return await companies.update_company(
                session,
                actor,
                parse_id(input.id),
                name=SERVICE_UNSET if input.name in (None, strawberry.UNSET) else input.name,
                domain=_unset(input.domain),
                description=_unset(input.description),
                aliases=[] if aliases is None else aliases,
            )

        row, errors = await run_mutation(info, change)
        return CompanyPayload(company=CompanyType.of(row) if row else None, user_errors=errors)

    @strawberry.mutation(
        permission_classes=[CanWrite],
        description=(
            "Fold mergeId into keepId: people, notes and tasks move; its name becomes an alias."
        ),
    )
    async def merge_companies(
        self, info: Info[Any, Any], keep_id: strawberry.ID, merge_id: strawberry.ID
    ) -> CompanyPayload:
        async def merge(session: AsyncSession, actor: Actor) -> rows.Company:
            return await companies.merge_companies(
                session,
                actor,
                keep_id=parse_id(keep_id, field="keepId"),
                merge_id=parse_id(merge_id, field="mergeId"),
            )

        row, errors = await run_mutation(info, merge)
        return CompanyPayload(company=CompanyType.of(row) if row else None, user_errors=errors)

    @strawberry.mutation(permission_classes=[CanWrite])
    async def delete_company(self, info: Info[Any, Any], id: strawberry.ID) -> DeleteCompanyPayload:
        async def remove(session: AsyncSession, actor: Actor) -> uuid.UUID:
            company_id = parse_id(id)
            await companies.delete_company(session, actor, company_id)
            return company_id

        deleted, errors = await run_mutation(info, remove)
        return DeleteCompanyPayload(
            deleted_id=strawberry.ID(str(deleted)) if deleted else None, user_errors=errors
        )

    @strawberry.mutation(permission_classes=[CanWrite])
    async def create_person(self, info: Info[Any, Any], input: CreatePersonInput) -> PersonPayload:
        async def create(session: AsyncSession, actor: Actor) -> rows.Person:
            return await people.create_person(
                session,
                actor,
                name=input.name,
                emails=input.emails or [],
                company_id=parse_id(input.company_id, field="companyId")
                if input.company_id
                else None,
                title=input.title,
            )

        row, errors = await run_mutation(info, create)
        return PersonPayload(person=PersonType.of(row) if row else None, user_errors=errors)

    @strawberry.mutation(permission_classes=[CanWrite])
    async def update_person(self, info: Info[Any, Any], input: UpdatePersonInput) -> PersonPayload:
        async def change(session: AsyncSession, actor: Actor) -> rows.Person:
            emails = _unset(input.emails)
            return await people.update_person(
                session,
                actor,
                parse_id(input.id),
                name=SERVICE_UNSET if input.name in (None, strawberry.UNSET) else input.name,
                emails=[] if emails is None else emails,
                company_id=_optional_id(input.company_id, field="companyId"),
                title=_unset(input.title),
            )

        row, errors = await run_mutation(info, change)
        return PersonPayload(person=PersonType.of(row) if row else None, user_errors=errors)

    @strawberry.mutation(permission_classes=[CanWrite])
    async def create_note(self, info: Info[Any, Any], input: CreateNoteInput) -> NotePayload:
        async def create(session: AsyncSession, actor: Actor) -> rows.Note:
            return await notes.create_note(
                session,
                actor,
                body=input.body,
                company_id=parse_id(input.company_id, field="companyId")
                if input.company_id
                else None,
                person_id=parse_id(input.person_id, field="personId") if input.person_id else None,
            )

        row, errors = await run_mutation(info, create)
        return NotePayload(note=NoteType.of(row) if row else None, user_errors=errors)

    @strawberry.mutation(permission_classes=[CanWrite])
    async def create_task(self, info: Info[Any, Any], input: CreateTaskInput) -> TaskPayload:
        async def create(session: AsyncSession, actor: Actor) -> rows.Task:
            return await tasks.create_task(
                session,
                actor,
                title=input.title,
                due_date=input.due_date,
                status=input.status.value,
                assignee_user_id=parse_id(input.assignee_user_id, field="assigneeUserId")
                if input.assignee_user_id
                else None,
                assignee_agent=input.assignee_agent,
                company_id=parse_id(input.company_id, field="companyId")
                if input.company_id
                else None,
                person_id=parse_id(input.person_id, field="personId") if input.person_id else None,
            )

        row, errors = await run_mutation(info, create)
        return TaskPayload(task=TaskType.of(row) if row else None, user_errors=errors)

    @strawberry.mutation(permission_classes=[CanWrite])
    async def update_task(self, info: Info[Any, Any], input: UpdateTaskInput) -> TaskPayload:
        async def change(session: AsyncSession, actor: Actor) -> rows.Task:
            status = _unset(input.status)
            return await tasks.update_task(
                session,
                actor,
                parse_id(input.id),
                title=SERVICE_UNSET if input.title in (None, strawberry.UNSET) else input.title,
                due_date=_unset(input.due_date),
                status=status.value if isinstance(status, TaskStatusEnum) else SERVICE_UNSET,
                assignee_user_id=_optional_id(input.assignee_user_id, field="assigneeUserId"),
                assignee_agent=_unset(input.assignee_agent),
                company_id=_optional_id(input.company_id, field="companyId"),
                person_id=_optional_id(input.person_id, field="personId"),
            )

        row, errors = await run_mutation(info, change)
        return TaskPayload(task=TaskType.of(row) if row else None, user_errors=errors)
