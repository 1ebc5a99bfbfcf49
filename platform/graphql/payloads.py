"""User errors as data and the helper that runs a mutation inside a savepoint."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types import Info

from compound.platform.auth.actor import Actor
from compound.platform.errors import CompoundError
from compound.platform.graphql.context import context_of
from compound.platform.graphql.cost import list_size

T = TypeVar("T")

USER_ERRORS = list_size(1)
"""Metadata of each payload's `userErrors`: `run_mutation` reports the one error that stopped it."""


@strawberry.type(description="A problem with the input that the caller can fix.")
class UserError:
    field: str | None = strawberry.field(description="The input field at fault, if one is.")
    message: str
    code: str = strawberry.field(description="Stable machine-readable code, e.g. DUPLICATE.")

    @classmethod
    def of(cls, error: CompoundError) -> UserError:
        return cls(
            field=_camel(error.field) if error.field else None,
            message=error.message,
            code=error.code,
        )


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


async def run_mutation(
    info: Info[Any, Any], operation: Callable[[AsyncSession, Actor], Awaitable[T]]
) -> tuple[T | None, list[UserError]]:
    """Run `operation` in a savepoint: a domain error rolls back everything it wrote."""
    context = context_of(info)
    async with context.lock:
        try:
            async with context.session.begin_nested():
                return await operation(context.session, context.actor), []
        except CompoundError as error:
            return None, [UserError.of(error)]
