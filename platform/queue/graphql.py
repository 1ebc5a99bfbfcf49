"""GraphQL for background jobs: list them by state, put dead letters back in the queue."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Any

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.scalars import JSON
from strawberry.types import Info

from compound.platform.auth.actor import Actor
from compound.platform.graphql.connection import Connection, connection_from_page, fetch_page
from compound.platform.graphql.context import parse_id
from compound.platform.graphql.payloads import USER_ERRORS, UserError, run_mutation
from compound.platform.graphql.permissions import CanRead, CanWrite
from compound.platform.queue import service
from compound.platform.queue.models import Job, JobState


@strawberry.enum(name="JobState")
class JobStateEnum(Enum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    DEAD = "dead"


@strawberry.type(name="Job", description="One background job (a dramatiq message).")
class JobType:
    id: strawberry.ID
    actor: str
    queue: str
    state: JobStateEnum
    arguments: JSON = strawberry.field(description="The keyword arguments the actor gets.")
    attempts: int
    eta: datetime = strawberry.field(description="When it may run (next).")
    last_error: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None

    @classmethod
    def of(cls, row: Any) -> JobType:
        return cls(
            id=strawberry.ID(str(row.id)),
            actor=row.actor_name,
            queue=row.queue_name,
            state=JobStateEnum(row.state),
            arguments=(row.message or {}).get("kwargs", {}),
            attempts=row.attempts,
            eta=row.eta,
            last_error=row.last_error,
            created_at=row.created_at,
            started_at=row.started_at,
            finished_at=row.finished_at,
        )


@strawberry.type
class JobPayload:
    job: JobType | None
    user_errors: list[UserError] = strawberry.field(metadata=USER_ERRORS)


@strawberry.type
class QueueQuery:
    @strawberry.field(permission_classes=[CanRead], description="Background jobs, newest first.")
    async def jobs(
        self,
        info: Info[Any, Any],
        state: JobStateEnum | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[JobType]:
        async def page(session: AsyncSession, size: int, with_total: bool) -> Any:
            return await service.list_jobs(
                session,
                first=size,
                after=after,
                state=JobState(state.value) if state else None,
                with_total=with_total,
            )

        return connection_from_page(await fetch_page(info, first, page), JobType.of)


@strawberry.type
class QueueMutation:
    @strawberry.mutation(
        permission_classes=[CanWrite], description="Put a dead-lettered job back in its queue."
    )
    async def retry_job(self, info: Info[Any, Any], id: strawberry.ID) -> JobPayload:
        async def retry(session: AsyncSession, actor: Actor) -> Job:
            return await service.retry_job(session, parse_id(id))

        row, errors = await run_mutation(info, retry)
        return JobPayload(job=JobType.of(row) if row else None, user_errors=errors)
