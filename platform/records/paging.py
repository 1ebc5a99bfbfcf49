"""Keyset pagination: opaque cursors over (sort value, id), stable under concurrent inserts."""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Generic, Protocol, Required, TypedDict, TypeVar, Unpack

from sqlalchemy import Select, func, literal, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from compound.platform.errors import ValidationFailed
from compound.platform.records.lookups import select_view
from compound.platform.records.models import Company, Person
from compound.platform.records.rules import optional_text

T = TypeVar("T")
MAX_CURSOR_LENGTH = 1000
MAX_FILTER_LENGTH = 200


class RecordOrder(StrEnum):
    """How lists of records (companies, people) can be sorted; the id breaks ties."""

    NAME = "name"
    CREATED_AT = "created_at"
    UPDATED_AT = "updated_at"


def sort_column(model: Any, order: RecordOrder) -> InstrumentedAttribute[Any]:
    column: InstrumentedAttribute[Any] = getattr(model, order.value)
    return column


def where_name_contains(statement: Select[Any], model: Any, text: str | None) -> Select[Any]:
    """Case-insensitive substring filter on `model.name`; % and _ match themselves."""
    needle = optional_text(text, field="nameContains", max_length=MAX_FILTER_LENGTH)
    if not needle:
        return statement
    return statement.where(func.lower(model.name).contains(needle.lower(), autoescape=True))


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    cursors: list[str]
    has_next_page: bool
    # None when the caller did not ask: counting a large table costs more than the page.
    total_count: int | None

    @property
    def end_cursor(self) -> str | None:
        return self.cursors[-1] if self.cursors else None


def encode_cursor(value: Any, record_id: uuid.UUID) -> str:
    if isinstance(value, datetime):
        value = {"t": value.isoformat()}
    raw = json.dumps([value, str(record_id)], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[Any, uuid.UUID]:
    problem = ValidationFailed(
        f"invalid cursor {cursor[:40]!r}: pass an endCursor you were given", field="after"
    )
    if len(cursor) > MAX_CURSOR_LENGTH:
        raise problem
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value, record_id = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if isinstance(value, dict) and set(value) == {"t"}:
            value = datetime.fromisoformat(value["t"])
        return value, uuid.UUID(record_id)
    except (ValueError, TypeError, binascii.Error, json.JSONDecodeError):
        raise problem from None


def check_page_size(first: int | None, *, default: int, maximum: int) -> int:
    if first is None:
        return default
    if first < 0 or first > maximum:
        raise ValidationFailed(
            f"`first` must be between 0 and {maximum} "
            f"(page size limit: first ≤ {maximum}); got {first}",
            field="first",
        )
    return first


async def paginate(
    session: AsyncSession,
    statement: Select[Any],
    *,
    sort_column: InstrumentedAttribute[Any],
    id_column: InstrumentedAttribute[Any],
    descending: bool,
    first: int,
    after: str | None,
    with_total: bool = True,
) -> Page[Any]:
    """Run `statement` (already filtered) as one page of a keyset-paginated list."""
    total = (
        await session.scalar(select(func.count()).select_from(statement.order_by(None).subquery()))
        if with_total
        else None
    )
    if after:
        value, last_id = decode_cursor(after)
        expected = sort_column.type.python_type
        # A cursor from another ordering, or a forged one, must not reach the SQL.
        if not isinstance(value, expected) or (isinstance(value, str) and "\x00" in value):
            raise ValidationFailed(
                f"invalid cursor {after[:40]!r}: it does not belong to this ordering",
                field="after",
            )
        # A row comparison, so Postgres walks the (sort, id) index from the cursor on
        # instead of filtering every row before it.
        position = tuple_(sort_column, id_column)
        cursor = tuple_(literal(value, sort_column.type), literal(last_id, id_column.type))
        statement = statement.where(position < cursor if descending else position > cursor)
    order = (
        (sort_column.desc(), id_column.desc())
        if descending
        else (sort_column.asc(), id_column.asc())
    )
    rows = list((await session.execute(statement.order_by(*order).limit(first + 1))).all())
    has_next = len(rows) > first
    rows = rows[:first]
    sort_key = sort_column.key
    cursors = [encode_cursor(getattr(row, sort_key), row.id) for row in rows]
    return Page(
        items=rows,
        cursors=cursors,
        has_next_page=has_next,
        total_count=int(total or 0) if with_total else None,
    )


async def newest_first(
    session: AsyncSession,
    statement: Select[Any],
    model: Any,
    *,
    first: int,
    after: str | None,
    with_total: bool = True,
) -> Page[Any]:
    """`statement` (rows of `model`, already filtered) as a page, newest `created_at` first."""
    return await paginate(
        session,
        statement,
        sort_column=model.created_at,
        id_column=model.id,
        descending=True,
        first=first,
        after=after,
        with_total=with_total,
    )


class PageRequest(TypedDict, total=False):
    """Which page of a list of records: its size, the cursor it starts after, the order (by
    name unless said; the id breaks ties), and whether to count them all."""

    first: Required[int]
    after: str | None
    order_by: RecordOrder
    descending: bool
    with_total: bool


class RecordFilter(Protocol):
    def where(self, statement: Select[Any]) -> Select[Any]:
        """`statement` narrowed to the records this filter keeps."""
        ...


async def list_records(
    session: AsyncSession,
    model: type[Company] | type[Person],
    filter: RecordFilter | None,
    **request: Unpack[PageRequest],
) -> Page[Any]:
    """One page of a kind of record (companies, people) as views of their columns, narrowed
    by `filter`: the one implementation behind `list_companies` and `list_people`."""
    statement = select_view(model)
    if filter is not None:
        statement = filter.where(statement)
    return await paginate(
        session,
        statement,
        sort_column=sort_column(model, request.get("order_by", RecordOrder.NAME)),
        id_column=model.id,  # type: ignore[arg-type]
        descending=request.get("descending", False),
        first=request["first"],
        after=request.get("after"),
        with_total=request.get("with_total", True),
    )
