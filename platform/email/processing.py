"""Processing a stored message: parse it, thread it into a conversation, link its sender and
recipients to people and companies, then hand it to whoever routes mail (the agents)."""

from __future__ import annotations

import asyncio
import hashlib
import re
import uuid
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta

from sqlalchemy import func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from compound.platform.auth.actor import Actor
from compound.platform.auth.models import Role, User
from compound.platform.clock import utcnow
from compound.platform.config import Settings, get_settings
from compound.platform.email import authentication
from compound.platform.email.authentication import DnsLookup, SenderAuthentication
from compound.platform.email.freemail import is_free_mail
from compound.platform.email.models import (
    SUBJECT_MAX,
    Attachment,
    Channel,
    Conversation,
    Message,
    MessageParticipant,
    MessageState,
)
from compound.platform.email.parsing import (
    Address,
    ParsedMessage,
    UnparseableMessage,
    parse_message,
)
from compound.platform.email.quotes import split_reply
from compound.platform.errors import CompoundError, Duplicate, NotFound
from compound.platform.normalize import normalize_email, registrable_domain
from compound.platform.records import companies, people
from compound.platform.records.embedding_backfill import embed_later
from compound.platform.records.timeline import record_change

EMAIL_ACTOR = Actor.system("email")
SUBJECT_THREAD_WINDOW = timedelta(days=30)
MAX_REFERENCES = 100
MAX_PARTICIPANTS = 100
_SUBJECT_PREFIX = re.compile(
    r"^\s*((re|fwd?|aw|wg|tr|rv|sv|vs|antw|réf|ref)\s*(\[\d+\])?\s*:|\[[^\]]{1,40}\])\s*",
    re.IGNORECASE,
)

AfterProcessing = Callable[[AsyncSession, Message], Awaitable[None]]
_after_processing: list[AfterProcessing] = []


def on_processed(hook: AfterProcessing) -> AfterProcessing:
    """Run `hook(session, message)` after each inbound message is processed (the agents route mail
    this way; the platform does not know them)."""
    if hook not in _after_processing:
        _after_processing.append(hook)
    return hook


def subject_key(subject: str) -> str:
    """The subject without reply/forward prefixes and list tags, for last-resort threading."""
    key = subject
    while True:
        stripped = _SUBJECT_PREFIX.sub("", key, count=1)
        if stripped == key:
            break
        key = stripped
    return " ".join(key.lower().split())[:SUBJECT_MAX]


def _domain(address: str) -> str:
    return address.rpartition("@")[2].lower()


def _is_ours(address: str, settings: Settings) -> bool:
    domain = _domain(address)
    return domain in settings.mail_domains or domain in settings.internal_domains


async def get_message(session: AsyncSession, message_id: uuid.UUID) -> Message:
    message = await session.get(Message, message_id)
    if message is None:
        raise NotFound(f"no message with id {message_id}", field="id")
    return message


async def process_message(
    session: AsyncSession,
    message_id: uuid.UUID,
    *,
    settings: Settings | None = None,
    dns: DnsLookup | None = None,
) -> Message | None:
    """Parse, thread and link one stored message; safe to run again (reprocessing).
    `dns` answers the DKIM/DMARC lookups instead of DNS (tests); given, it checks them
    whatever `mail_check_dns` says."""
    settings = settings or get_settings()
    message = await session.get(Message, message_id, with_for_update=True)
    if message is None:
        return None
    try:
        parsed = parse_message(message.raw, max_parts=settings.mail_max_parts)
    except UnparseableMessage as error:
        message.state = MessageState.UNPARSEABLE.value
        message.parse_error = error.message
        message.processed_at = message.updated_at = utcnow()
        await session.flush()
        return message
    sender, notes = await _sender(session, message, parsed, settings, dns)
    _apply_parse(message, parsed, settings, sender, notes)
    await _judge_colleague(session, message, settings)
    await _store_attachments(session, message, parsed, max_parts=settings.mail_max_parts)
    await _thread(session, message, settings)
    await _link_participants(session, message, parsed, settings)
    message.state = MessageState.PROCESSED.value
    message.parse_error = None
    message.processed_at = message.updated_at = utcnow()
    # For the site search; from the background batch, as the model is too slow here.
    message.embedding = None
    await session.flush()
    await embed_later(session)
    if message.channel != Channel.OUTBOUND.value:
        # Hooks act on mail that came in; what Compound sent is only kept in its thread.
        for hook in _after_processing:
            await hook(session, message)
    return message


async def _sender(
    session: AsyncSession,
    message: Message,
    parsed: ParsedMessage,
    settings: Settings,
    dns: DnsLookup | None,
) -> tuple[SenderAuthentication, tuple[str, ...]]:
    """What proves who sent it, and what was claimed but not believed (as defects)."""
    if message.channel == Channel.SMTP.value and message.submitter_user_id is not None:
        # SMTP AUTH proves the account, and so the From only when the From is that account.
        # An ingest token over HTTP proves which provider forwarded the mail, not who wrote
        # it: only the provider's own header, below, speaks for the sender then.
        account = await session.get(User, message.submitter_user_id)
        submitted = authentication.submission(
            parsed.headers,
            submitter=account.email if account is not None and account.is_active else None,
            login=message.submitted_by or str(message.submitter_user_id),
        )
        return submitted, ()
    verdict = authentication.trusted_header(
        parsed.headers,
        trusted_id=message.trusted_authserv_id,
        our_id=settings.mail_authserv_id,
    )
    sender = verdict.sender
    if sender.checked or message.channel == Channel.OUTBOUND.value:
        return sender, verdict.ignored
    if dns is None and not settings.mail_check_dns:
        return sender, verdict.ignored
    lookup = dns or authentication.dns_lookup(settings.mail_dns_timeout_seconds)
    # DNS and RSA are slow and blocking: off the event loop.
    checked = await asyncio.to_thread(
        authentication.verify_with_dns,
        message.raw,
        authserv_id=settings.mail_authserv_id,
        lookup=lookup,
    )
    return checked, verdict.ignored


def _apply_parse(
    message: Message,
    parsed: ParsedMessage,
    settings: Settings,
    sender: SenderAuthentication,
    notes: Sequence[str],
) -> None:
    message.from_address = parsed.from_address.address[:320] if parsed.from_address else None
    message.from_name = (parsed.from_address.name or None) if parsed.from_address else None
    if message.from_name:
        message.from_name = message.from_name[:300]
    message.reply_to = [a.address[:320] for a in parsed.reply_to[:MAX_PARTICIPANTS]]
    message.to_addresses = [a.address[:320] for a in parsed.to[:MAX_PARTICIPANTS]]
    message.cc_addresses = [a.address[:320] for a in parsed.cc[:MAX_PARTICIPANTS]]
    message.subject = parsed.subject[:SUBJECT_MAX]
    message.sent_at = parsed.date
    message.sort_at = (
        # What we sent we timed ourselves, finer than a Date header's whole seconds.
        message.received_at
        if message.channel == Channel.OUTBOUND.value
        else _sort_time(parsed.date, message.received_at)
    )
    message.in_reply_to = parsed.in_reply_to[:998] if parsed.in_reply_to else None
    message.references = [ref[:998] for ref in parsed.references[-MAX_REFERENCES:]]
    message.text_body = parsed.text
    message.html_body = parsed.html
    parts = split_reply(parsed.text)
    message.new_text, message.quoted_text, message.signature = (
        parts.new_text,
        parts.quoted,
        parts.signature,
    )
    message.headers = [[name, value] for name, value in parsed.headers]
    message.defects = [*parsed.defects, *notes]
    if sender.mismatch:
        # Shown with the message: who logged in, and whose mail it claimed to be.
        message.defects.append(f"{sender.mismatch}: not treated as the From's mail")
    message.is_bulk = parsed.is_bulk or parsed.auto_submitted
    message.authentication = sender.as_json()
    message.sender_authenticated = sender.authenticated


async def _judge_colleague(session: AsyncSession, message: Message, settings: Settings) -> None:
    """`sender_internal`: a colleague whose mail may make Compound act — the sender is
    proven, on an internal domain, and not a viewer's (nor a deactivated account's)."""
    claims_internal = bool(
        message.from_address and _domain(message.from_address) in settings.internal_domains
    )
    message.sender_internal = False
    if not claims_internal or message.channel == Channel.OUTBOUND.value:
        return  # what Compound sent itself is kept in its thread, never a command
    if not message.sender_authenticated:
        # A colleague's address without proof is how impersonation looks; agents see this.
        message.defects = [*message.defects, "claims an internal sender without authentication"]
        return
    account = await _account_of(session, message.from_address or "")
    if account is not None and (account.role == Role.VIEWER.value or not account.is_active):
        kind = "a viewer" if account.is_active else "a deactivated account"
        message.defects = [*message.defects, f"sent by {kind}: its mail commands nothing"]
        return
    message.sender_internal = True


async def _account_of(session: AsyncSession, address: str) -> User | None:
    try:
        email = normalize_email(address)
    except CompoundError:
        return None
    return await session.scalar(select(User).where(col(User.email) == email))


def _sort_time(sent_at: datetime | None, received_at: datetime) -> datetime:
    # A Date header far from the arrival time is a broken clock or a lie; arrival decides.
    if sent_at is None or abs(sent_at - received_at) > timedelta(days=2):
        return received_at
    return sent_at


async def _store_attachments(
    session: AsyncSession, message: Message, parsed: ParsedMessage, *, max_parts: int
) -> None:
    """A row per attachment, at most one per MIME part the cap lets be read (the parser
    stops there already; a row per part of a 100,000-part message took minutes and the page
    megabytes). What is not stored stays in the raw message."""
    if not parsed.attachments:
        return
    existing = await session.scalar(
        select(func.count()).select_from(Attachment).where(col(Attachment.message_id) == message.id)
    )
    if existing:  # reprocessing: the parts were stored the first time
        return
    for position, part in enumerate(parsed.attachments[:max_parts]):
        session.add(
            Attachment(
                message_id=message.id,
                position=position,
                filename=part.filename[:500] if part.filename else None,
                content_type=part.content_type[:200],
                size=part.size,
                sha256=hashlib.sha256(part.content).hexdigest(),
                inline=part.inline,
                content=part.content,
            )
        )


async def _thread(session: AsyncSession, message: Message, settings: Settings) -> None:
    """Join the conversation of a message it answers or references; failing that, a recent
    one with the same subject and a shared participant; else start one."""
    if message.conversation_id is not None:
        await _refresh_conversation(session, message.conversation_id)
        return
    related = [ref for ref in [message.in_reply_to, *reversed(message.references)] if ref]
    key = subject_key(message.subject)
    await _lock_thread_keys(
        session, [message.internet_message_id, *related[:20], key and f"s:{key}"]
    )
    conversation_id = None
    if related:
        conversation_id = await session.scalar(
            select(col(Message.conversation_id))
            .where(col(Message.internet_message_id).in_(related))
            .where(col(Message.conversation_id).is_not(None))
            .limit(1)
        )
    if conversation_id is None and message.internet_message_id:
        # Replies to this message that arrived before it (out of order) name it.
        conversation_id = await session.scalar(
            select(col(Message.conversation_id))
            .where(col(Message.in_reply_to) == message.internet_message_id)
            .where(col(Message.conversation_id).is_not(None))
            .limit(1)
        )
    if conversation_id is None and key:
        conversation_id = await _by_subject(session, message, key, settings)
    if conversation_id is None:
        # A new thread of one: nothing to count.
        conversation = Conversation(
            subject=message.subject,
            subject_key=key,
            message_count=1,
            last_message_at=message.sort_at,
        )
        session.add(conversation)
        await session.flush()
        message.conversation_id = conversation.id
        return
    message.conversation_id = conversation_id
    await _refresh_conversation(session, conversation_id)


async def _lock_thread_keys(session: AsyncSession, keys: Sequence[str | None]) -> None:
    """Serialize threading decisions with the transactions that share a Message-ID or a
    subject with this message: a reply and its original processed at the same moment would
    otherwise each miss the other and start two threads. Held until commit; taken in one
    order, so two messages cannot deadlock on each other."""
    ids = sorted(
        {
            int.from_bytes(hashlib.blake2b(k.encode(), digest_size=8).digest(), "big", signed=True)
            for k in keys
            if k
        }
    )
    if ids:
        await session.execute(
            text("SELECT pg_advisory_xact_lock(k) FROM unnest(CAST(:ids AS bigint[])) AS k"),
            {"ids": ids},
        )


async def _by_subject(
    session: AsyncSession, message: Message, key: str, settings: Settings
) -> uuid.UUID | None:
    # Compound's own mailboxes are on every message, so sharing one proves nothing.
    addresses = {
        a
        for a in [message.from_address, *message.to_addresses, *message.cc_addresses]
        if a and _domain(a) not in settings.mail_domains
    }
    if not addresses:
        return None
    candidates = (
        await session.execute(
            select(Message.conversation_id, Message.from_address, Message.to_addresses)  # type: ignore[call-overload]
            .join(Conversation, col(Conversation.id) == col(Message.conversation_id))
            .where(col(Conversation.subject_key) == key)
            .where(col(Message.sort_at) > message.sort_at - SUBJECT_THREAD_WINDOW)
            .where(col(Message.id) != message.id)
            .order_by(col(Message.sort_at).desc())
            .limit(20)
        )
    ).all()
    for conversation_id, sender, recipients in candidates:
        if addresses & {sender, *(recipients or [])}:
            return conversation_id  # type: ignore[no-any-return]
    return None


async def _refresh_conversation(session: AsyncSession, conversation_id: uuid.UUID) -> None:
    await session.flush()
    in_thread = select(Message).where(col(Message.conversation_id) == conversation_id)
    await session.execute(
        update(Conversation)
        .where(col(Conversation.id) == conversation_id)
        .values(
            message_count=in_thread.with_only_columns(func.count()).scalar_subquery(),
            last_message_at=func.coalesce(
                in_thread.with_only_columns(func.max(Message.sort_at)).scalar_subquery(),
                Conversation.last_message_at,
            ),
            updated_at=func.now(),
        )
        # The session's copy is refreshed from the row the next time it is read.
        .execution_options(synchronize_session="fetch")
    )


async def _link_participants(
    session: AsyncSession, message: Message, parsed: ParsedMessage, settings: Settings
) -> None:
    roles: list[tuple[str, Address]] = []
    if parsed.from_address:
        roles.append(("from", parsed.from_address))
    roles += [("to", a) for a in parsed.to[:MAX_PARTICIPANTS]]
    roles += [("cc", a) for a in parsed.cc[:MAX_PARTICIPANTS]]
    roles += [("reply_to", a) for a in parsed.reply_to[:10]]
    seen: set[tuple[str, str]] = set()
    company_for_thread = None
    sender: tuple[uuid.UUID, uuid.UUID | None] | None = None
    for role, address in roles:
        if (role, address.address) in seen or not address.address:
            continue
        seen.add((role, address.address))
        person_id = None
        if address.valid and not _is_ours(address.address, settings):
            person_id, company_id = await _person_for(session, address)
            company_for_thread = company_for_thread or company_id
            if role == "from" and person_id is not None:
                sender = (person_id, company_id)
        session.add(
            MessageParticipant(
                message_id=message.id,
                role=role,
                address=address.address[:320],
                person_id=person_id,
            )
        )
    await session.flush()
    if company_for_thread and message.conversation_id:
        conversation = await session.get(Conversation, message.conversation_id)
        if conversation is not None and conversation.company_id is None:
            conversation.company_id = company_for_thread
    if sender is not None:
        await record_change(
            session,
            EMAIL_ACTOR,
            action="email.received",
            subject_type="message",
            subject_id=message.id,
            summary=f"Email: {message.subject or '(no subject)'}"[:500],
            person_id=sender[0],
            company_id=sender[1],
            data={"conversation_id": str(message.conversation_id)},
        )


async def _person_for(
    session: AsyncSession, address: Address
) -> tuple[uuid.UUID | None, uuid.UUID | None]:
    """The Person with this address, created (with their company, by domain) if new."""
    existing = await people.find_person_by_email(session, address.address)
    if existing is not None:
        return existing.id, existing.company_id
    company_id = await _company_for(session, _domain(address.address))
    name = (address.name or address.address.partition("@")[0]).strip()[:200] or address.address
    try:
        async with session.begin_nested():
            person = await people.create_person(
                session,
                EMAIL_ACTOR,
                name=name,
                emails=[address.address],
                company_id=company_id,
                # Batched in the background: the model per new correspondent is too slow here.
                compute_embedding=False,
            )
    except Duplicate as duplicate:  # another message created them a moment ago
        return uuid.UUID(duplicate.existing_id), company_id
    except CompoundError:
        return None, company_id  # an address the people service refuses is left unlinked
    await embed_later(session)
    return person.id, company_id


async def _company_for(session: AsyncSession, address_domain: str) -> uuid.UUID | None:
    if not address_domain or is_free_mail(address_domain):
        return None
    domain = registrable_domain(address_domain)
    existing = await companies.find_company_by_domain(session, domain)
    if existing is not None:
        return existing.id
    name = domain.split(".")[0].replace("-", " ").title()
    try:
        async with session.begin_nested():
            company = await companies.create_company(
                session, EMAIL_ACTOR, name=name, domain=domain, compute_embedding=False
            )
    except Duplicate as duplicate:
        return uuid.UUID(duplicate.existing_id)
    except CompoundError:
        return None
    await embed_later(session)
    return company.id
