"""GraphQL for email: conversations, their messages with every detail kept, and reprocessing."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.scalars import JSON
from strawberry.types import Info

from compound.platform.auth.actor import Actor
from compound.platform.email import service
from compound.platform.email.models import Message
from compound.platform.email.structure import MAX_PARTS
from compound.platform.graphql.connection import Connection, connection_from_page, fetch_page
from compound.platform.graphql.context import context_of, parse_id
from compound.platform.graphql.cost import list_size
from compound.platform.graphql.payloads import USER_ERRORS, UserError, run_mutation
from compound.platform.graphql.permissions import CanRead, CanWrite
from compound.platform.records import lookups
from compound.platform.records.graphql import CompanyType, PersonType, company_of

# The most items a message's or a thread's nested list returns (the query cost counts them).
MESSAGES_LISTED = 100
ATTACHMENTS_LISTED = 100
PARTICIPANTS_LISTED = 200
HEADERS_LISTED = 200


@strawberry.type(name="EmailAddress")
class EmailAddressType:
    address: str
    name: str | None = None


@strawberry.type(name="MessageHeader")
class HeaderType:
    name: str
    value: str


@strawberry.type(name="SenderAuthentication")
class SenderAuthenticationType:
    spf: str
    dkim: str
    dmarc: str
    source: str = strawberry.field(
        description="submission (SMTP AUTH, by password or ingest token), trusted-header "
        "(the topmost Authentication-Results of our trusted relay, with our server id, or "
        "of the mail provider an ingest token names), dns (our own DKIM/DMARC check) or none."
    )
    authenticated: bool = strawberry.field(
        description="The From is proven: a submission by that very account, or DMARC pass."
    )
    submitter: str | None = strawberry.field(
        default=None, description="For a submission: the address of the account that logged in."
    )
    mismatch: str | None = strawberry.field(
        default=None,
        description="For a submission whose From (or Sender) is not the account: why it "
        "does not count as that account's mail.",
    )


@strawberry.type(name="MessagePart", description="One node of the raw MIME tree.")
class MessagePartType:
    path: str = strawberry.field(description='"" for the root, then 1, 1.2, …')
    content_type: str
    charset: str | None
    filename: str | None
    disposition: str | None
    size: int = strawberry.field(description="Bytes of the part as transferred (encoded).")


@strawberry.type(name="Attachment")
class AttachmentType:
    id: strawberry.ID
    filename: str | None
    content_type: str
    size: int
    sha256: str
    inline: bool

    @classmethod
    def of(cls, row: Any) -> AttachmentType:
        return cls(
            id=strawberry.ID(str(row.id)),
            filename=row.filename,
            content_type=row.content_type,
            size=row.size,
            sha256=row.sha256,
            inline=row.inline,
        )


@strawberry.type(name="MessageParticipant")
class ParticipantType:
    role: str = strawberry.field(description="from, to, cc or reply_to")
    address: str
    person_id: strawberry.ID | None

    @strawberry.field
    async def person(self, info: Info[Any, Any]) -> PersonType | None:
        if self.person_id is None:
            return None
        loader = context_of(info).loader("person", lookups.people_by_ids)
        row = await loader.load(uuid.UUID(self.person_id))
        return PersonType.of(row) if row else None


@strawberry.type(name="Message", description="One email: as received, as parsed, as triaged.")
class MessageType:
    id: strawberry.ID
    internet_message_id: str | None = strawberry.field(description="Its Message-ID header.")
    channel: str
    state: str = strawberry.field(description="received, processed or unparseable.")
    parse_error: str | None
    defects: list[str]
    received_at: datetime
    processed_at: datetime | None
    raw_size: int
    envelope_from: str | None
    envelope_to: list[str]
    submitted_by: str | None
    sender: EmailAddressType | None
    to: list[str]
    cc: list[str]
    reply_to: list[str]
    subject: str
    sent_at: datetime | None
    in_reply_to: str | None
    references: list[str]
    text_body: str
    html_body: str | None
    new_text: str = strawberry.field(description="What the sender wrote now (what agents read).")
    quoted_text: str
    signature: str
    headers: list[HeaderType] = strawberry.field(
        description=f"As received, in order (the first {HEADERS_LISTED}).",
        metadata=list_size(HEADERS_LISTED),
    )
    is_bulk: bool
    authentication: SenderAuthenticationType
    sender_authenticated: bool
    sender_internal: bool
    triage: JSON | None = strawberry.field(
        description="kind, ask, confidence, run id and route, once triaged."
    )
    conversation_id: strawberry.ID | None

    @classmethod
    def of(cls, row: Any) -> MessageType:
        auth = row.authentication or {}
        return cls(
            id=strawberry.ID(str(row.id)),
            internet_message_id=row.internet_message_id,
            channel=row.channel,
            state=row.state,
            parse_error=row.parse_error,
            defects=list(row.defects or []),
            received_at=row.received_at,
            processed_at=row.processed_at,
            raw_size=row.raw_size,
            envelope_from=row.envelope_from,
            envelope_to=list(row.envelope_to or []),
            submitted_by=row.submitted_by,
            sender=EmailAddressType(address=row.from_address, name=row.from_name)
            if row.from_address
            else None,
            to=list(row.to_addresses or []),
            cc=list(row.cc_addresses or []),
            reply_to=list(row.reply_to or []),
            subject=row.subject,
            sent_at=row.sent_at,
            in_reply_to=row.in_reply_to,
            references=list(row.references or []),
            text_body=row.text_body,
            html_body=row.html_body,
            new_text=row.new_text,
            quoted_text=row.quoted_text,
            signature=row.signature,
            headers=[
                HeaderType(name=name, value=value)
                for name, value in (row.headers or [])[:HEADERS_LISTED]
            ],
            is_bulk=row.is_bulk,
            authentication=SenderAuthenticationType(
                spf=auth.get("spf", "unknown"),
                dkim=auth.get("dkim", "unknown"),
                dmarc=auth.get("dmarc", "unknown"),
                source=auth.get("source", "none"),
                authenticated=bool(auth.get("authenticated", False)),
                submitter=auth.get("submitter"),
                mismatch=auth.get("mismatch"),
            ),
            sender_authenticated=row.sender_authenticated,
            sender_internal=row.sender_internal,
            triage=row.triage,
            conversation_id=strawberry.ID(str(row.conversation_id))
            if row.conversation_id
            else None,
        )

    @strawberry.field(
        description=f"In order (the first {ATTACHMENTS_LISTED}).",
        metadata=list_size(ATTACHMENTS_LISTED),
    )
    async def attachments(self, info: Info[Any, Any]) -> list[AttachmentType]:
        loader = context_of(info).loader("attachments", _attachments)
        return [AttachmentType.of(row) for row in await loader.load(uuid.UUID(self.id))]

    @strawberry.field(
        description=f"Senders and recipients, linked to people (the first {PARTICIPANTS_LISTED}).",
        metadata=list_size(PARTICIPANTS_LISTED),
    )
    async def participants(self, info: Info[Any, Any]) -> list[ParticipantType]:
        loader = context_of(info).loader("participants", _participants)
        return [
            ParticipantType(
                role=row.role,
                address=row.address,
                person_id=strawberry.ID(str(row.person_id)) if row.person_id else None,
            )
            for row in await loader.load(uuid.UUID(self.id))
        ]

    @strawberry.field(
        description="The raw MIME tree (read from the kept raw message): its first "
        f"{MAX_PARTS} parts, depth first.",
        metadata=list_size(MAX_PARTS),
    )
    async def parts(self, info: Info[Any, Any]) -> list[MessagePartType]:
        # A loader: the same message under 15 aliases is parsed once per request.
        loader = context_of(info).loader("message_parts", service.mime_structures)
        return [
            MessagePartType(
                path=part.path,
                content_type=part.content_type,
                charset=part.charset,
                filename=part.filename,
                disposition=part.disposition,
                size=part.size,
            )
            for part in await loader.load(uuid.UUID(self.id))
        ]

    @strawberry.field
    async def conversation(self, info: Info[Any, Any]) -> ConversationType | None:
        if self.conversation_id is None:
            return None
        loader = context_of(info).loader("conversations", service.conversations_by_ids)
        row = await loader.load(uuid.UUID(self.conversation_id))
        return ConversationType.of(row) if row else None


@strawberry.type(name="Conversation", description="An email thread.")
class ConversationType:
    id: strawberry.ID
    subject: str
    message_count: int
    last_message_at: datetime
    created_at: datetime
    company_id: strawberry.ID | None

    @classmethod
    def of(cls, row: Any) -> ConversationType:
        return cls(
            id=strawberry.ID(str(row.id)),
            subject=row.subject,
            message_count=row.message_count,
            last_message_at=row.last_message_at,
            created_at=row.created_at,
            company_id=strawberry.ID(str(row.company_id)) if row.company_id else None,
        )

    @strawberry.field(
        description=f"Oldest first (the latest {MESSAGES_LISTED}).",
        metadata=list_size(MESSAGES_LISTED),
    )
    async def messages(self, info: Info[Any, Any]) -> list[MessageType]:
        loader = context_of(info).loader("messages_of", _thread_messages)
        return [MessageType.of(row) for row in await loader.load(uuid.UUID(self.id))]

    @strawberry.field
    async def company(self, info: Info[Any, Any]) -> CompanyType | None:
        return await company_of(info, self.company_id)


async def _thread_messages(session: AsyncSession, ids: Sequence[uuid.UUID]) -> list[list[Any]]:
    return await service.messages_of_conversations(session, ids, limit=MESSAGES_LISTED)


async def _attachments(session: AsyncSession, ids: Sequence[uuid.UUID]) -> list[list[Any]]:
    return await service.attachments_of_messages(session, ids, limit=ATTACHMENTS_LISTED)


async def _participants(session: AsyncSession, ids: Sequence[uuid.UUID]) -> list[list[Any]]:
    return await service.participants_of_messages(session, ids, limit=PARTICIPANTS_LISTED)


@strawberry.input
class ConversationFilterInput:
    company_id: strawberry.ID | None = None
    person_id: strawberry.ID | None = strawberry.field(
        default=None, description="Threads this person wrote or received."
    )
    subject_contains: str | None = None


@strawberry.type(name="MessagePayload")
class MessagePayload:
    message: MessageType | None
    user_errors: list[UserError] = strawberry.field(metadata=USER_ERRORS)


@strawberry.type
class EmailQuery:
    @strawberry.field(permission_classes=[CanRead], description="Threads, latest activity first.")
    async def conversations(
        self,
        info: Info[Any, Any],
        first: int | None = None,
        after: str | None = None,
        filter: ConversationFilterInput | None = None,
    ) -> Connection[ConversationType]:
        wanted = service.ConversationFilter(
            company_id=parse_id(filter.company_id, field="companyId")
            if filter and filter.company_id
            else None,
            person_id=parse_id(filter.person_id, field="personId")
            if filter and filter.person_id
            else None,
            subject_contains=(filter.subject_contains or None) if filter else None,
        )

        async def page(session: AsyncSession, size: int, with_total: bool) -> Any:
            return await service.list_conversations(
                session, first=size, after=after, filter=wanted, with_total=with_total
            )

        return connection_from_page(await fetch_page(info, first, page), ConversationType.of)

    @strawberry.field(permission_classes=[CanRead])
    async def conversation(
        self, info: Info[Any, Any], id: strawberry.ID
    ) -> ConversationType | None:
        loader = context_of(info).loader("conversations", service.conversations_by_ids)
        row = await loader.load(parse_id(id))
        return ConversationType.of(row) if row else None

    @strawberry.field(permission_classes=[CanRead])
    async def message(self, info: Info[Any, Any], id: strawberry.ID) -> MessageType | None:
        loader = context_of(info).loader("messages", service.messages_by_ids)
        row = await loader.load(parse_id(id))
        return MessageType.of(row) if row else None


@strawberry.type
class EmailMutation:
    @strawberry.mutation(
        permission_classes=[CanWrite],
        description="Parse, thread and link a message again (e.g. one kept as unparseable).",
    )
    async def reprocess_message(self, info: Info[Any, Any], id: strawberry.ID) -> MessagePayload:
        async def reprocess(session: AsyncSession, actor: Actor) -> Message:
            return await service.reprocess_message(session, actor, parse_id(id))

        message, errors = await run_mutation(info, reprocess)
        return MessagePayload(
            message=MessageType.of(message) if message else None, user_errors=errors
        )
