"""Replies go out through the relay (our sink) threaded into the conversation they answer,
and are kept there as outbound messages that nothing routes again."""

from __future__ import annotations

import uuid
from email import message_from_bytes
from email.policy import default
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from compound.agents.runtime.models import AgentRun
from compound.platform.config import Settings
from compound.platform.email import replies
from compound.platform.email.models import Conversation, Message
from compound.platform.email.sink import sent_messages
from compound.platform.errors import NotFound, ServiceUnavailable, ValidationFailed
from tests.conftest import free_port
from tests.platform.email.test_processing import mail, receive


def sent_to(outbox: Path, address: str) -> list[bytes]:
    found = []
    for path in sent_messages(outbox):
        raw = path.read_bytes()
        if address in str(message_from_bytes(raw, policy=default)["To"]):
            found.append(raw)
    return found


async def test_a_reply_is_sent_threaded_and_kept_in_its_conversation(
    session: AsyncSession, settings: Settings, outbox: Path
) -> None:
    tag = uuid.uuid4().hex[:8]
    asked = await receive(
        session,
        mail(
            sender=f"Ana <ana@{tag}.example>",
            subject=f"Pricing {tag}",
            message_id=f"<ask-{tag}@{tag}.example>",
            references=f"<root-{tag}@{tag}.example>",
        ),
    )
    reply = await replies.send_reply(
        session, settings, asked.id, "Here is our pricing.", recipients=[f"ana@{tag}.example"]
    )
    [raw] = sent_to(outbox, f"ana@{tag}.example")
    sent = message_from_bytes(raw, policy=default)
    assert sent["Subject"] == f"Re: Pricing {tag}"
    assert sent["In-Reply-To"] == f"<ask-{tag}@{tag}.example>"
    assert sent["References"] == f"<root-{tag}@{tag}.example> <ask-{tag}@{tag}.example>"
    assert reply.channel == "outbound" and reply.state == "processed"
    assert reply.raw == raw
    assert reply.conversation_id == asked.conversation_id
    assert reply.in_reply_to == f"ask-{tag}@{tag}.example"
    # What Compound sent is not mail to triage: no routing run for it.
    routing_runs = await session.scalar(
        select(func.count())
        .select_from(AgentRun)
        .where(col(AgentRun.input)["message_id"].astext == str(reply.id))
    )
    assert routing_runs == 0


async def test_a_reply_goes_to_reply_to_when_the_message_names_one(
    session: AsyncSession, settings: Settings, outbox: Path
) -> None:
    tag = uuid.uuid4().hex[:8]
    asked = await receive(
        session,
        mail(sender=f"ana@{tag}.example", extra={"Reply-To": f"team@{tag}.example"}),
    )
    assert replies.reply_recipients(asked) == [f"team@{tag}.example"]
    reply = await replies.send_reply(
        session, settings, asked.id, "Noted.", recipients=replies.reply_recipients(asked)
    )
    assert reply.to_addresses == [f"team@{tag}.example"]
    assert sent_to(outbox, f"team@{tag}.example")
    assert not sent_to(outbox, f"ana@{tag}.example")


async def test_a_reply_to_a_message_without_message_id_joins_its_thread(
    session: AsyncSession, settings: Settings
) -> None:
    asked = await receive(session, mail(sender="ana@compound.localhost", message_id=None))
    assert asked.internet_message_id is None
    reply = await replies.send_reply(
        session, settings, asked.id, "On it.", recipients=["ana@compound.localhost"]
    )
    assert reply.in_reply_to is None
    assert reply.conversation_id == asked.conversation_id
    conversation = await session.get(Conversation, asked.conversation_id)
    assert conversation is not None and conversation.message_count == 2
    assert reply.sort_at > asked.sort_at


async def test_replies_that_cannot_be_sent_leave_nothing_behind(
    session: AsyncSession, settings: Settings
) -> None:
    tag = uuid.uuid4().hex[:8]
    garbage = await receive(session, f"\x00 {tag} not mail \xff".encode("latin-1"))
    with pytest.raises(ValidationFailed, match="unparseable"):
        await replies.send_reply(session, settings, garbage.id, "hello", recipients=["a@b.io"])
    with pytest.raises(NotFound):
        await replies.send_reply(session, settings, uuid.uuid4(), "hello", recipients=["a@b.io"])
    asked = await receive(session, mail(sender=f"ana@{tag}.example"))
    dead_relay = settings.model_copy(update={"outbound_smtp_port": free_port()})
    with pytest.raises(ServiceUnavailable, match="did not take the message"):
        await replies.send_reply(
            session, dead_relay, asked.id, "hello", recipients=[f"ana@{tag}.example"]
        )
    kept = await session.scalar(
        select(func.count())
        .select_from(Message)
        .where(col(Message.conversation_id) == asked.conversation_id)
    )
    assert kept == 1


async def test_a_reply_goes_to_exactly_the_recipients_given_not_to_the_messages_reply_to(
    session: AsyncSession, settings: Settings, outbox: Path
) -> None:
    tag = uuid.uuid4().hex[:8]
    asked = await receive(
        session, mail(sender=f"ana@{tag}.example", extra={"Reply-To": f"team@{tag}.example"})
    )
    reply = await replies.send_reply(
        session, settings, asked.id, "Only to you.", recipients=[f"Ana@{tag}.example"]
    )
    assert reply.to_addresses == [f"ana@{tag}.example"]
    assert sent_to(outbox, f"team@{tag}.example") == []


@pytest.mark.parametrize(
    ("recipients", "says"),
    [
        ([], "a reply needs at least one recipient"),
        ([f"p{i}@cap.example" for i in range(6)], "6 recipients: a reply goes to at most 5"),
        (["v@x.example\r\nBcc: a@evil.example"], "contains a line break"),
        (["not-an-email"], "'not-an-email' is not an email address"),
    ],
    ids=["none", "over-the-cap", "header-injection", "not-an-address"],
)
async def test_a_reply_to_no_one_too_many_or_a_non_address_is_refused_before_sending(
    session: AsyncSession, settings: Settings, outbox: Path, recipients: list[str], says: str
) -> None:
    tag = uuid.uuid4().hex[:8]
    asked = await receive(session, mail(sender=f"ana@{tag}.example", subject=f"Cap {tag}"))
    before = len(sent_messages(outbox))
    with pytest.raises(ValidationFailed) as refused:
        await replies.send_reply(session, settings, asked.id, "hello", recipients=recipients)
    assert refused.value.field == "recipients"
    assert says in refused.value.message
    assert len(sent_messages(outbox)) == before


async def test_the_cap_is_a_setting(
    session: AsyncSession, settings: Settings, outbox: Path
) -> None:
    tag = uuid.uuid4().hex[:8]
    asked = await receive(session, mail(sender=f"ana@{tag}.example"))
    wider = settings.model_copy(update={"mail_max_reply_recipients": 6})
    six = [f"p{i}@{tag}.example" for i in range(6)]
    reply = await replies.send_reply(session, wider, asked.id, "hello", recipients=six)
    assert reply.to_addresses == six
    narrow = settings.model_copy(update={"mail_max_reply_recipients": 1})
    with pytest.raises(ValidationFailed, match=r"at most 1 \(COMPOUND_MAIL_MAX_REPLY_RECIPIENTS\)"):
        await replies.send_reply(session, narrow, asked.id, "hello", recipients=six[:2])


async def test_where_a_reply_would_go_is_worked_out_from_reply_to_and_from(
    session: AsyncSession,
) -> None:
    tag = uuid.uuid4().hex[:8]
    plain = await receive(session, mail(sender=f"Ana <Ana@{tag}.example>"))
    assert replies.reply_addresses(plain) == replies.ReplyAddresses([f"ana@{tag}.example"], [], [])
    odd = await receive(
        session,
        mail(
            sender=f"ana@{tag}.example",
            extra={
                "Reply-To": f"ana@{tag}.example, Team <team@{tag}.example>, "
                f"TEAM@{tag}.example, not-an-address"
            },
        ),
    )
    found = replies.reply_addresses(odd)
    assert found.recipients == [f"ana@{tag}.example", f"team@{tag}.example"]
    assert found.left_out == ["not-an-address"]
    assert found.reply_to_elsewhere == [f"team@{tag}.example", "not-an-address"]
    assert replies.reply_recipients(odd) == found.recipients
