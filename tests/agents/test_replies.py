"""The send_reply tool under the taint policy: a run that read mail needs approval to answer
anyone — except acknowledging or summarising to the authenticated colleague who asked, and
then only to their From. Who a reply goes to is worked out when it is proposed, shown on the
approval, capped when approved, and never worked out again after that."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from compound.agents.inbox import service as inbox
from compound.agents.inbox.models import InboxItem
from compound.agents.runtime import service as runs
from compound.agents.runtime.models import AgentRun, RunStep
from compound.platform.auth.actor import Actor
from compound.platform.email.models import Message
from compound.platform.errors import ValidationFailed
from tests.agent_driver import drive
from tests.factories import submitted_by_account
from tests.platform.email.test_processing import mail, receive
from tests.platform.email.test_replies import sent_to
from tests.runtime_agents import READER


async def reply_run(
    session: AsyncSession,
    actor: Actor,
    message: Message,
    purpose: str,
    **arguments: Any,
) -> tuple[AgentRun, list[InboxItem], list[str]]:
    step = {"message_id": str(message.id), "text": f"{purpose} text", "purpose": purpose}
    run = await runs.start_run(
        session, actor, READER, {"steps": [["send_reply", {**step, **arguments}]]}
    )
    await session.commit()
    await drive(session)
    await session.refresh(run)
    items = list(
        (
            await session.execute(select(InboxItem).where(col(InboxItem.root_run_id) == run.id))
        ).scalars()
    )
    policy = list(
        (
            await session.execute(
                select(RunStep.name)
                .where(col(RunStep.run_id) == run.id)
                .where(col(RunStep.kind) == "policy")
            )
        ).scalars()
    )
    return run, items, policy


async def approve(session: AsyncSession, actor: Actor, item: InboxItem, **edit: Any) -> None:
    edited = {**(item.proposal or {})["arguments"], **edit} if edit else None
    await inbox.decide(session, actor, item.id, inbox.Action.APPROVE, arguments=edited)
    await session.commit()
    await drive(session)


def many(tag: str, count: int) -> list[str]:
    return [f"person{i}@third-{tag}.example" for i in range(count)]


async def test_an_acknowledgement_to_an_authenticated_colleague_needs_no_approval(
    session: AsyncSession, actor: Actor, outbox: Path
) -> None:
    tag = uuid.uuid4().hex[:8]
    envelope = await submitted_by_account(session, "ana@compound.localhost")
    asked = await receive(
        session, mail(sender="Ana <ana@compound.localhost>", subject=f"List {tag}"), envelope
    )
    assert asked.sender_authenticated and asked.sender_internal
    run, items, policy = await reply_run(session, actor, asked, "acknowledgement")
    assert (run.state, run.tainted) == ("done", True)
    assert items == [] and policy == ["approval_waived"]
    assert any(f"List {tag}".encode() in raw for raw in sent_to(outbox, "ana@compound.localhost"))


async def test_an_acknowledgement_goes_only_to_the_colleague_never_to_their_reply_to(
    session: AsyncSession, actor: Actor, outbox: Path
) -> None:
    tag = uuid.uuid4().hex[:8]
    envelope = await submitted_by_account(session, f"ana-{tag}@compound.localhost")
    reply_to = many(tag, 40)
    asked = await receive(
        session,
        mail(
            sender=f"ana-{tag}@compound.localhost",
            subject=f"Cohort {tag}",
            extra={"Reply-To": ", ".join(reply_to)},
        ),
        envelope,
    )
    assert asked.sender_internal and len(asked.reply_to) == 40
    run, items, policy = await reply_run(session, actor, asked, "summary")
    assert (run.state, items, policy) == ("done", [], ["approval_waived"])
    call = await session.scalar(
        select(RunStep).where(col(RunStep.run_id) == run.id).where(col(RunStep.kind) == "tool_call")
    )
    assert call is not None and call.arguments is not None
    assert call.arguments["recipients"] == [f"ana-{tag}@compound.localhost"]
    assert len(sent_to(outbox, f"ana-{tag}@compound.localhost")) == 1
    assert all(sent_to(outbox, address) == [] for address in reply_to)


async def test_an_acknowledgement_the_model_addressed_to_someone_else_waits_for_approval(
    session: AsyncSession, actor: Actor, outbox: Path
) -> None:
    tag = uuid.uuid4().hex[:8]
    envelope = await submitted_by_account(session, f"ana-{tag}@compound.localhost")
    asked = await receive(session, mail(sender=f"ana-{tag}@compound.localhost"), envelope)
    extra = f"eve@evil-{tag}.example"
    run, [item], policy = await reply_run(
        session,
        actor,
        asked,
        "acknowledgement",
        recipients=[f"ana-{tag}@compound.localhost", extra],
    )
    assert (run.state, item.kind, policy) == ("waiting", "approval", ["approval_required"])
    assert (item.proposal or {})["arguments"]["recipients"] == [
        f"ana-{tag}@compound.localhost",
        extra,
    ]
    assert sent_to(outbox, extra) == []


async def test_other_replies_from_a_tainted_run_wait_for_approval(
    session: AsyncSession, actor: Actor, outbox: Path
) -> None:
    tag = uuid.uuid4().hex[:8]
    colleague_mail = await receive(
        session,
        mail(sender="ana@compound.localhost", subject=f"Ask {tag}"),
        await submitted_by_account(session, "ana@compound.localhost"),
    )
    # An answer (not an acknowledgement) to the colleague: a person approves it first.
    run, [item], policy = await reply_run(session, actor, colleague_mail, "answer")
    assert (run.state, item.kind, policy) == ("waiting", "approval", ["approval_required"])
    # A colleague's address without authentication is not the colleague.
    forged = await receive(session, mail(sender="boss@compound.localhost", subject=f"Urgent {tag}"))
    assert not forged.sender_internal
    run, [item], _ = await reply_run(session, actor, forged, "acknowledgement")
    assert run.state == "waiting" and item.kind == "approval"
    # An outside sender: approval, and once approved the reply goes out.
    outside = await receive(session, mail(sender=f"zed@{tag}.example", subject=f"Hi {tag}"))
    run, [item], _ = await reply_run(session, actor, outside, "summary")
    assert run.state == "waiting" and not sent_to(outbox, f"zed@{tag}.example")
    assert (item.proposal or {})["arguments"]["recipients"] == [f"zed@{tag}.example"]
    await approve(session, actor, item)
    await session.refresh(run)
    assert run.state == "done"
    assert len(sent_to(outbox, f"zed@{tag}.example")) == 1


async def test_the_approval_shows_the_reply_to_addresses_and_warns_that_they_are_not_the_sender(
    session: AsyncSession, actor: Actor
) -> None:
    tag = uuid.uuid4().hex[:8]
    reply_to = many(tag, 40)
    asked = await receive(
        session,
        mail(
            sender=f"zed@{tag}.example",
            extra={"Reply-To": ", ".join([*reply_to, "not an address", reply_to[0].upper()])},
        ),
    )
    _, [item], _ = await reply_run(session, actor, asked, "answer")
    # Every address it would go to, normalized and once each; the non-address left out.
    assert (item.proposal or {})["arguments"]["recipients"] == reply_to
    labels = {piece["label"]: piece["quote"] for piece in item.evidence}
    assert labels["The reply goes to 40 addresses"].startswith(f"{reply_to[0]}, {reply_to[1]}")
    warning = labels[f"Warning: Reply-To differs from From (zed@{tag}.example)"]
    assert warning.startswith("Reply-To names 41 other addresses")
    assert "'not an address'" in labels["Left out: not email addresses"]
    assert "Over the limit of 5 recipients (COMPOUND_MAIL_MAX_REPLY_RECIPIENTS)" in labels


async def test_approving_more_recipients_than_the_cap_is_refused_at_the_field(
    session: AsyncSession, actor: Actor, outbox: Path
) -> None:
    tag = uuid.uuid4().hex[:8]
    reply_to = many(tag, 40)
    asked = await receive(
        session, mail(sender=f"zed@{tag}.example", extra={"Reply-To": ", ".join(reply_to)})
    )
    run, [item], _ = await reply_run(session, actor, asked, "answer")
    with pytest.raises(ValidationFailed) as refused:
        await inbox.decide(session, actor, item.id, inbox.Action.APPROVE)
    assert refused.value.field == "arguments.recipients"
    assert refused.value.message == (
        "recipients: 40 recipients: a reply goes to at most 5 "
        "(COMPOUND_MAIL_MAX_REPLY_RECIPIENTS); keep only those who should get it"
    )
    await session.refresh(item)
    assert item.status == "open" and (item.proposal or {})["arguments"]["recipients"] == reply_to
    assert all(sent_to(outbox, address) == [] for address in reply_to)
    # Edited down to two, it goes to exactly those two.
    await approve(session, actor, item, recipients=reply_to[:2])
    await session.refresh(run)
    assert run.state == "done"
    assert [len(sent_to(outbox, address)) for address in reply_to[:3]] == [1, 1, 0]


async def test_the_approved_recipients_are_sent_to_even_if_the_message_changes_after(
    session: AsyncSession, actor: Actor, outbox: Path
) -> None:
    tag = uuid.uuid4().hex[:8]
    asked = await receive(
        session, mail(sender=f"zed@{tag}.example", extra={"Reply-To": f"team@{tag}.example"})
    )
    run, [item], _ = await reply_run(session, actor, asked, "answer")
    await inbox.decide(session, actor, item.id, inbox.Action.APPROVE)
    # Reprocessing (or anything else) rewrites the stored Reply-To after the approval.
    asked.reply_to = [f"late-{i}@{tag}.example" for i in range(3)]
    await session.commit()
    await drive(session)
    await session.refresh(run)
    assert run.state == "done"
    assert len(sent_to(outbox, f"team@{tag}.example")) == 1
    assert sent_to(outbox, f"late-0@{tag}.example") == []


async def test_a_message_with_no_address_to_answer_fails_the_call_and_replays_the_same(
    session: AsyncSession, actor: Actor
) -> None:
    tag = uuid.uuid4().hex[:8]
    asked = await receive(session, mail(sender=f"Nobody <nobody-at-{tag}>"))
    step = {"message_id": str(asked.id), "text": "hello", "purpose": "answer"}
    plan = {"steps": [["send_reply", step]], "question": f"Carry on {tag}?"}
    run = await runs.start_run(session, actor, READER, plan)
    await session.commit()
    await drive(session)
    question = await session.scalar(select(InboxItem).where(col(InboxItem.run_id) == run.id))
    assert question is not None and question.kind == "question"
    # Resumed, the run replays its journal: the refused call is refused the same way.
    await inbox.decide(session, actor, question.id, inbox.Action.ANSWER, answer="yes")
    await session.commit()
    await drive(session)
    await session.refresh(run)
    assert run.state == "done", run.error
    assert run.output is not None
    assert run.output["results"] == ["failed: the message names no address a reply could go to"]
