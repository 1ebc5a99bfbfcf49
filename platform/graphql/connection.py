"""Relay-style connections: edges with cursors, pageInfo and totalCount."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, Generic, TypeVar

import strawberry
from strawberry.types import Info
from strawberry.types.nodes import SelectedField

from compound.platform.records.paging import Page

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
    edges: list[Edge[Node]]
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
