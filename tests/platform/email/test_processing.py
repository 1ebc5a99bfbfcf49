"""Stored messages processed on the real database: kept once, parsed, threaded, linked to
people and companies, sender authentication believed only from our own relays."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from compound.platform.config import Settings
from compound.platform.email import processing
from compound.platform.email.ingest import Envelope, ingest_raw
from compound.platform.email.models import Channel, Conversation, Message, MessageParticipant
from compound.platform.errors import TooLong, ValidationFailed
from compound.platform.queue.models import Job
from compound.platform.records import people
from compound.platform.records.models import Activity, Company
from tests.conftest import REPOSITORY_ROOT

MAX = 25 * 1024 * 1024
SETTINGS = Settings(_env_file=None)  # type: ignore[call-arg]


def mail(
    *,
    sender: str = "Ana Lima <ana@northwind-robotics.example>",
    to: str = "hello@compound.localhost",
    subject: str = "Demo next week?",
    body: str = "Hi, could we see a demo next week?\n\nBest,\nAna",
    message_id: str | None = "auto",
    in_reply_to: str | None = None,
    references: str | None = None,
    extra: dict[str, str] | None = None,
) -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = format_datetime(datetime.now(UTC))
    if message_id == "auto":
        message["Message-ID"] = make_msgid(domain="mail.example")
    elif message_id:
        message["Message-ID"] = message_id
    if in_reply_to:
        message["In-Reply-To"] = in_reply_to
    if references:
        message["References"] = references
    for name, value in (extra or {}).items():
        message[name] = value
    message.set_content(body)
    return message.as_bytes()


async def receive(session: AsyncSession, raw: bytes, envelope: Envelope | None = None) -> Message:
    ingested = await ingest_raw(
        session, raw, envelope or Envelope(channel=Channel.SMTP, peer="203.0.113.9"), max_bytes=MAX
    )
    message = await processing.process_message(session, ingested.message_id, settings=SETTINGS)
    assert message is not None
    await session.refresh(message)
    return message


async def test_a_message_is_kept_once_with_its_job_in_the_same_transaction(
    session: AsyncSession,
) -> None:
    raw = mail()
    envelope = Envelope(channel=Channel.HTTP, submitted_by="token:cpd_x")
    first = await ingest_raw(session, raw, envelope, max_bytes=MAX)
    again = await ingest_raw(session, raw, envelope, max_bytes=MAX)
    assert (first.duplicate, again.duplicate) == (False, True)
    assert first.message_id == again.message_id
    stored = await session.get(Message, first.message_id)
    assert stored is not None and stored.raw == raw and stored.state == "received"
    jobs = await session.scalar(
        select(func.count())
        .select_from(Job)
        .where(col(Job.actor_name) == "email.process_message")
        .where(col(Job.message)["kwargs"]["message_id"].astext == str(first.message_id))
    )
    assert jobs == 1


async def test_without_a_message_id_the_bytes_decide_what_is_a_duplicate(
    session: AsyncSession,
) -> None:
    raw = mail(message_id=None, subject=f"No id {uuid.uuid4()}")
    envelope = Envelope(channel=Channel.SMTP)
    first = await ingest_raw(session, raw, envelope, max_bytes=MAX)
    same = await ingest_raw(session, raw, envelope, max_bytes=MAX)
    other = await ingest_raw(session, raw + b"\n", envelope, max_bytes=MAX)
    assert same.message_id == first.message_id and same.duplicate
    assert other.message_id != first.message_id and not other.duplicate


async def test_a_rolled_back_ingest_leaves_neither_message_nor_job(session: AsyncSession) -> None:
    raw = mail(subject=f"Rolled back {uuid.uuid4()}")
    ingested = await ingest_raw(session, raw, Envelope(channel=Channel.SMTP), max_bytes=MAX)
    await session.rollback()
    assert await session.get(Message, ingested.message_id) is None
    assert (
        await session.scalar(
            select(func.count())
            .select_from(Job)
            .where(col(Job.message)["kwargs"]["message_id"].astext == str(ingested.message_id))
        )
        == 0
    )


async def test_empty_and_oversized_messages_are_refused_by_name(session: AsyncSession) -> None:
    with pytest.raises(ValidationFailed, match="empty"):
        await ingest_raw(session, b"  \r\n", Envelope(channel=Channel.SMTP), max_bytes=MAX)
    with pytest.raises(TooLong, match="the limit is 1,024"):
        await ingest_raw(session, b"x" * 2_000, Envelope(channel=Channel.SMTP), max_bytes=1024)


async def test_processing_links_the_sender_to_a_person_and_a_company_by_domain(
    session: AsyncSession,
) -> None:
    domain = f"northwind-{uuid.uuid4().hex[:6]}.example"
    message = await receive(
        session,
        mail(
            sender=f"Ana Lima <ana@mail.{domain}>",
            to="hello@compound.localhost, Bo <bo@gmail.com>",
        ),
    )
    assert message.state == "processed"
    assert (message.from_address, message.from_name) == (f"ana@mail.{domain}", "Ana Lima")
    assert message.new_text.startswith("Hi, could we see a demo")
    ana = await people.find_person_by_email(session, f"ana@mail.{domain}")
    assert ana is not None and ana.name == "Ana Lima"
    company = await session.get(Company, ana.company_id)
    assert company is not None and company.domain == domain
    bo = await people.find_person_by_email(session, "bo@gmail.com")
    assert bo is not None and bo.company_id is None  # free mail never makes a company
    assert await people.find_person_by_email(session, "hello@compound.localhost") is None
    roles = (
        await session.execute(
            select(MessageParticipant.role, MessageParticipant.person_id).where(  # type: ignore[call-overload]
                col(MessageParticipant.message_id) == message.id
            )
        )
    ).all()
    assert sorted((role, person is not None) for role, person in roles) == [
        ("from", True),
        ("to", False),
        ("to", True),
    ]
    conversation = await session.get(Conversation, message.conversation_id)
    assert conversation is not None and conversation.company_id == company.id
    timeline = await session.scalar(
        select(func.count())
        .select_from(Activity)
        .where(col(Activity.person_id) == ana.id)
        .where(col(Activity.kind) == "email.received")
    )
    assert timeline == 1


async def test_replies_thread_by_headers_and_subject_only_as_a_last_resort(
    session: AsyncSession,
) -> None:
    tag = uuid.uuid4().hex[:6]
    sender = f"Ana <ana@{tag}.example>"
    first_id = f"<first-{tag}@mail.example>"
    first = await receive(session, mail(sender=sender, subject=f"Pilot {tag}", message_id=first_id))
    reply = await receive(
        session,
        mail(
            sender="sales@compound.localhost",
            to=sender,
            subject=f"Re: Pilot {tag}",
            in_reply_to=first_id,
        ),
    )
    by_references = await receive(
        session,
        mail(sender=sender, subject="totally different", references=f"<x@y> {first_id}"),
    )
    by_subject = await receive(session, mail(sender=sender, subject=f"RE: [ext] Pilot {tag}"))
    stranger = await receive(
        session, mail(sender=f"zed@other-{tag}.example", subject=f"Re: Pilot {tag}")
    )
    thread = first.conversation_id
    assert thread is not None
    assert reply.conversation_id == by_references.conversation_id == by_subject.conversation_id
    assert reply.conversation_id == thread
    assert stranger.conversation_id != thread
    conversation = await session.get(Conversation, thread)
    assert conversation is not None and conversation.message_count == 4


async def test_a_reply_that_arrives_before_its_original_still_threads(
    session: AsyncSession,
) -> None:
    tag = uuid.uuid4().hex[:6]
    original_id = f"<late-{tag}@mail.example>"
    reply = await receive(
        session, mail(subject=f"Re: Late {tag}", in_reply_to=original_id, sender=f"a@{tag}.example")
    )
    original = await receive(
        session,
        mail(subject=f"Totally other {tag}", message_id=original_id, sender=f"b@{tag}.example"),
    )
    assert original.conversation_id == reply.conversation_id


SMTP, HTTP = Channel.SMTP, Channel.HTTP


@pytest.mark.parametrize(
    ("channel", "peer_trusted", "header", "submitted_by", "authenticated"),
    [
        (SMTP, True, "compound.localhost; spf=pass; dkim=pass; dmarc=pass", None, True),
        (SMTP, True, "compound.localhost; spf=pass; dmarc=fail", None, False),
        (SMTP, False, "compound.localhost; dmarc=pass", None, False),  # forged from outside
        (SMTP, True, "evil.example; dmarc=pass", None, False),  # not our server id
        (SMTP, False, None, "user:ana@compound.localhost", True),  # SMTP AUTH
        (SMTP, True, None, None, False),
        # A provider's ingest token says who forwarded the mail, not who wrote it.
        (HTTP, True, None, "token:cpd_x (provider)", False),
        (HTTP, True, "compound.localhost; dmarc=pass", "token:cpd_x (provider)", True),
    ],
    ids=[
        "trusted-pass",
        "trusted-fail",
        "forged",
        "other-server",
        "submission",
        "no-header",
        "http-token-alone",
        "http-provider-header",
    ],
)
async def test_sender_authentication_is_believed_only_from_our_relays(
    session: AsyncSession,
    channel: Channel,
    peer_trusted: bool,
    header: str | None,
    submitted_by: str | None,
    authenticated: bool,
) -> None:
    raw = mail(
        sender="Ana <ana@compound.localhost>",
        to="leads@compound.localhost",
        extra={"Authentication-Results": header} if header else None,
    )
    envelope = Envelope(channel=channel, via_trusted_relay=peer_trusted, submitted_by=submitted_by)
    message = await receive(session, raw, envelope)
    assert message.sender_authenticated is authenticated
    assert message.sender_internal is authenticated
    if not authenticated:
        assert "claims an internal sender without authentication" in message.defects
    if header and peer_trusted and header.startswith("compound.localhost"):
        assert message.authentication["dmarc"] in ("pass", "fail")


async def test_an_unparseable_message_is_kept_raw_and_can_be_reprocessed(
    session: AsyncSession,
) -> None:
    raw = b"\x00\x01\x02 not a message at all \xff\xfe"
    message = await receive(session, raw)
    assert message.state == "unparseable"
    assert message.parse_error
    assert message.raw == raw


CORPORA = [
    *sorted((REPOSITORY_ROOT / "tests" / "corpora" / "email").glob("*.eml")),
    *sorted((REPOSITORY_ROOT.parent / "shared" / "corpora" / "email" / "stalwart").glob("*/*.eml")),
]


async def test_every_corpus_message_is_kept_byte_for_byte_and_processed(
    session: AsyncSession,
) -> None:
    """Our corpus and the third-party one (malformed MIME among it) through the real path:
    each stored once, raw intact, processed or kept as unparseable — none lost, no crash."""
    assert len(CORPORA) >= 120, CORPORA
    states: dict[str, int] = {}
    for path in CORPORA:
        raw = path.read_bytes()
        # The same files may already be stored by another test: the bytes must match.
        message = await receive(session, raw)
        assert message.raw == raw, path.name
        assert message.state in ("processed", "unparseable"), path.name
        if message.state == "unparseable":
            assert message.parse_error, path.name
        else:
            assert message.conversation_id is not None, path.name
        states[message.state] = states.get(message.state, 0) + 1
    assert states.get("processed", 0) >= 115, states
