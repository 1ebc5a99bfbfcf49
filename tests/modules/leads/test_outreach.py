"""First outreach: drafted by an agent, approved (or edited, or rejected) by a person, sent as
a new thread through the relay, and a reply in that thread engages the lead."""

from __future__ import annotations

import uuid
from email import message_from_bytes
from email.policy import default
from pathlib import Path

import pytest
from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from compound.agents.inbox import service as inbox
from compound.agents.inbox.models import InboxItem
from compound.agents.runtime.models import AgentRun
from compound.modules.leads import service
from compound.modules.leads.models import Lead, LeadStatus
from compound.modules.leads.outreach import SendOutreach, start_outreach
from compound.platform.auth.actor import Actor
from compound.platform.email.models import Conversation
from compound.platform.records.models import Company
from tests.agent_driver import drive
from tests.conftest import GraphQLClient
from tests.factories import make_company, make_person
from tests.platform.email.test_processing import mail, receive
from tests.platform.email.test_replies import sent_to


async def qualified_lead(
    session: AsyncSession, actor: Actor, *, contact: str | None
) -> tuple[Company, Lead]:
    tag = uuid.uuid4().hex[:6]
    company = await make_company(
        session,
        name=f"Outreachco {tag}",
        domain=f"outreach-{tag}.example",
        description="Route planning for bakeries",
    )
    if contact:
        await make_person(session, name="Maya Ortiz", emails=[contact], company=company)
    lead = await service.create_lead(
        session,
        actor,
        company_id=company.id,
        score=80,
        rationale="fits",
        status=LeadStatus.QUALIFIED,
    )
    return company, lead


async def approval_of(session: AsyncSession, root: uuid.UUID) -> InboxItem:
    items = list(
        (
            await session.execute(select(InboxItem).where(col(InboxItem.root_run_id) == root))
        ).scalars()
    )
    [item] = items
    return item


async def test_an_approved_outreach_is_sent_and_a_reply_engages_the_lead(
    session: AsyncSession, actor: Actor, outbox: Path
) -> None:
    contact = f"maya-{uuid.uuid4().hex[:6]}@outreach.example"
    company, lead = await qualified_lead(session, actor, contact=contact)
    root = await start_outreach(session, actor, title="test", lead_ids=[lead.id])
    await session.commit()
    await drive(session)
    item = await approval_of(session, root)
    assert item.kind == "approval" and item.proposal is not None
    proposed = item.proposal["arguments"]
    assert proposed["to"] == contact and company.name in proposed["subject"]
    assert proposed["text"].startswith("Hi Maya,") and "route planning for bakeries" in (
        proposed["text"].lower()
    )
    assert sent_to(outbox, contact) == []  # nothing leaves before a person says so

    edited = {**proposed, "text": proposed["text"] + "\nP.S. edited by a person\n"}
    await inbox.decide(session, actor, item.id, inbox.Action.APPROVE, arguments=edited)
    await session.commit()
    await drive(session)
    [raw] = sent_to(outbox, contact)
    sent = message_from_bytes(raw, policy=default)
    assert "edited by a person" in sent.get_content()
    lead = await service.get_lead(session, lead.id)
    await session.refresh(lead)
    assert lead.status == "contacted" and lead.rationale == f"first outreach sent to {contact}"
    assert lead.outreach_conversation_id is not None
    conversation = await session.get(Conversation, lead.outreach_conversation_id)
    assert conversation is not None and conversation.company_id == company.id

    await receive(
        session,
        mail(
            sender=f"Maya Ortiz <{contact}>",
            to="compound@compound.localhost",
            subject=f"Re: {sent['Subject']}",
            body="Sounds good, Tuesday works.\n\nMaya",
            in_reply_to=sent["Message-ID"],
        ),
    )
    await session.refresh(lead)
    assert lead.status == "engaged" and "Tuesday works" in lead.rationale


async def test_a_rejected_outreach_sends_nothing_and_the_lead_stays(
    session: AsyncSession, actor: Actor, outbox: Path
) -> None:
    contact = f"nope-{uuid.uuid4().hex[:6]}@outreach.example"
    _, lead = await qualified_lead(session, actor, contact=contact)
    root = await start_outreach(session, actor, title="test", lead_ids=[lead.id])
    await session.commit()
    await drive(session)
    item = await approval_of(session, root)
    await inbox.decide(session, actor, item.id, inbox.Action.REJECT, reason="not now")
    await session.commit()
    await drive(session)
    assert sent_to(outbox, contact) == []
    run = await session.get(AgentRun, item.run_id)
    assert (
        run is not None
        and run.state == "done"
        and run.output
        == {
            "sent": False,
            "detail": f"send_outreach was rejected by {actor.label}",
        }
    )
    assert (await service.get_lead(session, lead.id)).status == "qualified"


async def test_without_a_known_contact_one_exception_asks_for_a_person(
    session: AsyncSession, actor: Actor
) -> None:
    company, lead = await qualified_lead(session, actor, contact=None)
    root = await start_outreach(session, actor, title="test", lead_ids=[lead.id])
    await session.commit()
    await drive(session)
    items = list(
        (
            await session.execute(select(InboxItem).where(col(InboxItem.root_run_id) == root))
        ).scalars()
    )
    # No approval that cannot be approved: one exception naming the company, nothing sent.
    [item] = items
    assert item.kind == "exception"
    assert item.title == f"No contact known for {company.name} — add a person"
    assert item.evidence[0]["record_id"] == str(company.id)
    assert (await service.get_lead(session, lead.id)).status == "qualified"


def test_a_blank_recipient_is_not_proposed() -> None:
    with pytest.raises(ValidationError, match="no recipient: add a person"):
        SendOutreach(lead_id=uuid.uuid4(), to=" ", subject="Hi", text="Hello")


DRAFT = """mutation($ids: [ID!]!) { draftOutreach(leadIds: $ids) { runId
  userErrors { field code message } } }"""


async def test_draft_outreach_through_graphql_checks_the_leads(graphql: GraphQLClient) -> None:
    missing = await graphql.execute(DRAFT, {"ids": [str(uuid.uuid4())]})
    [error] = missing["data"]["draftOutreach"]["userErrors"]
    assert error["code"] == "NOT_FOUND" and missing["data"]["draftOutreach"]["runId"] is None
    empty = await graphql.execute(DRAFT, {"ids": []})
    assert empty["data"]["draftOutreach"]["userErrors"][0]["message"] == "give at least one lead"
    garbage = await graphql.execute(DRAFT, {"ids": ["not-an-id"]})
    assert garbage["data"]["draftOutreach"]["userErrors"][0]["field"] == "leadIds"


async def test_draft_outreach_through_graphql_refuses_a_lead_not_qualified_or_already_drafted(
    graphql: GraphQLClient, session: AsyncSession, actor: Actor
) -> None:
    _, lead = await qualified_lead(session, actor, contact="maya@drafted.example")
    new_lead = await service.create_lead(
        session,
        actor,
        company_id=(await make_company(session, name=f"Newco {uuid.uuid4().hex[:6]}")).id,
        score=10,
        rationale="just found",
    )
    await session.commit()
    started = await graphql.execute(DRAFT, {"ids": [str(lead.id)]})
    assert started["data"]["draftOutreach"]["userErrors"] == []
    # Asked again (twice in the list, then once more) while the first is on its way: refused.
    again = await graphql.execute(DRAFT, {"ids": [str(lead.id), str(lead.id)]})
    [error] = again["data"]["draftOutreach"]["userErrors"]
    assert "is already on its way" in error["message"] and error["field"] == "leadIds"
    await drive(session)  # the draft now waits for approval: still on its way
    waiting = await graphql.execute(DRAFT, {"ids": [str(lead.id)]})
    assert "is already on its way" in waiting["data"]["draftOutreach"]["userErrors"][0]["message"]
    unqualified = await graphql.execute(DRAFT, {"ids": [str(new_lead.id)]})
    [refused] = unqualified["data"]["draftOutreach"]["userErrors"]
    assert f"lead {new_lead.id} is new" in refused["message"]
    runs = await session.execute(
        select(func.count())
        .select_from(AgentRun)
        .where(col(AgentRun.agent) == "leads.outreach")
        .where(col(AgentRun.input)["lead_ids"].contains([str(lead.id)]))
    )
    assert runs.scalar_one() == 1
