"""The example module's one query."""

from __future__ import annotations

from typing import Any

import strawberry
from sqlalchemy import func, select
from strawberry.types import Info

from compound.platform.graphql.context import context_of
from compound.platform.graphql.permissions import CanRead
from example.models import ExampleNote


@strawberry.type
class ExampleQuery:
    @strawberry.field(permission_classes=[CanRead], description="How many example notes.")
    async def example_note_count(self, info: Info[Any, Any]) -> int:
        async def count(session: Any) -> int:
            return int(await session.scalar(select(func.count()).select_from(ExampleNote)) or 0)

        return await context_of(info).run(count)
