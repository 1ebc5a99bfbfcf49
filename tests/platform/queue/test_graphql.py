"""GraphQL over the job table: list by state, retry a dead letter, refuse anything else."""

from __future__ import annotations

import uuid

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from compound.platform.queue import service
from compound.platform.queue.models import Job
from tests.conftest import GraphQLClient, Tokens

JOBS = """query($state: JobState) { jobs(state: $state, first: 10) {
  totalCount edges { node { id actor queue state arguments attempts lastError } } } }"""
RETRY = "mutation($id: ID!) { retryJob(id: $id) { job { id state } userErrors { code message } } }"


async def test_jobs_by_state_and_retrying_a_dead_letter(
    graphql: GraphQLClient, session: AsyncSession
) -> None:
    from tests.queue_actors import record_run

    job_id = await service.enqueue(session, record_run, marker="graphql-job")
    await session.execute(
        update(Job).where(Job.id == job_id).values(state="dead", last_error="boom", attempts=3)
    )
    await session.commit()

    dead = await graphql.execute(JOBS, {"state": "DEAD"})
    [edge] = dead["data"]["jobs"]["edges"]
    assert edge["node"] == {
        "id": str(job_id),
        "actor": "tests.record_run",
        "queue": "default",
        "state": "DEAD",
        "arguments": {"marker": "graphql-job"},
        "attempts": 3,
        "lastError": "boom",
    }
    retried = await graphql.execute(RETRY, {"id": str(job_id)})
    assert retried["data"]["retryJob"] == {
        "job": {"id": str(job_id), "state": "QUEUED"},
        "userErrors": [],
    }
    again = await graphql.execute(RETRY, {"id": str(job_id)})
    assert again["data"]["retryJob"]["userErrors"][0]["code"] == "INVALID"
    assert "only dead jobs" in again["data"]["retryJob"]["userErrors"][0]["message"]
    missing = await graphql.execute(RETRY, {"id": str(uuid.uuid4())})
    assert missing["data"]["retryJob"]["userErrors"][0]["code"] == "NOT_FOUND"
    queued = await graphql.execute(JOBS, {"state": "QUEUED"})
    assert queued["data"]["jobs"]["totalCount"] == 1


async def test_retrying_needs_the_write_scope(graphql: GraphQLClient, tokens: Tokens) -> None:
    body = await graphql.as_token(tokens.read_only).execute(RETRY, {"id": str(uuid.uuid4())})
    assert "missing scope 'write'" in body["errors"][0]["message"]
