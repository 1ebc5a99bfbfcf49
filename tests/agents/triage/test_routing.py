"""Routing processed mail: the triage agent classifies each message in a child run, the
verdict is recorded on it, and it goes to the module registered for its kind — or, when
none is, to a person as a report; an unsure verdict becomes a question."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from compound.agents.inbox import service as inbox
from compound.agents.inbox.models import InboxItem
from compound.agents.runtime.context import RunContext
from compound.agents.runtime.models import AgentRun
from compound.agents.triage import routing
from compound.agents.triage.contract import TriageKind
from compound.platform.auth.actor import Actor
from compound.platform.email.ingest import Envelope
from compound.platform.email.models import Message
from tests.agent_driver import drive
from tests.factories import submitted_by_account
from tests.platform.email.test_processing import mail, receive
from tests.platform.email.test_replies import sent_to


async def routed(
    session: AsyncSession, raw: bytes, envelope: Envelope | None = None
) -> tuple[Message, AgentRun, list[InboxItem]]:
    message = await receive(session, raw, envelope)
    await session.commit()
    await drive(session)
    await session.refresh(message)
    run = (
        await session.execute(
            select(AgentRun)
            .where(col(AgentRun.agent) == "email.route")
            .where(col(AgentRun.input)["message_id"].astext == str(message.id))
        )
    ).scalar_one()
    items = list(
        (
            await session.execute(
                select(InboxItem)
                .where(col(InboxItem.root_run_id) == run.id)
                .order_by(col(InboxItem.created_at))
            )
        ).scalars()
    )
    return message, run, items


@pytest.fixture
def lead_handler() -> Iterator[list[routing.InboundEmail]]:
    received: list[routing.InboundEmail] = []

    async def handle(context: RunContext, email: routing.InboundEmail) -> str:
        received.append(email)
        return f"leads: noted {email.sender}"

    # A module may have registered its own handler: it is put back afterwards.
    previous = routing._handlers.get(TriageKind.INBOUND_LEAD)
    routing.register_handler(TriageKind.INBOUND_LEAD, handle)
    yield received
    routing._handlers.pop(TriageKind.INBOUND_LEAD, None)
    if previous is not None:
        routing.register_handler(TriageKind.INBOUND_LEAD, previous)


async def test_an_unhandled_kind_is_reported_with_the_triage_recorded(
    session: AsyncSession,
) -> None:
    message, run, items = await routed(
        session,
        mail(
            to="support@compound.localhost",
            subject="CSV import stops at row 5000",
            body="Hi, our CSV import fails at row 5000 with an error every time. "
            "We are customers on the team plan. Can you help?\n\nThanks, Ana",
        ),
    )
    assert run.state == "done" and run.tainted
    assert run.children_total == 1
    assert message.triage is not None
    assert message.triage["kind"] == "support_request"
    assert message.triage["route"].startswith("reported")
    assert message.triage["triage_run_id"]
    [item] = items
    assert item.kind == "report"
    assert item.title.startswith("Support request: CSV import")
    assert item.evidence[0]["record_id"] == str(message.id)


async def test_newsletters_are_filed_without_bothering_anyone(session: AsyncSession) -> None:
    message, run, items = await routed(
        session,
        mail(
            sender="Weekly Digest <news@digest.example>",
            subject="This week in SaaS",
            body="Top stories this week... Unsubscribe here.",
            extra={"List-Unsubscribe": "<https://digest.example/u>", "List-Id": "<w.digest>"},
        ),
    )
    assert message.is_bulk and run.state == "done"
    assert message.triage is not None and message.triage["kind"] == "newsletter"
    assert message.triage["route"] == "filed: nothing to do"
    assert items == []


async def test_a_registered_module_receives_its_kind(
    session: AsyncSession, lead_handler: list[routing.InboundEmail]
) -> None:
    message, run, items = await routed(
        session,
        mail(
            subject="Pricing and a demo for 40 seats",
            body="Hello, we are evaluating CRMs. Could you send pricing for 40 seats and "
            "book a demo next week?\n\nRegards, Ana",
        ),
    )
    assert run.state == "done"
    assert [email.message_id for email in lead_handler] == [message.id]
    assert message.triage is not None
    assert message.triage["route"] == "leads: noted ana@northwind-robotics.example"
    assert items == []


async def test_an_unsure_verdict_on_a_colleagues_mail_is_a_question_the_answer_routes(
    session: AsyncSession, actor: Actor, outbox: Path
) -> None:
    submitted = await submitted_by_account(session, "ana@compound.localhost")
    message, run, items = await routed(
        session,
        mail(sender="Ana <ana@compound.localhost>", subject="hello", body="hi"),
        submitted,
    )
    assert (run.state, run.waiting_for) == ("waiting", "answer")
    [question] = items
    assert question.kind == "question" and question.proposal is not None
    assert "support_request" in question.proposal["choices"]
    await inbox.decide(session, actor, question.id, inbox.Action.ANSWER, answer="support_request")
    await session.commit()
    await drive(session)
    await session.refresh(run)
    await session.refresh(message)
    assert run.state == "done"
    assert message.triage is not None
    assert (message.triage["kind"], message.triage["decided_by"]) == ("support_request", "a person")


async def test_an_unsure_verdict_on_outside_mail_files_it_with_the_reason(
    session: AsyncSession,
) -> None:
    message, run, items = await routed(
        session, mail(subject="hello", body="hi", sender="someone@somewhere.example")
    )
    # No question for every unclear notification: filed, and the reason is on the message.
    assert run.state == "done" and items == []
    assert message.triage is not None
    assert message.triage["kind"] == "other" and message.triage["decided_by"] == "triage"
    assert message.triage["route"].startswith("filed as other: triage was ")
    assert "too unsure to act on outside mail" in message.triage["route"]


async def test_an_authenticated_colleague_gets_an_acknowledgement_in_the_thread(
    session: AsyncSession, outbox: Path
) -> None:
    tag = uuid.uuid4().hex[:8]
    submitted = await submitted_by_account(session, "ana@compound.localhost")
    message, run, items = await routed(
        session,
        mail(
            sender="Ana <ana@compound.localhost>",
            to="hello@compound.localhost",
            subject=f"Can someone pull the Q3 pipeline numbers {tag}",
            body="Could you pull the pipeline numbers for Q3 before Friday's review?",
        ),
        submitted,
    )
    assert run.state == "done" and run.tainted
    [raw] = [r for r in sent_to(outbox, "ana@compound.localhost") if tag.encode() in r]
    assert b"Understood as: internal ask" in raw
    reply = (
        await session.execute(
            select(Message)
            .where(col(Message.conversation_id) == message.conversation_id)
            .where(col(Message.channel) == "outbound")
        )
    ).scalar_one()
    assert reply.in_reply_to == message.internet_message_id
    # The acknowledgement went out without a person; the report still waits for one.
    assert [item.kind for item in items] == ["report"]


async def test_a_forged_colleague_gets_no_reply(session: AsyncSession, outbox: Path) -> None:
    tag = uuid.uuid4().hex[:8]
    message, run, _ = await routed(
        session,
        mail(
            sender="ceo@compound.localhost",
            subject=f"Wire transfer today {tag}",
            body="Please confirm the wire transfer details by reply, urgently.",
        ),
    )
    assert run.state == "done" and not message.sender_internal
    assert not [r for r in sent_to(outbox, "ceo@compound.localhost") if tag.encode() in r]


DEAL_FLOW_LIST = """fyi, can you get these into the pipeline?

---------- Forwarded message ---------
From: Ravi Menon <ravi@northgate.vc>
Subject: Northgate Accelerator Batch 11 — investor preview

As promised, a preview of Batch 11 before the public demo day:

1. Brightwater Pay — B2B payments for construction subcontractors (fintech). Raising $3M seed.
2. Corvid Security — phishing simulation for SMBs, 120 customers.
3. Stackhouse — payroll for seasonal hospitality staff (fintech). $40k MRR.
4. Wrenly — AI scheduling for home-care agencies.

Let me know who you want to meet.
"""


@pytest.fixture
def deal_flow_handler() -> Iterator[list[routing.InboundEmail]]:
    received: list[routing.InboundEmail] = []

    async def handle(context: RunContext, email: routing.InboundEmail) -> str:
        received.append(email)
        return "leads: importing"

    # A module may have registered its own handler: it is put back afterwards.
    previous = routing._handlers.get(TriageKind.DEAL_FLOW)
    routing.register_handler(TriageKind.DEAL_FLOW, handle)
    yield received
    routing._handlers.pop(TriageKind.DEAL_FLOW, None)
    if previous is not None:
        routing.register_handler(TriageKind.DEAL_FLOW, previous)


async def test_commands_run_only_for_an_authenticated_colleague(
    session: AsyncSession, deal_flow_handler: list[routing.InboundEmail]
) -> None:
    tag = uuid.uuid4().hex[:8]
    listing = {
        "sender": "Sam <sam@compound.localhost>",
        "to": "leads@compound.localhost",
        "body": DEAL_FLOW_LIST,
    }
    # Without authentication the colleague's address is just a claim: a person decides.
    forged, _, items = await routed(session, mail(subject=f"Fwd: Batch 11 {tag}", **listing))
    assert forged.triage is not None and forged.triage["kind"] == "deal_flow"
    assert deal_flow_handler == []
    assert forged.triage["route"].startswith("reported: a command from a sender")
    [report] = items
    assert report.kind == "report" and "authenticated" in report.explanation
    # The same list from the authenticated colleague goes to the module.
    submitted = await submitted_by_account(session, "sam@compound.localhost")
    real, _, items = await routed(
        session, mail(subject=f"Fwd: Batch 11 again {tag}", **listing), submitted
    )
    assert [email.message_id for email in deal_flow_handler] == [real.id]
    assert real.triage is not None and real.triage["route"] == "leads: importing"
    assert items == []


async def test_a_bounce_from_a_machine_address_is_filed_not_reported(session: AsyncSession) -> None:
    message, run, items = await routed(
        session,
        mail(
            sender="Mail Delivery Subsystem <mailer-daemon@mx.partner.example>",
            to="support@compound.localhost",
            subject="Delivery Status Notification (Failure)",
            body="Your message to ops@partner.example could not be delivered. The account is "
            "disabled. Please help us fix the address and try again.",
        ),
    )
    # A system's mail, though it asks for help: nobody to answer, nothing for a person.
    assert run.state == "done" and items == []
    assert message.triage is not None and message.triage["kind"] == "other"
