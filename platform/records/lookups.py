"""Batch reads by many ids at once: what the per-request DataLoaders call (one query per batch)."""

from __future__ import annotations

import asyncio
import uuid
from collections import defaultdict
from collections.abc import Sequence
from typing import Any, TypeAlias

from sqlalchemy import LargeBinary, Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import SQLModel, col

from compound.platform.records.models import (
    Activity,
    Company,
    Note,
    Person,
    PersonEmail,
    RecordProvenance,
    Task,
)

# Reads return rows of a record's columns (row.name, row.company_id …), not ORM objects:
# building SQLModel instances was a third of the CPU of a page of companies, and the
# embedding (384 floats to parse per row) is never shown.
RecordView: TypeAlias = Any
MAX_TIMELINE = 200
MAX_PROVENANCE = 200
# Rows are read from the server this many at a time: converting thousands of rows at once
# held the event loop for a tenth of a second and more; between two slices it serves the
# other requests.
FETCH_ROWS = 500


async def fetch_all(session: AsyncSession, statement: Any) -> list[Any]:
    """The statement's rows, converted FETCH_ROWS at a time with a pause for the event loop
    between slices. Client-side: a server-side cursor cost three round trips per read and
    made a company page (eight reads) three times slower."""
    rows: list[Any] = []
    result = await session.execute(statement)
    for index, partition in enumerate(result.partitions(FETCH_ROWS)):
        if index:
            await asyncio.sleep(0)
        rows.extend(partition)
    return rows


def view_columns(model: type[SQLModel]) -> list[Any]:
    table: Any = model.__table__  # type: ignore[attr-defined]
    # Blobs (a raw message, an attachment's bytes) are read only by who needs the bytes.
    return [
        column
        for column in table.columns
        if column.name != "embedding" and not isinstance(column.type, LargeBinary)
    ]


def select_view(model: type[SQLModel]) -> Select[Any]:
    return select(*view_columns(model))


async def by_ids(
    session: AsyncSession, model: type[SQLModel], ids: Sequence[uuid.UUID]
) -> list[RecordView | None]:
    """Rows of `model` in the order of `ids` (None where missing)."""
    column: Any = model.id  # type: ignore[attr-defined]
    rows = await fetch_all(session, select_view(model).where(column.in_(set(ids))))
    found = {row.id: row for row in rows}
    return [found.get(record_id) for record_id in ids]


async def grouped_by(
    session: AsyncSession,
    model: type[SQLModel],
    column_name: str,
    keys: Sequence[uuid.UUID],
    *,
    order_by: str | Sequence[str] = "created_at",
    limit: int | None = None,
    keep_last: bool = False,
) -> list[list[RecordView]]:
    """For each key, the rows of `model` whose `column_name` equals it (one query for all keys),
    in `order_by` order; with `limit`, at most that many per key: the first ones, or with
    `keep_last` the last ones (still in `order_by` order)."""
    column: Any = getattr(model, column_name)
    names = [order_by] if isinstance(order_by, str) else list(order_by)
    order: list[Any] = [getattr(model, name) for name in names]
    if limit is None:
        statement = select_view(model).where(column.in_(set(keys))).order_by(*order)
    else:
        # Ranked inside the database, as the timeline: a key with a million rows costs
        # `limit` of them, not all.
        rank_order = [item.desc() for item in order] if keep_last else order
        ranked = (
            select(
                *view_columns(model),
                func.row_number().over(partition_by=column, order_by=rank_order).label("rank"),
            )
            .where(column.in_(set(keys)))
            .subquery()
        )
        statement = (
            select(*(ranked.c[item.name] for item in view_columns(model)))
            .where(ranked.c.rank <= limit)
            .order_by(*(ranked.c[name] for name in names))
        )
    groups: dict[uuid.UUID, list[RecordView]] = defaultdict(list)
    for row in await fetch_all(session, statement):
        groups[getattr(row, column_name)].append(row)
    return [groups.get(key, []) for key in keys]


async def one(session: AsyncSession, model: type[SQLModel], record_id: uuid.UUID) -> RecordView:
    return (await by_ids(session, model, [record_id]))[0]


async def companies_by_ids(
    session: AsyncSession, ids: Sequence[uuid.UUID]
) -> list[RecordView | None]:
    return await by_ids(session, Company, ids)


async def people_by_ids(session: AsyncSession, ids: Sequence[uuid.UUID]) -> list[RecordView | None]:
    return await by_ids(session, Person, ids)


async def notes_by_ids(session: AsyncSession, ids: Sequence[uuid.UUID]) -> list[RecordView | None]:
    return await by_ids(session, Note, ids)


async def tasks_by_ids(session: AsyncSession, ids: Sequence[uuid.UUID]) -> list[RecordView | None]:
    return await by_ids(session, Task, ids)


async def people_of_companies(
    session: AsyncSession, ids: Sequence[uuid.UUID], *, limit: int | None = None
) -> list[list[RecordView]]:
    return await grouped_by(session, Person, "company_id", ids, order_by="name", limit=limit)


async def notes_of_companies(
    session: AsyncSession, ids: Sequence[uuid.UUID], *, limit: int | None = None
) -> list[list[RecordView]]:
    return await grouped_by(session, Note, "company_id", ids, limit=limit, keep_last=True)


async def notes_of_people(
    session: AsyncSession, ids: Sequence[uuid.UUID], *, limit: int | None = None
) -> list[list[RecordView]]:
    return await grouped_by(session, Note, "person_id", ids, limit=limit, keep_last=True)


async def tasks_of_companies(
    session: AsyncSession, ids: Sequence[uuid.UUID], *, limit: int | None = None
) -> list[list[RecordView]]:
    return await grouped_by(session, Task, "company_id", ids, limit=limit, keep_last=True)


async def tasks_of_people(
    session: AsyncSession, ids: Sequence[uuid.UUID], *, limit: int | None = None
) -> list[list[RecordView]]:
    return await grouped_by(session, Task, "person_id", ids, limit=limit, keep_last=True)


async def emails_of_people(session: AsyncSession, ids: Sequence[uuid.UUID]) -> list[list[str]]:
    groups = await grouped_by(session, PersonEmail, "person_id", ids, order_by="position")
    return [[row.email for row in group] for group in groups]


async def provenance_of(
    session: AsyncSession,
    subject_type: str,
    ids: Sequence[uuid.UUID],
    *,
    limit: int = MAX_PROVENANCE,
) -> list[list[RecordView]]:
    """For each record id, what agents wrote on it, newest first (at most `limit` each)."""
    newest_first = col(RecordProvenance.created_at).desc()
    # Ranked in the database, as the timeline: a record agents keep revising stays cheap.
    ranked = (
        select(
            *view_columns(RecordProvenance),
            func.row_number()
            .over(partition_by=col(RecordProvenance.subject_id), order_by=newest_first)
            .label("rank"),
        )
        .where(col(RecordProvenance.subject_type) == subject_type)
        .where(col(RecordProvenance.subject_id).in_(set(ids)))
        .subquery()
    )
    statement = (
        select(ranked)
        .where(ranked.c.rank <= limit)
        .order_by(ranked.c.subject_id, ranked.c.created_at.desc(), ranked.c.field)
    )
    groups: dict[uuid.UUID, list[RecordView]] = defaultdict(list)
    for row in await fetch_all(session, statement):
        groups[row.subject_id].append(row)
    return [groups.get(key, []) for key in ids]


async def timeline_of(
    session: AsyncSession, column_name: str, ids: Sequence[uuid.UUID], *, limit: int = MAX_TIMELINE
) -> list[list[RecordView]]:
    """Newest-first timeline entries for each company or person id (at most `limit` each)."""
    column: Any = getattr(Activity, column_name)
    newest_first = col(Activity.occurred_at).desc()
    # Rank inside the database so a record with a long history costs `limit` rows, not all.
    ranked = (
        select(
            *view_columns(Activity),
            func.row_number().over(partition_by=column, order_by=newest_first).label("rank"),
        )
        .where(column.in_(set(ids)))
        .subquery()
    )
    statement = (
        select(ranked)
        .where(ranked.c.rank <= limit)
        .order_by(ranked.c[column_name], ranked.c.occurred_at.desc())
    )
    groups: dict[uuid.UUID, list[RecordView]] = defaultdict(list)
    for row in await fetch_all(session, statement):
        groups[getattr(row, column_name)].append(row)
    return [groups.get(key, []) for key in ids]
