"""Relay-style connections: edges with cursors, pageInfo and totalCount."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from typing import Any, Generic, TypeVar

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types import Info
from strawberry.types.nodes import SelectedField

from compound.platform.graphql.context import context_of
from compound.platform.graphql.cost import PAGE, list_size
from compound.platform.records.paging import Page, check_page_size

DEFAULT_PAGE_SIZE = 20

Node = TypeVar("Node")


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None


@strawberry.type
class Edge(Generic[Node]):
    cursor: str
    node: Node


@strawberry.type
class Connection(Generic[Node]):
    edges: list[Edge[Node]] = strawberry.field(metadata=list_size(PAGE))
    page_info: PageInfo
    total_count: int


def total_count_requested(info: Info[Any, Any]) -> bool:
    """Whether the query selects `totalCount` on this connection (counting is not free)."""

    def names(selections: list[Any]) -> Iterator[str]:
        for selection in selections:
            if isinstance(selection, SelectedField):
                yield selection.name
            else:  # fragment spreads and inline fragments
                yield from names(selection.selections)

    return any("totalCount" in names(field.selections) for field in info.selected_fields)


def connection_from_page(page: Page[Any], to_node: Callable[[Any], Node]) -> Connection[Node]:
    return Connection(
        edges=[
            Edge(cursor=cursor, node=to_node(item))
            for item, cursor in zip(page.items, page.cursors, strict=True)
        ],
        page_info=PageInfo(has_next_page=page.has_next_page, end_cursor=page.end_cursor),
        total_count=page.total_count if page.total_count is not None else 0,
    )


async def fetch_page(
    info: Info[Any, Any],
    first: int | None,
    fetch: Callable[[AsyncSession, int, bool], Awaitable[Page[Any]]],
    *,
    default: int = DEFAULT_PAGE_SIZE,
) -> Page[Any]:
    """One page for a connection field: `first` checked against the limit, the total
    counted only when the query selects `totalCount`; `fetch(session, size, with_total)`."""
    context = context_of(info)
    size = check_page_size(first, default=default, maximum=context.settings.graphql_max_page_size)
    with_total = total_count_requested(info)
    return await context.run(lambda session: fetch(session, size, with_total))
