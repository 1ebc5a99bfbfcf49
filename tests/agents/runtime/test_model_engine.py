"""The model engine with the real openai client against the scripted local server: tool
calls, bad output fed back, escalation, clean failure, approvals resumed by replay."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from compound.agents.inbox import service as inbox
from compound.agents.inbox.models import InboxItem
from compound.agents.runtime import service as runs
from compound.agents.runtime.models import AgentRun, Engine
from compound.platform.auth.actor import Actor
from compound.platform.llm.gateway import ModelGateway
from compound.platform.llm.models import LLMCall
from tests.agent_driver import drive
from tests.llm_server import (
    LLMServer,
    chat_json,
    chat_text,
    chat_tool_calls,
    gateway_settings,
    hang,
    rate_limited,
    running_llm_server,
)
from tests.runtime_agents import PLANNER, READER, SENT

GOOD = {"results": ["done"], "answer": None, "children_done": 0}


@pytest.fixture
def server() -> Iterator[LLMServer]:
    with running_llm_server() as running:
        yield running


async def run_on_model(
    session: AsyncSession,
    actor: Actor,
    server: LLMServer,
    agent: Any = PLANNER,
    **settings: Any,
) -> AgentRun:
    gateway = ModelGateway(gateway_settings(server, **settings))
    run = await runs.start_run(session, actor, agent, {"steps": []}, engine=Engine.MODEL)
    await session.commit()
    await drive(session, gateway=gateway)
    await session.refresh(run)
    return run


async def steps_of(session: AsyncSession, run: AgentRun) -> list[tuple[str, str]]:
    return [(s.kind, s.name) for s in await runs.run_steps(session, run.id)]


async def exception_items(session: AsyncSession, run: AgentRun) -> list[InboxItem]:
    statement = select(InboxItem).where(col(InboxItem.run_id) == run.id)
    return list((await session.execute(statement)).scalars())


async def test_tool_call_then_answer_is_journaled_priced_and_recorded(
    session: AsyncSession, actor: Actor, server: LLMServer
) -> None:
    name = f"Model Co {uuid.uuid4().hex[:6]}"
    server.script += [
        chat_tool_calls(
            [("add_company", {"name": name})], prompt_tokens=1000, completion_tokens=100
        ),
        chat_json(GOOD, prompt_tokens=2000, completion_tokens=50),
    ]
    run = await run_on_model(session, actor, server)
    assert (run.state, run.engine) == ("done", "model")
    assert run.output == GOOD
    assert await steps_of(session, run) == [
        ("model_call", "model:fast"),
        ("tool_call", "add_company"),
        ("model_call", "model:fast"),
        ("output", "output"),
    ]
    assert (run.prompt_tokens, run.completion_tokens) == (3000, 150)
    assert run.cost_usd == pytest.approx((3000 * 1.0 + 150 * 2.0) / 1_000_000)
    calls = (
        (await session.execute(select(LLMCall).where(col(LLMCall.run_id) == run.id)))
        .scalars()
        .all()
    )
    assert [(c.agent, c.model, c.outcome) for c in calls] == [
        ("tests.planner", "fast-model", "ok"),
        ("tests.planner", "fast-model", "ok"),
    ]
    second = server.chat_requests()[1]["messages"]
    assert second[-1]["role"] == "tool"
    assert json.loads(second[-1]["content"])["result"]  # the new company's id
    assert second[0]["role"] == "system" and "never instructions" in second[0]["content"]


@pytest.mark.parametrize(
    ("bad_call", "feedback"),
    [
        (("add_company", "{not json"), "arguments for add_company are invalid"),
        (("add_company", {"name": 123}), "name: Input should be a valid string"),
        (("drop_database", {}), "there is no tool named 'drop_database'"),
    ],
    ids=["malformed-json", "wrong-type", "unknown-tool"],
)
async def test_bad_tool_calls_are_fed_back_once_with_the_error(
    session: AsyncSession,
    actor: Actor,
    server: LLMServer,
    bad_call: tuple[str, Any],
    feedback: str,
) -> None:
    server.script += [chat_tool_calls([bad_call]), chat_json(GOOD)]
    run = await run_on_model(session, actor, server)
    assert run.state == "done"
    fed_back = server.chat_requests()[1]["messages"][-1]
    assert fed_back["role"] == "tool" and feedback in fed_back["content"]


async def test_output_that_misses_the_schema_twice_escalates_to_smart(
    session: AsyncSession, actor: Actor, server: LLMServer
) -> None:
    server.script += [chat_text("Sure! Here you go."), chat_json({"results": "x"}), chat_json(GOOD)]
    run = await run_on_model(session, actor, server)
    assert run.state == "done"
    assert [r["model"] for r in server.chat_requests()] == [
        "fast-model",
        "fast-model",
        "smart-model",
    ]
    assert ("policy", "escalated") in await steps_of(session, run)
    assert "does not fit the output schema" in server.chat_requests()[1]["messages"][-1]["content"]


async def test_output_still_bad_after_escalation_fails_cleanly(
    session: AsyncSession, actor: Actor, server: LLMServer
) -> None:
    server.script += [chat_text("nope")] * 4
    run = await run_on_model(session, actor, server)
    assert run.state == "failed"
    assert "unusable output twice on the smart tier" in (run.error or "")
    [item] = await exception_items(session, run)
    assert item.kind == "exception"
    assert (await steps_of(session, run))[-1] == ("failure", "failure")


async def test_a_429_inside_a_run_is_retried_and_both_attempts_recorded(
    session: AsyncSession, actor: Actor, server: LLMServer
) -> None:
    server.script += [rate_limited(0), chat_json(GOOD)]
    run = await run_on_model(session, actor, server)
    assert run.state == "done"
    outcomes = (
        await session.execute(
            select(LLMCall.outcome).where(col(LLMCall.run_id) == run.id)  # type: ignore[call-overload]
        )
    ).scalars()
    assert sorted(outcomes) == ["ok", "rate_limited"]


async def test_a_model_that_hangs_fails_the_run_cleanly_with_the_reason(
    session: AsyncSession, actor: Actor, server: LLMServer
) -> None:
    server.script += [hang(30), hang(30)]
    run = await run_on_model(session, actor, server, llm_timeout_seconds=0.3, llm_max_attempts=2)
    assert run.state == "failed"
    assert "no answer within 0.3 s" in (run.error or "")
    assert len(await exception_items(session, run)) == 1


async def test_a_tainted_model_run_waits_for_approval_then_replays_not_recalls(
    session: AsyncSession, actor: Actor, server: LLMServer
) -> None:
    SENT.clear()
    server.script += [
        chat_tool_calls([("send_email", {"to": "ceo@example.com", "subject": "Re: hi"})]),
        chat_json(GOOD),
    ]
    gateway = ModelGateway(gateway_settings(server))
    run = await runs.start_run(session, actor, READER, {"steps": []}, engine=Engine.MODEL)
    await session.commit()
    await drive(session, gateway=gateway)
    await session.refresh(run)
    assert (run.state, run.waiting_for) == ("waiting", "approval")
    assert SENT == [] and len(server.chat_requests()) == 1
    [item] = await exception_items(session, run)
    await inbox.decide(session, actor, item.id, inbox.Action.APPROVE)
    await session.commit()
    await drive(session, gateway=gateway)
    await session.refresh(run)
    assert run.state == "done"
    assert [{"to": "ceo@example.com", "subject": "Re: hi", "run": str(run.id)}] == SENT
    # The first model call was replayed from the journal, not asked again.
    assert len(server.chat_requests()) == 2
    assert await steps_of(session, run) == [
        ("model_call", "model:fast"),
        ("policy", "approval_required"),
        ("tool_call", "send_email"),
        ("model_call", "model:fast"),
        ("output", "output"),
    ]
