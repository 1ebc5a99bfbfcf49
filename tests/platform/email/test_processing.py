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

from compound.platform.auth import service as auth
from compound.platform.auth.actor import Actor
from compound.platform.auth.models import User
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
OURS = "compound.localhost"
PROVIDER = "mx.provider.example"


@pytest.mark.parametrize(
    ("channel", "trusted_id", "headers", "authenticated"),
    [
        (SMTP, OURS, [f"{OURS}; spf=pass; dkim=pass; dmarc=pass"], True),
        (SMTP, OURS, [f"{OURS}; spf=pass; dmarc=fail"], False),
        (SMTP, None, [f"{OURS}; dmarc=pass"], False),  # no trusted relay: just text
        (SMTP, OURS, ["evil.example; dmarc=pass"], False),  # not our server id
        (SMTP, OURS, [], False),
        # The relay's verdict on top; one the sender wrote lower down is not believed.
        (SMTP, OURS, [f"{OURS}; dmarc=fail", "x.example; spf=none", f"{OURS}; dmarc=pass"], False),
        # A token that names no provider vouches for nobody, whatever the header says.
        (HTTP, None, [f"{OURS}; dmarc=pass"], False),
        (HTTP, PROVIDER, [f"{PROVIDER}; dmarc=pass"], True),
        # The attack: the provider's header says fail, a forged one says pass.
        (HTTP, PROVIDER, [f"{PROVIDER}; dmarc=fail", f"{OURS}; dmarc=pass"], False),
        # The provider's id lower down, under another server's header, is not its verdict.
        (HTTP, PROVIDER, ["relay.example; dmarc=none", f"{PROVIDER}; dmarc=pass"], False),
    ],
    ids=[
        "trusted-pass",
        "trusted-fail",
        "no-relay",
        "other-server",
        "no-header",
        "forged-below-relay",
        "http-token-alone",
        "http-provider-header",
        "http-forged-below-provider",
        "http-provider-id-not-on-top",
    ],
)
async def test_sender_authentication_is_believed_only_from_the_top_trusted_header(
    session: AsyncSession,
    channel: Channel,
    trusted_id: str | None,
    headers: list[str],
    authenticated: bool,
) -> None:
    message = EmailMessage()
    # Prepended in order: the first is on top, as the last relay to see the mail put it.
    for header in headers:
        message["Authentication-Results"] = header
    message["From"] = "Ana <ana@compound.localhost>"
    message["To"] = "leads@compound.localhost"
    message["Subject"] = "Our cohort"
    message["Message-ID"] = make_msgid(domain="mail.example")
    message.set_content("Hello")
    envelope = Envelope(channel=channel, trusted_authserv_id=trusted_id, submitted_by="token:x")
    stored = await receive(session, message.as_bytes(), envelope)
    assert stored.sender_authenticated is authenticated
    assert stored.sender_internal is authenticated
    assert stored.via_trusted_relay is (trusted_id is not None)
    if not authenticated:
        assert "claims an internal sender without authentication" in stored.defects
    forged = [h for h in headers[1:] if h.startswith(OURS)] or (
        [h for h in headers if h.startswith(OURS)] if trusted_id != OURS else []
    )
    if forged:
        assert any("not added by" in defect for defect in stored.defects), stored.defects


async def _account(session: AsyncSession, email: str, role: str = "member") -> uuid.UUID:
    user = await auth.create_user(
        session, Actor.system("tests"), email=email, role=role, password="password123"
    )
    return user.id


@pytest.mark.parametrize(
    ("login", "role", "headers", "authenticated", "internal"),
    [
        ("ana@compound.localhost", "member", {"From": "Ana <ana@compound.localhost>"}, True, True),
        # Logged in as a viewer: the From is proven, but a viewer's mail commands nothing.
        ("ana@compound.localhost", "viewer", {"From": "ana@compound.localhost"}, True, False),
        # Logged in as one colleague, writing as another: not the other's mail.
        ("ana@compound.localhost", "member", {"From": "admin@compound.localhost"}, False, False),
        (
            "ana@compound.localhost",
            "admin",
            {"From": '"ana@compound.localhost" <b@x.example>'},
            False,
            False,
        ),
        (
            "ana@compound.localhost",
            "member",
            {"From": "ana@compound.localhost", "Sender": "admin@compound.localhost"},
            False,
            False,
        ),
        (
            "ana@compound.localhost",
            "member",
            {"From": "ana@compound.localhost, b@x.example"},
            False,
            False,
        ),
        ("ANA@Compound.Localhost", "member", {"From": "Ana <Ana@COMPOUND.localhost>"}, True, True),
    ],
    ids=["own", "viewer", "as-admin", "display-name", "sender-differs", "two-froms", "case"],
)
async def test_a_submission_is_the_senders_mail_only_when_the_login_is_the_from(
    session: AsyncSession,
    login: str,
    role: str,
    headers: dict[str, str],
    authenticated: bool,
    internal: bool,
) -> None:
    user_id = await _account(session, login, role)
    message = EmailMessage()
    for name, value in headers.items():
        message[name] = value
    message["To"] = "leads@compound.localhost"
    message["Subject"] = "Cohort"
    message["Message-ID"] = make_msgid(domain="mail.example")
    message.set_content("1. Acme Robotics")
    envelope = Envelope(
        channel=Channel.SMTP, submitted_by=f"user:{login.lower()}", submitter_user_id=user_id
    )
    stored = await receive(session, message.as_bytes(), envelope)
    assert stored.sender_authenticated is authenticated
    assert stored.sender_internal is internal
    assert stored.authentication["source"] == "submission"
    assert stored.authentication["submitter"] == login.lower()
    if not authenticated:
        assert stored.authentication["mismatch"]
        assert any("not treated as the From's mail" in defect for defect in stored.defects)
    if role == "viewer":
        assert "sent by a viewer: its mail commands nothing" in stored.defects


async def test_a_deactivated_accounts_submission_proves_nothing(session: AsyncSession) -> None:
    user_id = await _account(session, "gone@compound.localhost")
    user = await session.get(User, user_id)
    assert user is not None
    user.is_active = False
    raw = mail(sender="gone@compound.localhost", to="leads@compound.localhost")
    envelope = Envelope(
        channel=Channel.SMTP, submitted_by="user:gone@compound.localhost", submitter_user_id=user_id
    )
    stored = await receive(session, raw, envelope)
    assert (stored.sender_authenticated, stored.sender_internal) == (False, False)
    assert "no longer active" in stored.authentication["mismatch"]


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
