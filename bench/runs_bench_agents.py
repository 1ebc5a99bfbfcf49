"""The agents bench/agent_runs.py has `compound worker --import runs_bench_agents` run: a
batch that fans out one child per email, each child triaging it (offline) and recording
a company through a write tool, so a run costs what a real one does in the database."""

from __future__ import annotations

from pydantic import BaseModel, Field

from compound.agents.runtime.agent import Agent, register
from compound.agents.runtime.context import RunContext
from compound.agents.runtime.tools import Effect, tool
from compound.agents.triage.contract import EmailForTriage
from compound.agents.triage.offline import triage_offline
from compound.platform.records import companies


class CompanyName(BaseModel):
    name: str = Field(min_length=1, max_length=200)


@tool(effect=Effect.WRITE)
async def record_company(context: RunContext, arguments: CompanyName) -> str:
    """Create the company the email is about."""
    company = await companies.create_company(
        context.require_session(), context.actor, name=arguments.name, compute_embedding=False
    )
    return str(company.id)


class Handled(BaseModel):
    kind: str
    company_id: str


async def handle_offline(context: RunContext, email: EmailForTriage) -> Handled:
    verdict = triage_offline(email)
    company_id = await context.call("record_company", CompanyName(name=email.subject[:200]))
    return Handled(kind=verdict.kind.value, company_id=str(company_id))


HANDLER = register(
    Agent(
        name="bench.handle_email",
        instructions="",
        input_schema=EmailForTriage,
        output_schema=Handled,
        offline=handle_offline,
        tools=(record_company,),
        untrusted_input=True,
    )
)


class Batch(BaseModel):
    emails: list[EmailForTriage]


class Ledger(BaseModel):
    done: int
    failed: int


async def batch_offline(context: RunContext, batch: Batch) -> Ledger:
    await context.start_children(HANDLER, batch.emails)
    children = await context.wait_for_children()
    done = sum(1 for child in children if child.state.value == "done")
    return Ledger(done=done, failed=len(children) - done)


BATCH = register(
    Agent(
        name="bench.batch",
        instructions="",
        input_schema=Batch,
        output_schema=Ledger,
        offline=batch_offline,
    )
)
