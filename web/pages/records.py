"""Companies and People: lists with a name filter, sorting and cursor paging; detail pages
with everything attached to the record and its timeline; a provenance badge on each value
an agent wrote; inline edit of a company or a person; merging two companies. The list, the
detail's shared sections and the inline edit are one implementation for both kinds
(`RecordKind` says what differs), as are their templates (record_list.html, record.html)."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Final

from litestar import Request, Response, get, post
from litestar.params import PathParameter, QueryParameter
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from compound.platform.auth.actor import Actor
from compound.platform.auth.sessions import Visitor
from compound.platform.email.service import ConversationFilter, list_conversations
from compound.platform.errors import CompoundError, NotFound, ValidationFailed
from compound.platform.pages import (
    SEE_OTHER,
    can_write,
    form_id,
    http_status,
    message_page,
    writes,
)
from compound.platform.records import lookups
from compound.platform.records.companies import (
    CompanyFilter,
    get_company,
    list_companies,
    merge_companies,
    update_company,
)
from compound.platform.records.lookups import RecordView
from compound.platform.records.models import Company, Person
from compound.platform.records.paging import Page, RecordOrder
from compound.platform.records.people import PersonFilter, list_people, update_person
from compound.web.modules import company_panels

PAGE_SIZE: Final = 50
CONVERSATIONS_SHOWN: Final = 50
MERGE_CHOICES: Final = 200
FIELD_TEXT_MAX: Final = 20_000
SORTS: Final = {
    "name": (RecordOrder.NAME, False),
    "created": (RecordOrder.CREATED_AT, True),
    "updated": (RecordOrder.UPDATED_AT, True),
}
COMPANY_FIELDS: Final = ("name", "domain", "description")
PERSON_FIELDS: Final = ("name", "title", "company_id", "emails")
COMPANY_CHOICES: Final = 200
FLASHES: Final = {
    "saved": "Saved.",
    "merged": "Merged: the other company's people, notes and tasks are now here.",
}
VIEWERS_CANNOT: Final = "viewers cannot edit or merge records"

Sort = Annotated[str, QueryParameter(max_length=20)]
Cursor = Annotated[str | None, QueryParameter(max_length=2_000)]
NameFilter = Annotated[str | None, QueryParameter(max_length=500)]
Flash = Annotated[str | None, QueryParameter(max_length=20)]


@dataclass(frozen=True)
class Badge:
    """An agent wrote this value: the hover text says which run, tool, source, confidence."""

    agent: str
    title: str


def _source_text(source: Any) -> str:
    if not isinstance(source, dict) or not source:
        return "none cited"
    return "; ".join(f"{key} {value}" for key, value in source.items())


def _badge(row: RecordView) -> Badge:
    confidence = "not stated" if row.confidence is None else f"{row.confidence:.2f}"
    title = (
        f"Written by agent {row.agent} · run {row.run_id} · tool {row.tool or 'none'} · "
        f"source: {_source_text(row.source)} · confidence {confidence}"
    )
    return Badge(agent=row.agent, title=title)


def _same(written: Any, current: Any) -> bool:
    if isinstance(written, str | None) and isinstance(current, str | None):
        return (written or None) == (current or None)
    return bool(json.dumps(written, default=str) == json.dumps(current, default=str))


def badges_of(provenance: Sequence[RecordView], current: dict[str, Any]) -> dict[str, Badge]:
    """For each field, a badge when the newest agent write of it still stands: the value
    shown is the one the agent wrote (a person's later edit carries no provenance)."""
    badges: dict[str, Badge] = {}
    decided: set[str] = set()
    for row in provenance:  # newest first
        if row.undone_at is not None:
            continue
        if row.field is not None:
            written = {row.field: row.value_after}
        elif row.action.endswith(".created") and isinstance(row.value_after, dict):
            written = row.value_after
        else:
            continue
        for field, value in written.items():
            if field not in current or field in decided:
                continue
            decided.add(field)
            if current[field] not in (None, "") and _same(value, current[field]):
                badges[field] = _badge(row)
    return badges


def _sort_of(sort: str) -> tuple[str, RecordOrder, bool]:
    key = sort if sort in SORTS else "name"
    order, descending = SORTS[key]
    return key, order, descending


def _not_found(kind: str, record_id: uuid.UUID) -> Template:
    return message_page("Not found", f"there is no {kind} with id {record_id}", status_code=404)


# --- what differs between companies and people ----------------------------------------------

Lister = Callable[..., Awaitable[Page[RecordView]]]
Grouped = Callable[[AsyncSession, Sequence[uuid.UUID]], Awaitable[list[list[RecordView]]]]
Saver = Callable[[AsyncSession, Actor, uuid.UUID, dict[str, str]], Awaitable[object]]
PageOf = Callable[..., Awaitable[Template]]


@dataclass(frozen=True)
class RecordKind:
    """What differs between the companies' pages and the people's; everything else (the
    list, the detail's shared sections, the inline edit) is one implementation."""

    kind: str
    """As the provenance and the messages name it: company, person."""
    plural: str
    """The list's name and address: companies, people."""
    model: type[Company] | type[Person]
    fields: tuple[str, ...]
    """The fields the inline edit sends."""
    list_records: Lister
    name_filter: type[CompanyFilter] | type[PersonFilter]
    lists_companies: bool
    """The list names each row's company (people have one, companies are one)."""
    timeline_key: str
    notes_of: Grouped
    tasks_of: Grouped
    save: Saver
    page: PageOf

    @property
    def path(self) -> str:
        return f"/{self.plural}"


# --- lists ----------------------------------------------------------------------------------


async def _list_page(
    session: AsyncSession,
    signed_in: Visitor,
    records: RecordKind,
    *,
    q: str | None,
    sort: str,
    after: str | None,
) -> Response[Any]:
    key, order, descending = _sort_of(sort)
    needle = (q or "").strip() or None
    error: str | None = None
    rows: list[RecordView] = []
    total: int | None = 0
    next_cursor: str | None = None
    companies: dict[uuid.UUID, RecordView] = {}
    try:
        page = await records.list_records(
            session,
            first=PAGE_SIZE,
            after=after or None,
            filter=records.name_filter(name_contains=needle),
            order_by=order,
            descending=descending,
        )
        rows, total = page.items, page.total_count
        next_cursor = page.end_cursor if page.has_next_page else None
        if records.lists_companies:
            ids = sorted({row.company_id for row in rows if row.company_id is not None})
            found = await lookups.companies_by_ids(session, ids)
            companies = {row.id: row for row in found if row is not None}
    except CompoundError as failure:  # a stale or forged cursor, an over-long filter
        error = failure.message
    return Template(
        template_name=f"{records.plural}.html",
        context={
            "visitor": signed_in,
            "active": records.plural,
            "records": records,
            "rows": rows,
            "total": total,
            "q": needle or "",
            "sort": key,
            "sorts": list(SORTS),
            "after": after,
            "next_cursor": next_cursor,
            "companies": companies,
            "error": error,
        },
        status_code=400 if error else 200,
    )


@get("/companies", name="companies")
async def companies_page(
    session: AsyncSession,
    signed_in: Visitor,
    q: NameFilter = None,
    sort: Sort = "name",
    after: Cursor = None,
) -> Response[Any]:
    """Companies, 50 a page, filtered by a part of their name."""
    return await _list_page(session, signed_in, COMPANIES, q=q, sort=sort, after=after)


@get("/people", name="people")
async def people_page(
    session: AsyncSession,
    signed_in: Visitor,
    q: NameFilter = None,
    sort: Sort = "name",
    after: Cursor = None,
) -> Response[Any]:
    """People, 50 a page, filtered by a part of their name."""
    return await _list_page(session, signed_in, PEOPLE, q=q, sort=sort, after=after)


# --- a record's page ------------------------------------------------------------------------


async def _record_context(
    session: AsyncSession,
    signed_in: Visitor,
    records: RecordKind,
    record: RecordView,
    *,
    current: dict[str, Any],
    shown: dict[str, str],
    flash: str | None,
    errors: dict[str, str] | None,
    drafts: dict[str, str] | None,
) -> dict[str, Any]:
    """What a company's page and a person's share: the record with the badges of what an
    agent wrote (`current`: its fields as stored), its notes, tasks and timeline, and the
    inline edit (`shown`: its fields as the form shows them, under what was typed)."""
    [notes] = await records.notes_of(session, [record.id])
    [tasks] = await records.tasks_of(session, [record.id])
    [timeline] = await lookups.timeline_of(session, records.timeline_key, [record.id])
    [provenance] = await lookups.provenance_of(session, records.kind, [record.id])
    note_provenance = await lookups.provenance_of(session, "note", [note.id for note in notes])
    return {
        "visitor": signed_in,
        "active": records.plural,
        "records": records,
        "record": record,
        "csrf": signed_in.csrf_token,
        "can_edit": can_write(signed_in),
        "badges": badges_of(provenance, current),
        "notes": notes,
        "note_badges": {
            note.id: badges_of(rows, {"body": note.body}).get("body")
            for note, rows in zip(notes, note_provenance, strict=True)
        },
        "tasks": tasks,
        "timeline": timeline,
        "flash": FLASHES.get(flash or ""),
        "errors": errors or {},
        "drafts": {**shown, **(drafts or {})},
    }


async def _record_page(
    session: AsyncSession,
    signed_in: Visitor,
    records: RecordKind,
    record_id: uuid.UUID,
    flash: str | None,
) -> Response[Any]:
    record = await lookups.one(session, records.model, record_id)
    if record is None:
        return _not_found(records.kind, record_id)
    return await records.page(session, signed_in, record, flash=flash)


async def _company_page(
    session: AsyncSession,
    signed_in: Visitor,
    company: RecordView,
    *,
    flash: str | None = None,
    errors: dict[str, str] | None = None,
    drafts: dict[str, str] | None = None,
    status_code: int = 200,
) -> Template:
    [people] = await lookups.people_of_companies(session, [company.id])
    panels = [(panel.template, await panel.load(session, company.id)) for panel in company_panels()]
    conversations = await list_conversations(
        session,
        first=CONVERSATIONS_SHOWN,
        filter=ConversationFilter(company_id=company.id),
        with_total=False,
    )
    others: list[RecordView] = []
    if can_write(signed_in):
        choices = await list_companies(session, first=MERGE_CHOICES + 1, with_total=False)
        others = [row for row in choices.items if row.id != company.id][:MERGE_CHOICES]
    current = {field: getattr(company, field) for field in COMPANY_FIELDS}
    shared = await _record_context(
        session,
        signed_in,
        COMPANIES,
        company,
        current=current,
        shown={field: value or "" for field, value in current.items()},
        flash=flash,
        errors=errors,
        drafts=drafts,
    )
    return Template(
        template_name="company.html",
        context={
            **shared,
            "company": company,
            "people": people,
            "panels": panels,
            "conversations": conversations.items,
            "others": others,
        },
        status_code=status_code,
    )


@get("/companies/{company_id:uuid}", name="company")
async def company_page(
    session: AsyncSession,
    signed_in: Visitor,
    company_id: Annotated[uuid.UUID, PathParameter()],
    flash: Flash = None,
) -> Response[Any]:
    """One company with its people, notes, tasks, conversations, timeline and module panels."""
    return await _record_page(session, signed_in, COMPANIES, company_id, flash)


@post(
    "/companies/{company_id:uuid}/edit",
    status_code=SEE_OTHER,
    opt=writes("/companies/{company_id}", viewers_cannot=VIEWERS_CANNOT),
)
async def edit_company(
    request: Request[Any, Any, Any],
    session: AsyncSession,
    signed_in: Visitor,
    company_id: Annotated[uuid.UUID, PathParameter()],
) -> Response[Any]:
    """Save the inline edit of name, domain and description; errors shown at their fields."""
    return await _save_inline_edit(request, session, signed_in, company_id, COMPANIES)


@post(
    "/companies/merge",
    status_code=SEE_OTHER,
    opt=writes("/companies", viewers_cannot=VIEWERS_CANNOT),
)
async def merge_companies_submit(
    request: Request[Any, Any, Any], session: AsyncSession, signed_in: Visitor
) -> Response[Any]:
    """Keep one company and fold the other into it (people, notes, tasks, name as alias)."""
    form = await request.form()
    try:
        keep_id = form_id(form.get("keep_id"), "keep_id", "keep_id: choose a company")
        merge_id = form_id(form.get("merge_id"), "merge_id", "merge_id: choose a company")
        async with session.begin_nested():
            await merge_companies(session, signed_in.actor, keep_id=keep_id, merge_id=merge_id)
    except CompoundError as error:
        return message_page("Not merged", error.message, status_code=http_status(error))
    return Redirect(f"/companies/{keep_id}?flash=merged", status_code=SEE_OTHER)


# --- a person -------------------------------------------------------------------------------


def _emails_typed(text: str) -> list[str]:
    """The email box holds one address a line (commas also part them); blank lines are none."""
    return [part.strip() for part in re.split(r"[,\n]", text) if part.strip()]


async def _company_chosen(session: AsyncSession, value: str) -> uuid.UUID | None:
    """The company picked in the edit form: none, or one that exists (an error at the field)."""
    if not value.strip():
        return None
    company_id = form_id(value, "company_id", f"{value!r} is not a company id; choose a company")
    try:
        await get_company(session, company_id)
    except NotFound as missing:
        raise ValidationFailed(missing.message, field="company_id") from None
    return company_id


async def _company_choices(session: AsyncSession, current: RecordView | None) -> list[RecordView]:
    """The first companies by name for the edit form's picker, always with the current one."""
    page = await list_companies(session, first=COMPANY_CHOICES, with_total=False)
    choices = list(page.items)
    if current is not None and all(row.id != current.id for row in choices):
        choices.insert(0, current)
    return choices


async def _person_page(
    session: AsyncSession,
    signed_in: Visitor,
    person: RecordView,
    *,
    flash: str | None = None,
    errors: dict[str, str] | None = None,
    drafts: dict[str, str] | None = None,
    status_code: int = 200,
) -> Template:
    company = await lookups.one(session, Company, person.company_id) if person.company_id else None
    [emails] = await lookups.emails_of_people(session, [person.id])
    shared = await _record_context(
        session,
        signed_in,
        PEOPLE,
        person,
        current={
            "name": person.name,
            "title": person.title,
            "company_id": person.company_id,
            "emails": emails,
        },
        shown={
            "name": person.name,
            "title": person.title or "",
            "company_id": str(person.company_id or ""),
            "emails": "\n".join(emails),
        },
        flash=flash,
        errors=errors,
        drafts=drafts,
    )
    return Template(
        template_name="person.html",
        context={
            **shared,
            "person": person,
            "company": company,
            "emails": emails,
            "companies": await _company_choices(session, company) if shared["can_edit"] else [],
        },
        status_code=status_code,
    )


@get("/people/{person_id:uuid}", name="person")
async def person_page(
    session: AsyncSession,
    signed_in: Visitor,
    person_id: Annotated[uuid.UUID, PathParameter()],
    flash: Flash = None,
) -> Response[Any]:
    """One person with their company, email addresses, notes, tasks and timeline."""
    return await _record_page(session, signed_in, PEOPLE, person_id, flash)


@post(
    "/people/{person_id:uuid}/edit",
    status_code=SEE_OTHER,
    opt=writes("/people/{person_id}", viewers_cannot=VIEWERS_CANNOT),
)
async def edit_person(
    request: Request[Any, Any, Any],
    session: AsyncSession,
    signed_in: Visitor,
    person_id: Annotated[uuid.UUID, PathParameter()],
) -> Response[Any]:
    """Save the inline edit of name, title, company and email addresses; errors at their fields."""
    return await _save_inline_edit(request, session, signed_in, person_id, PEOPLE)


# --- the inline edit both pages share -------------------------------------------------------


async def _save_company(
    session: AsyncSession, actor: Actor, company_id: uuid.UUID, sent: dict[str, str]
) -> None:
    await update_company(session, actor, company_id, **sent)


async def _save_person(
    session: AsyncSession, actor: Actor, person_id: uuid.UUID, sent: dict[str, str]
) -> None:
    changes: dict[str, Any] = {field: sent[field] for field in ("name", "title") if field in sent}
    if "emails" in sent:
        changes["emails"] = _emails_typed(sent["emails"])
    if "company_id" in sent:
        changes["company_id"] = await _company_chosen(session, sent["company_id"])
    await update_person(session, actor, person_id, **changes)


async def _save_inline_edit(
    request: Request[Any, Any, Any],
    session: AsyncSession,
    signed_in: Visitor,
    record_id: uuid.UUID,
    records: RecordKind,
) -> Response[Any]:
    """Save the fields the form sent (a field left out of the form is left as it is), and go
    back to the record's page; a refusal shows the page again with the error at its field
    and everything typed still in the form."""
    form = await request.form()
    sent = {
        name: str(form.get(name) or "")[:FIELD_TEXT_MAX] for name in records.fields if name in form
    }
    try:
        # A savepoint: a refused edit leaves nothing behind, the page can still be read.
        async with session.begin_nested():
            await records.save(session, signed_in.actor, record_id, sent)
    except CompoundError as error:
        record = await lookups.one(session, records.model, record_id)
        if record is None:
            return _not_found(records.kind, record_id)
        field = (error.field or "").split("[")[0]  # emails[2] is the email box
        return await records.page(
            session,
            signed_in,
            record,
            errors={field if field in records.fields else "form": error.message},
            drafts=sent,
            status_code=http_status(error),
        )
    return Redirect(f"{records.path}/{record_id}?flash=saved", status_code=SEE_OTHER)


COMPANIES: Final = RecordKind(
    kind="company",
    plural="companies",
    model=Company,
    fields=COMPANY_FIELDS,
    list_records=list_companies,
    name_filter=CompanyFilter,
    lists_companies=False,
    timeline_key="company_id",
    notes_of=lookups.notes_of_companies,
    tasks_of=lookups.tasks_of_companies,
    save=_save_company,
    page=_company_page,
)
PEOPLE: Final = RecordKind(
    kind="person",
    plural="people",
    model=Person,
    fields=PERSON_FIELDS,
    list_records=list_people,
    name_filter=PersonFilter,
    lists_companies=True,
    timeline_key="person_id",
    notes_of=lookups.notes_of_people,
    tasks_of=lookups.tasks_of_people,
    save=_save_person,
    page=_person_page,
)
