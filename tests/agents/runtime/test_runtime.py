"""The runtime on offline engines: journaled steps, the taint policy and approvals, questions,
budgets, fan-out and join, crashes — all on the real database."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from compound.agents.inbox import service as inbox
from compound.agents.inbox.models import InboxItem
from compound.agents.runtime import service as runs
from compound.agents.runtime.models import AgentRun
from compound.platform.auth.actor import Actor
from compound.platform.errors import PermissionDenied, ValidationFailed
from compound.platform.queue.models import Job
from compound.platform.records.models import AuditEvent, Company
from tests.agent_driver import drive
from tests.runtime_agents import PLANNER, READER, SENT


async def start(
    session: AsyncSession, actor: Actor, plan: dict[str, Any], agent: Any = PLANNER
) -> AgentRun:
    run = await runs.start_run(session, actor, agent, plan)
    await session.commit()
    await drive(session)
    await session.refresh(run)
    return run


async def items_of(session: AsyncSession, run: AgentRun) -> list[InboxItem]:
    statement = (
        select(InboxItem)
        .where(col(InboxItem.root_run_id) == run.root_id)
        .order_by(col(InboxItem.created_at))
    )
    return list((await session.execute(statement)).scalars())


async def company_named(session: AsyncSession, name: str) -> Company | None:
    statement = select(Company).where(col(Company.name) == name)
    return (await session.execute(statement)).scalar_one_or_none()


async def test_an_offline_run_journals_each_tool_call_and_its_result(
    session: AsyncSession, actor: Actor
) -> None:
    name = f"Journal {uuid.uuid4().hex[:6]}"
    run = await start(
        session,
        actor,
        {"steps": [["add_company", {"name": name}], ["count_companies", {"name": name}]]},
    )
    assert (run.state, run.engine) == ("done", "offline")
    assert run.output is not None and run.output["results"][1] == "1"
    steps = await runs.run_steps(session, run.id)
    assert [(s.kind, s.name) for s in steps] == [
        ("tool_call", "add_company"),
        ("tool_call", "count_companies"),
        ("output", "output"),
    ]
    assert steps[0].arguments == {"name": name}
    company = await company_named(session, name)
    assert company is not None and steps[0].result == {"value": str(company.id)}
    audit = (
        await session.execute(select(AuditEvent).where(col(AuditEvent.subject_id) == company.id))
    ).scalar_one()
    assert audit.actor_label == "agent:tests.planner"


async def test_a_tool_that_refuses_leaves_no_half_written_record(
    session: AsyncSession, actor: Actor
) -> None:
    name = f"fail {uuid.uuid4().hex[:6]}"
    run = await start(session, actor, {"steps": [["add_company", {"name": name}]]})
    assert run.state == "done"
    assert run.output is not None and run.output["results"] == [f"failed: refusing {name}"]
    assert await company_named(session, name) is None
    steps = await runs.run_steps(session, run.id)
    assert steps[0].error == f"refusing {name}"


async def test_a_tool_outside_the_agents_set_is_refused_and_reported(
    session: AsyncSession, actor: Actor
) -> None:
    run = await start(session, actor, {"steps": [["add_company", {"name": "Fine"}]]}, READER)
    assert run.state == "failed"
    assert "may not call 'add_company'" in (run.error or "")
    steps = await runs.run_steps(session, run.id)
    assert steps[0].kind == "policy" and steps[0].name == "tool_refused"
    [item] = await items_of(session, run)
    assert item.kind == "exception" and item.status == "open"
    assert await company_named(session, "Fine") is None


async def test_an_untainted_run_sends_but_a_tainted_one_waits_for_approval(
    session: AsyncSession, actor: Actor
) -> None:
    SENT.clear()
    clean = await start(
        session, actor, {"steps": [["send_email", {"to": "a@example.com", "subject": "hi"}]]}
    )
    assert clean.state == "done" and len(SENT) == 1

    tainted = await start(
        session,
        actor,
        {
            "steps": [
                ["read_web_page", {"url": "https://evil.example"}],
                ["send_email", {"to": "all@example.com", "subject": "leak"}],
            ]
        },
    )
    assert (tainted.state, tainted.waiting_for, tainted.tainted) == ("waiting", "approval", True)
    assert len(SENT) == 1
    [item] = await items_of(session, tainted)
    assert item.kind == "approval"
    assert item.proposal == {
        "tool": "send_email",
        "arguments": {"to": "all@example.com", "subject": "leak"},
    }
    await inbox.decide(session, actor, item.id, inbox.Action.APPROVE)
    await session.commit()
    await drive(session)
    await session.refresh(tainted)
    assert tainted.state == "done"
    assert SENT[-1] == {"to": "all@example.com", "subject": "leak", "run": str(tainted.id)}
    audit = (
        await session.execute(select(AuditEvent).where(col(AuditEvent.subject_id) == item.id))
    ).scalar_one()
    assert (audit.action, audit.actor_label) == ("inbox.approve", actor.label)


async def test_an_agent_reading_email_needs_approval_from_its_first_step(
    session: AsyncSession, actor: Actor
) -> None:
    SENT.clear()
    run = await start(
        session, actor, {"steps": [["send_email", {"to": "x@example.com", "subject": "s"}]]}, READER
    )
    assert (run.state, run.tainted) == ("waiting", True)
    assert SENT == []


async def test_an_edited_approval_is_checked_against_the_tools_schema(
    session: AsyncSession, actor: Actor
) -> None:
    SENT.clear()
    run = await start(
        session, actor, {"steps": [["send_email", {"to": "x@example.com", "subject": "s"}]]}, READER
    )
    [item] = await items_of(session, run)
    with pytest.raises(ValidationFailed) as bad:
        await inbox.decide(
            session,
            actor,
            item.id,
            inbox.Action.APPROVE,
            arguments={"to": "nobody", "subject": "s"},
        )
    assert bad.value.field == "arguments.to"
    await inbox.decide(
        session,
        actor,
        item.id,
        inbox.Action.APPROVE,
        arguments={"to": "fixed@example.com", "subject": "edited"},
    )
    await session.commit()
    await drive(session)
    await session.refresh(run)
    assert run.state == "done"
    assert [{"to": "fixed@example.com", "subject": "edited", "run": str(run.id)}] == SENT
    with pytest.raises(ValidationFailed, match="already approved"):
        await inbox.decide(session, actor, item.id, inbox.Action.REJECT)


async def test_a_rejected_action_is_not_taken_and_the_run_goes_on(
    session: AsyncSession, actor: Actor
) -> None:
    SENT.clear()
    run = await start(
        session, actor, {"steps": [["send_email", {"to": "x@example.com", "subject": "s"}]]}, READER
    )
    [item] = await items_of(session, run)
    await inbox.decide(session, actor, item.id, inbox.Action.REJECT, reason="not to them")
    await session.commit()
    await drive(session)
    await session.refresh(run)
    assert run.state == "done" and SENT == []
    assert run.output is not None
    assert run.output["results"] == [f"rejected: send_email was rejected by {actor.label}"]


async def test_a_viewer_cannot_decide(session: AsyncSession, actor: Actor) -> None:
    run = await start(
        session, actor, {"steps": [["send_email", {"to": "x@example.com", "subject": "s"}]]}, READER
    )
    [item] = await items_of(session, run)
    viewer = Actor(label="viewer", scopes=frozenset({"read"}))
    with pytest.raises(PermissionDenied):
        await inbox.decide(session, viewer, item.id, inbox.Action.APPROVE)


async def test_a_question_waits_for_an_answer_from_its_choices(
    session: AsyncSession, actor: Actor
) -> None:
    run = await start(session, actor, {"question": "Is Foo Labs the same as Foo?"})
    assert (run.state, run.waiting_for) == ("waiting", "answer")
    [item] = await items_of(session, run)
    assert (item.kind, item.title, item.proposal) == (
        "question",
        "Is Foo Labs the same as Foo?",
        {"choices": ["yes", "no"]},
    )
    with pytest.raises(ValidationFailed, match="one of: yes, no"):
        await inbox.decide(session, actor, item.id, inbox.Action.ANSWER, answer="maybe")
    with pytest.raises(ValidationFailed):
        await inbox.decide(session, actor, item.id, inbox.Action.ANSWER, answer="  ")
    await inbox.decide(session, actor, item.id, inbox.Action.ANSWER, answer="YES")
    await session.commit()
    await drive(session)
    await session.refresh(run)
    assert run.state == "done"
    assert run.output is not None and run.output["answer"] == "yes"


async def test_a_run_over_budget_stops_with_an_exception_item(
    session: AsyncSession, actor: Actor
) -> None:
    steps = [["count_companies", {"name": "x"}]] * 9
    run = await start(session, actor, {"steps": steps})
    assert run.state == "failed"
    assert "budget is used up after 8 steps" in (run.error or "")
    [item] = await items_of(session, run)
    assert item.kind == "exception" and "budget used up" in item.title


async def test_fan_out_runs_children_as_jobs_and_joins_them(
    session: AsyncSession, actor: Actor
) -> None:
    names = [f"Child {uuid.uuid4().hex[:6]}" for _ in range(3)] + ["fail child"]
    parent = await runs.start_run(session, actor, PLANNER, {"children": names})
    await session.commit()
    await drive(session, most=1)
    await session.refresh(parent)
    assert (parent.state, parent.waiting_for, parent.children_total) == ("waiting", "children", 4)
    children = await runs.child_runs(session, parent.id)
    assert {child.root_id for child in children} == {parent.id}
    await drive(session)
    await session.refresh(parent)
    assert parent.state == "done"
    assert parent.children_finished == 4
    assert parent.output is not None and parent.output["children_done"] == 4
    for name in names[:3]:
        assert await company_named(session, name) is not None
    # The join resumed the parent once, not once per child.
    advances = await session.scalar(
        select(func.count())
        .select_from(Job)
        .where(col(Job.message)["kwargs"]["run_id"].astext == str(parent.id))
    )
    assert advances == 2


async def test_a_crash_is_rolled_back_retried_once_then_reported(
    session: AsyncSession, actor: Actor
) -> None:
    name = f"Crash {uuid.uuid4().hex[:6]}"
    run = await start(
        session,
        actor,
        {"steps": [["add_company", {"name": name}], ["explode", {"name": name}]]},
    )
    assert (run.state, run.crashes) == ("queued", 1)
    assert await company_named(session, name) is None
    # The retry waits out a backoff; make it due now.
    await session.execute(update(Job).where(col(Job.state) == "queued").values(eta=func.now()))
    await session.commit()
    await drive(session)
    await session.refresh(run)
    assert (run.state, run.crashes) == ("failed", 2)
    assert "RuntimeError: boom near" in (run.error or "")
    [item] = await items_of(session, run)
    assert item.kind == "exception" and "crashed" in item.title
    assert await company_named(session, name) is None
    steps = await runs.run_steps(session, run.id)
    assert steps == []


async def test_bad_input_is_refused_before_a_run_exists(
    session: AsyncSession, actor: Actor
) -> None:
    before = await session.scalar(select(func.count()).select_from(AgentRun))
    with pytest.raises(ValidationFailed) as bad:
        await runs.start_run(session, actor, PLANNER, {"steps": "not a list"})
    assert bad.value.field == "input" and "steps" in bad.value.message
    assert await session.scalar(select(func.count()).select_from(AgentRun)) == before


async def test_exceptions_are_reported_while_the_run_goes_on_and_bulk_dismissed(
    session: AsyncSession, actor: Actor
) -> None:
    run = await start(
        session,
        actor,
        {"exceptions": ["no URL for Foo Labs", "no URL for Bar"], "report": "48 added, 2 need you"},
    )
    assert run.state == "done"
    items = await items_of(session, run)
    assert [(i.kind, i.title) for i in items] == [
        ("exception", "no URL for Foo Labs"),
        ("exception", "no URL for Bar"),
        ("report", "48 added, 2 need you"),
    ]
    assert items[2].evidence[0]["quote"] == "48 added, 2 need you"
    closed = await inbox.decide_group(session, actor, run.id, inbox.Action.DISMISS)
    assert [item.status for item in closed] == ["dismissed"] * 3
    with pytest.raises(ValidationFailed, match="no open items"):
        await inbox.decide_group(session, actor, run.id, inbox.Action.DISMISS)
    other = await start(session, actor, {"exceptions": ["no URL for Baz"]})
    [item] = await items_of(session, other)
    with pytest.raises(ValidationFailed, match="cannot be given 'approve'"):
        await inbox.decide(session, actor, item.id, inbox.Action.APPROVE)


async def test_oversized_and_hostile_decisions_are_refused_with_the_field(
    session: AsyncSession, actor: Actor
) -> None:
    run = await start(
        session, actor, {"steps": [["send_email", {"to": "x@example.com", "subject": "s"}]]}, READER
    )
    [item] = await items_of(session, run)
    with pytest.raises(ValidationFailed) as long_subject:
        await inbox.decide(
            session,
            actor,
            item.id,
            inbox.Action.APPROVE,
            arguments={"to": "x@example.com", "subject": "s" * 100_000},
        )
    assert long_subject.value.field == "arguments.subject"
    with pytest.raises(ValidationFailed) as missing:
        await inbox.decide(session, actor, item.id, inbox.Action.APPROVE, arguments={})
    assert missing.value.field == "arguments.to"
    with pytest.raises(ValidationFailed) as control:
        await inbox.decide(session, actor, item.id, inbox.Action.REJECT, reason="no\x00pe")
    assert control.value.field == "reason"
    with pytest.raises(ValidationFailed, match="cannot be given 'answer'"):
        await inbox.decide(session, actor, item.id, inbox.Action.ANSWER, answer="yes")
    question = await start(session, actor, {"question": "Which one?"})
    [asked] = await items_of(session, question)
    with pytest.raises(ValidationFailed) as long_answer:
        await inbox.decide(session, actor, asked.id, inbox.Action.ANSWER, answer="y" * 5_000)
    assert long_answer.value.field == "answer"
    await session.refresh(item)
    await session.refresh(asked)
    assert (item.status, asked.status) == ("open", "open")
