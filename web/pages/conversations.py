"""Conversations: email threads, newest activity first, filtered by subject or participant,
with cursor paging; a thread with each message's text, attachments, sender authentication,
parse defects and triage verdict; asking for a message to be processed again."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Final
from urllib.parse import quote

from litestar import Request, Response, get, post
from litestar.params import PathParameter, QueryParameter
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from compound.platform.auth.sessions import Visitor
from compound.platform.email import service
from compound.platform.email.models import MessageState
from compound.platform.email.part_limit import left_out_note
from compound.platform.email.structure import MAX_PARTS as STRUCTURE_PARTS
from compound.platform.errors import CompoundError, NotFound
from compound.platform.pages import SEE_OTHER, can_write, http_status, message_page, writes
from compound.platform.records import lookups
from compound.platform.records.lookups import RecordView

PAGE_SIZE: Final = 50
BODY_SHOWN: Final = 100_000
"""Characters of a body shown; a 25 MB text part would drown the page (the raw stays kept)."""
DEFECTS_SHOWN: Final = 50
ID_MAX: Final = 64
VERDICTS: Final = frozenset(
    {"pass", "fail", "softfail", "neutral", "none", "temperror", "permerror", "policy"}
)
FLASHES: Final = {
    "reprocess": "Queued: the message will be parsed, threaded and linked again in the "
    "background; reload in a moment to see the result.",
}
VIEWERS_CANNOT: Final = "viewers cannot reprocess messages"

Cursor = Annotated[str | None, QueryParameter(max_length=2_000)]
TextFilter = Annotated[str | None, QueryParameter(max_length=500)]
IdFilter = Annotated[str | None, QueryParameter(max_length=200)]


def _uuid_or_none(value: str | None) -> uuid.UUID | None:
    """A UUID from a path or query string; None for anything else (never an exception)."""
    if not value or len(value) > ID_MAX:
        return None
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


def _not_found(kind: str, shown_id: str) -> Template:
    # The id is echoed (escaped by the template), never more than a line of it.
    shown = shown_id if len(shown_id) <= ID_MAX else shown_id[:ID_MAX] + "…"
    return message_page("Not found", f"there is no {kind} with id {shown}", status_code=404)


@dataclass(frozen=True)
class TriageView:
    kind: str
    confidence: str | None
    ask: str | None
    route: str | None
    decided_by: str | None
    run_id: uuid.UUID | None


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _triage_view(triage: Any) -> TriageView | None:
    """The stored verdict (JSON written by the routing agent), read defensively."""
    if not isinstance(triage, dict) or not _text(triage.get("kind")):
        return None
    confidence = triage.get("confidence")
    return TriageView(
        kind=str(triage["kind"]),
        confidence=f"{confidence:.2f}"
        if isinstance(confidence, int | float) and not isinstance(confidence, bool)
        else None,
        ask=_text(triage.get("ask")),
        route=_text(triage.get("route")),
        decided_by=_text(triage.get("decided_by")),
        run_id=_uuid_or_none(_text(triage.get("triage_run_id"))),
    )


# --- the list -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Participant:
    label: str
    address: str
    person_id: uuid.UUID | None


@dataclass(frozen=True)
class ConversationRow:
    conversation: RecordView
    company: RecordView | None
    participants: list[Participant]
    more_participants: int
    triage: TriageView | None


async def _rows(
    session: AsyncSession, conversations: Sequence[RecordView]
) -> list[ConversationRow]:
    ids = [row.id for row in conversations]
    participants = await service.participants_of_conversations(session, ids)
    verdicts = await service.triage_of_conversations(session, ids)
    company_ids = sorted({row.company_id for row in conversations if row.company_id})
    companies = {row.id: row for row in await lookups.companies_by_ids(session, company_ids) if row}
    person_ids = sorted({p.person_id for group in participants for p in group if p.person_id})
    people = {row.id: row for row in await lookups.people_by_ids(session, person_ids) if row}
    rows: list[ConversationRow] = []
    for conversation, group, verdict in zip(conversations, participants, verdicts, strict=True):
        shown = [
            Participant(
                label=people[p.person_id].name if p.person_id in people else p.address,
                address=p.address,
                person_id=p.person_id if p.person_id in people else None,
            )
            for p in group
        ]
        total = group[0].total if group else 0
        rows.append(
            ConversationRow(
                conversation=conversation,
                company=companies.get(conversation.company_id),
                participants=shown,
                more_participants=max(0, total - len(shown)),
                triage=_triage_view(verdict),
            )
        )
    return rows


@get("/conversations", name="conversations")
async def conversations_page(
    session: AsyncSession,
    signed_in: Visitor,
    q: TextFilter = None,
    person: IdFilter = None,
    company: IdFilter = None,
    after: Cursor = None,
) -> Response[Any]:
    """Email threads, 50 a page, latest activity first; filtered by a part of the subject or
    of a participant's address or name, or by a person or company."""
    needle = (q or "").strip()
    error: str | None = None
    rows: list[ConversationRow] = []
    total: int | None = None
    next_cursor: str | None = None
    person_id = _uuid_or_none(person)
    company_id = _uuid_or_none(company)
    if person and person_id is None:
        error = "person: not a valid id"
    elif company and company_id is None:
        error = "company: not a valid id"
    person_row = await lookups.people_by_ids(session, [person_id]) if person_id else [None]
    company_row = await lookups.companies_by_ids(session, [company_id]) if company_id else [None]
    if error is None:
        try:
            page = await service.list_conversations(
                session,
                first=PAGE_SIZE,
                after=after or None,
                filter=service.ConversationFilter(
                    company_id=company_id, person_id=person_id, text_contains=needle or None
                ),
            )
            rows = await _rows(session, page.items)
            total = page.total_count
            next_cursor = page.end_cursor if page.has_next_page else None
        except CompoundError as failure:  # a stale or forged cursor, a bad filter
            error = failure.message
    return Template(
        template_name="conversations.html",
        context={
            "visitor": signed_in,
            "active": "conversations",
            "rows": rows,
            "total": total,
            "q": needle,
            "person": person_row[0],
            "company": company_row[0],
            "person_param": str(person_id) if person_id else "",
            "company_param": str(company_id) if company_id else "",
            "next_cursor": next_cursor,
            "error": error,
        },
        status_code=400 if error else 200,
    )


# --- a thread -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Verdict:
    method: str
    result: str
    css: str


@dataclass(frozen=True)
class MessageView:
    id: uuid.UUID
    row: RecordView
    sender: Participant | None
    sender_name: str | None
    to: list[Participant]
    cc: list[Participant]
    body: str
    body_cut: int
    """Characters of the body left out (0 when it is all shown)."""
    quoted: str
    signature: str
    attachments: list[RecordView]
    verdicts: list[Verdict]
    authentication_source: str
    authenticated: bool
    submitter: str | None
    """Who logged in to hand it in (SMTP AUTH), if anyone."""
    mismatch: str | None
    """Why that login does not make it the From's mail, if it does not."""
    defects: list[str]
    defects_more: int
    parts_left_out: str | None
    """Said when the message had more MIME parts than are read: how many, and where the rest is."""
    triage: TriageView | None
    parts: list[service.MimePart] | None


def _cut(text: str) -> tuple[str, int]:
    if len(text) <= BODY_SHOWN:
        return text, 0
    return text[:BODY_SHOWN], len(text) - BODY_SHOWN


def _verdicts(authentication: Any) -> tuple[list[Verdict], str, bool]:
    found = authentication if isinstance(authentication, dict) else {}
    verdicts = []
    for method in ("spf", "dkim", "dmarc"):
        result = str(found.get(method) or "unknown")[:40]
        verdicts.append(
            Verdict(
                method=method.upper(),
                result=result,
                css=result if result in VERDICTS else "unknown",
            )
        )
    return verdicts, str(found.get("source") or "none")[:40], found.get("authenticated") is True


def _submission(authentication: Any) -> tuple[str | None, str | None]:
    found = authentication if isinstance(authentication, dict) else {}

    def text(key: str) -> str | None:
        value = found.get(key)
        return str(value)[:500] if value else None

    return text("submitter"), text("mismatch")


def _message_view(
    row: RecordView,
    participants: list[RecordView],
    attachments: list[RecordView],
    people: dict[uuid.UUID, RecordView],
    parts: list[service.MimePart] | None,
) -> MessageView:
    def linked(role: str) -> list[Participant]:
        return [
            Participant(
                label=people[p.person_id].name if p.person_id in people else p.address,
                address=p.address,
                person_id=p.person_id if p.person_id in people else None,
            )
            for p in participants
            if p.role == role
        ]

    senders = linked("from")
    sender = senders[0] if senders else None
    if sender is None and row.from_address:
        sender = Participant(label=row.from_address, address=row.from_address, person_id=None)
    if sender is not None and sender.person_id is None and row.from_name:
        # Not linked to a person: the name the message gives is all there is to show.
        sender = Participant(label=row.from_name, address=sender.address, person_id=None)
    # What the sender wrote now; the whole text when the split found nothing new in it.
    body = row.new_text if row.new_text.strip() else ("" if row.quoted_text else row.text_body)
    body, body_cut = _cut(body)
    quoted, _ = _cut(row.quoted_text)
    verdicts, source, authenticated = _verdicts(row.authentication)
    submitter, mismatch = _submission(row.authentication)
    defects = [str(defect) for defect in (row.defects or [])]
    return MessageView(
        id=row.id,
        row=row,
        sender=sender,
        sender_name=row.from_name,
        to=linked("to"),
        cc=linked("cc"),
        body=body,
        body_cut=body_cut,
        quoted=quoted,
        signature=row.signature[:BODY_SHOWN],
        attachments=attachments,
        verdicts=verdicts,
        authentication_source=source,
        authenticated=authenticated,
        submitter=submitter,
        mismatch=mismatch,
        defects=defects[:DEFECTS_SHOWN],
        defects_more=max(0, len(defects) - DEFECTS_SHOWN),
        parts_left_out=left_out_note(defects),
        triage=_triage_view(row.triage),
        parts=parts,
    )


async def _thread_page(
    session: AsyncSession,
    signed_in: Visitor,
    conversation: RecordView,
    *,
    structure_of: uuid.UUID | None,
    flash: str | None,
) -> Template:
    [messages] = await service.messages_of_conversations(session, [conversation.id])
    ids = [message.id for message in messages]
    participants = await service.participants_of_messages(session, ids)
    attachments = await service.attachments_of_messages(session, ids)
    person_ids = sorted({p.person_id for group in participants for p in group if p.person_id})
    people = {row.id: row for row in await lookups.people_by_ids(session, person_ids) if row}
    company_ids = sorted(
        {row.company_id for row in people.values() if row.company_id}
        | ({conversation.company_id} if conversation.company_id else set())
    )
    companies = {row.id: row for row in await lookups.companies_by_ids(session, company_ids) if row}
    views = []
    for message, group, files in zip(messages, participants, attachments, strict=True):
        # The MIME tree is read from the raw bytes: only for the one message asked about.
        parts = (
            await service.mime_structure(session, message.id)
            if structure_of == message.id
            else None
        )
        views.append(_message_view(message, group, files, people, parts))
    return Template(
        template_name="conversation.html",
        context={
            "visitor": signed_in,
            "active": "conversations",
            "csrf": signed_in.csrf_token,
            "can_reprocess": can_write(signed_in),
            "conversation": conversation,
            "company": companies.get(conversation.company_id),
            "people": sorted(people.values(), key=lambda row: row.name.lower()),
            "companies": companies,
            "messages": views,
            "processed": MessageState.PROCESSED.value,
            "structure_limit": STRUCTURE_PARTS,
            "flash": FLASHES.get(flash or ""),
        },
    )


@get("/conversations/{conversation_id:str}", name="conversation")
async def conversation_page(
    session: AsyncSession,
    signed_in: Visitor,
    conversation_id: Annotated[str, PathParameter()],
    structure: IdFilter = None,
    flash: Annotated[str | None, QueryParameter(max_length=20)] = None,
) -> Response[Any]:
    """One thread, oldest message first, with everything kept about each message."""
    wanted = _uuid_or_none(conversation_id)
    [conversation] = await service.conversations_by_ids(session, [wanted]) if wanted else [None]
    if conversation is None:
        return _not_found("conversation", conversation_id)
    return await _thread_page(
        session,
        signed_in,
        conversation,
        structure_of=_uuid_or_none(structure),
        flash=flash,
    )


def download_name(filename: str | None, attachment_id: uuid.UUID) -> str:
    """A Content-Disposition value that cannot break out of its header or its quotes: an ASCII
    fallback name, and the real one percent-encoded (RFC 6266 / 5987)."""
    name = "".join(ch for ch in (filename or "") if ch.isprintable()).strip()[:200]
    name = name.replace("/", "_").replace("\\", "_") or f"attachment-{attachment_id}"
    fallback = "".join(ch if ch.isascii() and ch not in '"%;' else "_" for ch in name)
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


@get("/conversations/{conversation_id:str}/attachments/{attachment_id:str}")
async def download_attachment(
    session: AsyncSession,
    conversation_id: Annotated[str, PathParameter()],
    attachment_id: Annotated[str, PathParameter()],
) -> Response[Any]:
    """An attachment's bytes as they arrived, always as a file to save: mail is untrusted, so
    it is never shown inline on our origin (no sniffing, a sandbox if it is opened)."""
    thread, wanted = _uuid_or_none(conversation_id), _uuid_or_none(attachment_id)
    if thread is None or wanted is None:
        return _not_found("attachment in this conversation", attachment_id)
    try:
        attachment = await service.attachment_in_conversation(session, thread, wanted)
    except NotFound:
        return _not_found("attachment in this conversation", attachment_id)
    return _download(attachment.content, download_name(attachment.filename, attachment.id))


@get("/conversations/{conversation_id:str}/messages/{message_id:str}/raw")
async def download_raw_message(
    session: AsyncSession,
    conversation_id: Annotated[str, PathParameter()],
    message_id: Annotated[str, PathParameter()],
) -> Response[Any]:
    """The message byte for byte as it arrived (.eml), as a file to save: all of it, the MIME
    parts past the cap on parts included."""
    message = await _message_in(session, conversation_id, message_id)
    if message is None:
        return _not_found("message in this conversation", message_id)
    [raw] = await service.raw_of_messages(session, [message.id])
    return _download(raw or b"", download_name(f"message-{message.id}.eml", message.id))


def _download(content: bytes, disposition: str) -> Response[Any]:
    # Mail is untrusted: never shown inline on our origin (no sniffing, a sandbox if opened).
    return Response(
        content=content,
        media_type="application/octet-stream",
        headers={
            "Content-Disposition": disposition,
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "sandbox; default-src 'none'",
            "Cache-Control": "private, no-store",
        },
    )


async def _message_in(
    session: AsyncSession, conversation_id: str, message_id: str
) -> RecordView | None:
    """The message with this id in the thread with this id (as the path gives them), or None."""
    thread, wanted = _uuid_or_none(conversation_id), _uuid_or_none(message_id)
    [message] = await service.messages_by_ids(session, [wanted]) if wanted else [None]
    if message is None or thread is None or message.conversation_id != thread:
        return None
    return message


def _back_to_thread(request: Request[Any, Any, Any]) -> str:
    thread = _uuid_or_none(request.path_params["conversation_id"])
    return f"/conversations/{thread}" if thread else "/conversations"


@post(
    "/conversations/{conversation_id:str}/messages/{message_id:str}/reprocess",
    status_code=SEE_OTHER,
    opt=writes(_back_to_thread, viewers_cannot=VIEWERS_CANNOT),
)
async def reprocess_message_submit(
    session: AsyncSession,
    signed_in: Visitor,
    conversation_id: Annotated[str, PathParameter()],
    message_id: Annotated[str, PathParameter()],
) -> Response[Any]:
    """Parse, thread and link one message of the thread again; back to the thread."""
    message = await _message_in(session, conversation_id, message_id)
    if message is None:
        return _not_found("message in this conversation", message_id)
    try:
        # A savepoint: a refused request leaves nothing behind.
        async with session.begin_nested():
            await service.reprocess_message(session, signed_in.actor, message.id)
    except CompoundError as error:
        return message_page("Not reprocessed", error.message, status_code=http_status(error))
    return Redirect(
        f"/conversations/{message.conversation_id}?flash=reprocess#message-{message.id}",
        status_code=SEE_OTHER,
    )
