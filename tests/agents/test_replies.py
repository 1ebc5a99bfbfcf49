"""The send_reply tool under the taint policy: a run that read mail needs approval to answer
anyone — except acknowledging or summarising to the authenticated colleague who asked."""

from __future__ import annotations

import uuid
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from compound.agents.inbox import service as inbox
from compound.agents.inbox.models import InboxItem
from compound.agents.runtime import service as runs
from compound.agents.runtime.models import AgentRun, RunStep
from compound.platform.auth.actor import Actor
from compound.platform.email.ingest import Envelope
from compound.platform.email.models import Channel, Message
from tests.agent_driver import drive
from tests.platform.email.test_processing import mail, receive
from tests.platform.email.test_replies import sent_to
from tests.runtime_agents import READER

# SMTP AUTH makes the colleague authenticated; the loopback relay alone does not.
AUTHENTICATED = Envelope(channel=Channel.SMTP, submitted_by="user:ana@compound.localhost")


async def reply_run(
    session: AsyncSession, actor: Actor, message: Message, purpose: str
) -> tuple[AgentRun, list[InboxItem], list[str]]:
    plan = {
        "steps": [
            [
                "send_reply",
                {"message_id": str(message.id), "text": f"{purpose} text", "purpose": purpose},
            ]
        ]
    }
    run = await runs.start_run(session, actor, READER, plan)
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


async def test_an_acknowledgement_to_an_authenticated_colleague_needs_no_approval(
    session: AsyncSession, actor: Actor, outbox: Path
) -> None:
    tag = uuid.uuid4().hex[:8]
    asked = await receive(
        session, mail(sender="Ana <ana@compound.localhost>", subject=f"List {tag}"), AUTHENTICATED
    )
    assert asked.sender_authenticated and asked.sender_internal
    run, items, policy = await reply_run(session, actor, asked, "acknowledgement")
    assert (run.state, run.tainted) == ("done", True)
    assert items == [] and policy == ["approval_waived"]
    assert any(f"List {tag}".encode() in raw for raw in sent_to(outbox, "ana@compound.localhost"))


async def test_other_replies_from_a_tainted_run_wait_for_approval(
    session: AsyncSession, actor: Actor, outbox: Path
) -> None:
    tag = uuid.uuid4().hex[:8]
    colleague = await receive(
        session, mail(sender="ana@compound.localhost", subject=f"Ask {tag}"), AUTHENTICATED
    )
    # An answer (not an acknowledgement) to the colleague: a person approves it first.
    run, [item], policy = await reply_run(session, actor, colleague, "answer")
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
    await inbox.decide(session, actor, item.id, inbox.Action.APPROVE)
    await session.commit()
    await drive(session)
    await session.refresh(run)
    assert run.state == "done"
    assert len(sent_to(outbox, f"zed@{tag}.example")) == 1
