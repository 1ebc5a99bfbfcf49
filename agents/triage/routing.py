"""Routing inbound mail: each processed message runs the `email.route` agent, which has the
triage agent classify it (a child run), follows the triage policy (policy.py: route, ask a
colleague, file unsure outside mail, or report), records the verdict on the message and
hands it to the module registered for its kind."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncSession

from compound.agents.inbox.items import Evidence
from compound.agents.replies import ReplyPurpose, SendReply, send_reply
from compound.agents.runtime.agent import Agent, Budget, register
from compound.agents.runtime.context import RunContext, ToolFailed
from compound.agents.runtime.service import start_run
from compound.agents.runtime.tools import Effect, tool
from compound.agents.triage.agent import TRIAGE
from compound.agents.triage.contract import ASK_MAX, EmailForTriage, Triage, TriageKind
from compound.agents.triage.policy import Disposition, dispose
from compound.platform.auth.actor import Actor
from compound.platform.email.models import Message
from compound.platform.email.processing import get_message, on_processed

TEXT_FOR_TRIAGE = 20_000


@dataclass(frozen=True)
class InboundEmail:
    """What a module's handler gets: the message's id and the verdict."""

    message_id: uuid.UUID
    kind: TriageKind
    ask: str
    sender: str | None
    sender_internal: bool
    subject: str


Handler = Callable[[RunContext, InboundEmail], Awaitable[str]]
"""Does the module's work for one message (start a run, open a ticket); returns one line."""

_handlers: dict[TriageKind, Handler] = {}


def register_handler(kind: TriageKind, handler: Handler) -> None:
    """Modules call this from their api to receive messages of `kind`."""
    _handlers[kind] = handler


def handled_kinds() -> frozenset[TriageKind]:
    return frozenset(_handlers)


async def _filed(context: RunContext, email: InboundEmail) -> str:
    return "filed: nothing to do"


# Bulk and unrelated mail is kept and threaded; it needs no one's attention.
register_handler(TriageKind.NEWSLETTER, _filed)
register_handler(TriageKind.OTHER, _filed)


class RouteEmail(BaseModel):
    message_id: uuid.UUID
    subject: str = Field(default="", max_length=2_000)
    """For the run's title only; the engine reads the stored message."""


class MessageId(BaseModel):
    message_id: uuid.UUID


class Verdict(BaseModel):
    message_id: uuid.UUID
    kind: TriageKind
    ask: str = Field(max_length=ASK_MAX)
    confidence: float = Field(ge=0, le=1)
    route: str = Field(max_length=300)
    triage_run_id: uuid.UUID | None = None
    decided_by: str = Field(default="triage", max_length=300)


class Routed(BaseModel):
    kind: TriageKind
    ask: str
    confidence: float
    route: str


@tool(effect=Effect.READ, reads_untrusted=True)
async def read_message(context: RunContext, arguments: MessageId) -> dict[str, object]:
    """Read a stored email as the triage agent sees it (new text only; untrusted content)."""
    message = await get_message(context.require_session(), arguments.message_id)
    return _for_triage(message).model_dump(mode="json")


@tool(effect=Effect.WRITE)
async def record_verdict(context: RunContext, arguments: Verdict) -> str:
    """Record on the message what kind of mail it is, its ask, and where it went."""
    message = await get_message(context.require_session(), arguments.message_id)
    message.triage = arguments.model_dump(mode="json")
    return "recorded"


def _for_triage(message: Message) -> EmailForTriage:
    return EmailForTriage(
        sender=(message.from_address or message.envelope_from or "unknown")[:320],
        sender_name=(message.from_name or None),
        sender_is_internal=message.sender_internal,
        to=[a[:320] for a in message.to_addresses[:500]],
        cc=[a[:320] for a in message.cc_addresses[:500]],
        subject=message.subject[:1000],
        text=(message.new_text or message.text_body)[:TEXT_FOR_TRIAGE],
        is_bulk=message.is_bulk,
    )


async def route_offline(context: RunContext, request: RouteEmail) -> Routed:
    email = EmailForTriage.model_validate(
        await context.call("read_message", MessageId(message_id=request.message_id))
    )
    [triage_run] = await context.start_children(TRIAGE, [email])
    [child] = await context.wait_for_children()
    if child.output is None:
        await context.report_exception(
            f"Could not triage “{email.subject or '(no subject)'}” from {email.sender}",
            explanation=child.error or "the triage run failed",
        )
        return Routed(kind=TriageKind.OTHER, ask="-", confidence=0.0, route="triage failed")
    verdict = Triage.model_validate(child.output)
    kind, decided_by = verdict.kind, "triage"
    disposition = dispose(
        kind,
        verdict.confidence,
        sender_is_internal=email.sender_is_internal,
        handled=handled_kinds(),
    )
    if disposition is Disposition.FILE_UNSURE:
        kind = TriageKind.OTHER
        route = (
            f"filed as other: triage was {verdict.confidence:.0%} sure it is "
            f"{verdict.kind.value.replace('_', ' ')}, too unsure to act on outside mail"
        )
    else:
        if disposition is Disposition.ASK:
            kind = await _ask_kind(context, request.message_id, email, verdict)
            decided_by = "a person"
        route = await _hand_over(context, request.message_id, email, kind, verdict.ask)
    await context.call(
        "record_verdict",
        Verdict(
            message_id=request.message_id,
            kind=kind,
            ask=verdict.ask,
            confidence=verdict.confidence,
            route=route,
            triage_run_id=triage_run,
            decided_by=decided_by,
        ),
    )
    if email.sender_is_internal and not email.is_bulk:
        # The stored message says whether its sender is an authenticated colleague;
        # `sender_is_internal` is only true for those (see platform/email/processing.py).
        await _acknowledge(context, request.message_id, email, kind, verdict.ask, route)
    return Routed(kind=kind, ask=verdict.ask, confidence=verdict.confidence, route=route)


async def _ask_kind(
    context: RunContext, message_id: uuid.UUID, email: EmailForTriage, verdict: Triage
) -> TriageKind:
    """A person's answer to what kind of mail this is, triage's guess offered first."""
    alternatives = [verdict.kind.value] + [k.value for k in TriageKind if k != verdict.kind]
    answer = await context.ask(
        f"What kind of mail is “{email.subject or '(no subject)'}” from {email.sender}?",
        choices=alternatives,
        explanation=f"Triage thinks {verdict.kind.value} ({verdict.confidence:.0%} sure): "
        f"{verdict.ask}",
        evidence=[
            Evidence(
                label="the message",
                record_type="message",
                record_id=message_id,
                quote=email.text[:1_000],
            )
        ],
    )
    return TriageKind(answer)


async def _hand_over(
    context: RunContext, message_id: uuid.UUID, email: EmailForTriage, kind: TriageKind, ask: str
) -> str:
    """Hand the message to the module registered for its kind; the route it took, one line."""
    # The kind is settled here (by triage, sure enough, or by a person): full confidence.
    disposition = dispose(
        kind, 1.0, sender_is_internal=email.sender_is_internal, handled=handled_kinds()
    )
    if disposition is Disposition.REFUSE:
        await context.note_policy(
            "command_refused",
            {
                "kind": kind.value,
                "sender": email.sender,
                "reason": "not an authenticated colleague",
            },
        )
        return await _report_unrouted(context, message_id, email, kind, ask, refused=True)
    handler = _handlers.get(kind)
    if disposition is Disposition.UNROUTED or handler is None:
        return await _report_unrouted(context, message_id, email, kind, ask, refused=False)
    inbound = InboundEmail(
        message_id=message_id,
        kind=kind,
        ask=ask,
        sender=email.sender,
        sender_internal=email.sender_is_internal,
        subject=email.subject,
    )
    return (await handler(context, inbound))[:300]


async def _report_unrouted(
    context: RunContext,
    message_id: uuid.UUID,
    email: EmailForTriage,
    kind: TriageKind,
    ask: str,
    *,
    refused: bool,
) -> str:
    """Put a message no module takes in front of a person; the route, one line."""
    if refused:
        route = "reported: a command from a sender who is not an authenticated colleague"
        why = (
            f"only an authenticated sender on an internal domain may have Compound act "
            f"on {kind.value.replace('_', ' ')} mail; forward it if it should be acted on"
        )
    else:
        route = "reported: no module handles this kind yet"
        why = f"no module handles {kind.value} mail yet"
    await context.report(
        f"{kind.value.replace('_', ' ').capitalize()}: {email.subject or '(no subject)'}",
        explanation=f"{ask} (from {email.sender}; {why})",
        evidence=[Evidence(label="the message", record_type="message", record_id=message_id)],
    )
    return route


async def _acknowledge(
    context: RunContext,
    message_id: uuid.UUID,
    email: EmailForTriage,
    kind: TriageKind,
    ask: str,
    route: str,
) -> None:
    text = (
        f"Compound received “{email.subject or '(no subject)'}”.\n\n"
        f"Understood as: {kind.value.replace('_', ' ')} — {ask}\n"
        f"Next: {route}\n"
    )
    try:
        await context.call(
            "send_reply",
            SendReply(message_id=message_id, text=text, purpose=ReplyPurpose.ACKNOWLEDGEMENT),
        )
    except ToolFailed as failure:
        await context.report_exception(
            f"Could not acknowledge “{email.subject or '(no subject)'}” to {email.sender}",
            explanation=failure.message,
        )


ROUTER: Agent[RouteEmail, Routed] = register(
    Agent(
        name="email.route",
        # Routing is bookkeeping around the triage agent; it needs no model of its own.
        instructions="",
        input_schema=RouteEmail,
        output_schema=Routed,
        offline=route_offline,
        tools=(read_message, record_verdict, send_reply),
        budget=Budget(max_steps=12, max_tokens=1, max_cost_usd=0.01),
        untrusted_input=True,
        title=lambda request: f"Route email: {request.subject or '(no subject)'}",
    )
)

ROUTING_ACTOR = Actor.system("email-routing")


@on_processed
async def route_new_message(session: AsyncSession, message: Message) -> None:
    """Start routing once per message (a reprocessed, already triaged message is left be)."""
    if message.triage is None:
        await start_run(
            session,
            ROUTING_ACTOR,
            ROUTER,
            RouteEmail(message_id=message.id, subject=message.subject[:2_000]),
        )
