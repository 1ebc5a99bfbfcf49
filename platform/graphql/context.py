"""The per-request GraphQL context: one session, the caller's Actor, DataLoaders, a lock,
and turns of the event loop (platform/graphql/turns.py) for what its reads bring back."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types import Info

from compound.platform.auth.actor import Actor
from compound.platform.config import Settings
from compound.platform.errors import CompoundError, ValidationFailed
from compound.platform.graphql.turns import TurnTakingLoader, turns
from graphql import GraphQLError

T = TypeVar("T")
K = TypeVar("K")
CONTEXT_KEY = "compound"


@dataclass
class GraphQLContext:
    """Everything a resolver needs; `run` serializes use of the one session per request."""

    session: AsyncSession
    actor: Actor
    settings: Settings
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    loaders: dict[str, TurnTakingLoader[Any, Any]] = field(default_factory=dict)

    async def run(self, operation: Callable[[AsyncSession], Awaitable[T]]) -> T:
        """Run a read on the session; domain errors become GraphQL errors with their code.
        The rows come back in this request's next turn of the event loop."""
        async with self.lock:
            try:
                result = await operation(self.session)
            except CompoundError as error:
                raise graphql_error(error) from error
        await turns().take(self)
        return result

    def forget_loaded(self) -> None:
        """Drop the loaders and what they loaded, once the answer is built. Each loader's
        function refers back to this context: left to the garbage collector, that cycle kept
        every row of the request alive until a full collection, and made those slow."""
        self.loaders.clear()

    def loader(
        self, name: str, batch: Callable[[AsyncSession, Sequence[K]], Awaitable[Sequence[T]]]
    ) -> TurnTakingLoader[K, T]:
        """The request's DataLoader called `name`, created on first use."""
        existing = self.loaders.get(name)
        if existing is None:

            async def load(keys: list[K]) -> Sequence[T]:
                async with self.lock:
                    return await batch(self.session, keys)

            existing = TurnTakingLoader(load, owner=self)
            self.loaders[name] = existing
        return existing


def graphql_error(error: CompoundError) -> GraphQLError:
    extensions: dict[str, Any] = {"code": error.code}
    if error.field:
        extensions["field"] = error.field
    return GraphQLError(error.message, extensions=extensions)


def context_of(info: Info[Any, Any]) -> GraphQLContext:
    context: GraphQLContext = info.context[CONTEXT_KEY]
    return context


def parse_id(value: str, *, field: str = "id") -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise ValidationFailed(
            f"{field} {str(value)[:60]!r} is not a valid id", field=field
        ) from None
