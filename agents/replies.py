"""The tool agents answer mail with: a reply in the same thread, sent through the relay.

Sending is an external action, so a run that has read mail needs a person's approval for it
(DESIGN.md, idea 7) — except an acknowledgement or a summary going back to the
authenticated colleague who asked, which the policy lets through.

Who gets the reply is part of its arguments: worked out from the stored message when the
agent proposes it (never taken from the message again later), shown on the approval with a
warning when Reply-To points away from the sender, capped when approved, and sent to
exactly those addresses."""

from __future__ import annotations

import uuid
from enum import StrEnum

from pydantic import BaseModel, Field, ValidationInfo, field_validator

from compound.agents.inbox.items import Evidence
from compound.agents.runtime.context import RunContext
from compound.agents.runtime.tools import Effect, Prepared, approving, tool
from compound.platform.config import get_settings
from compound.platform.email import replies
from compound.platform.email.addresses import EMAIL_FORMAT, recipient_address
from compound.platform.email.models import Message
from compound.platform.email.processing import get_message
from compound.platform.errors import ValidationFailed

REPLY_MAX = 20_000
RECIPIENTS_PROPOSED_MAX = 100
"""As many as a stored message keeps per header: a proposal shows them all; approving
more than `COMPOUND_MAIL_MAX_REPLY_RECIPIENTS` is refused."""
ADDRESSES_SHOWN = 50


class ReplyPurpose(StrEnum):
    ACKNOWLEDGEMENT = "acknowledgement"
    """"Got it, working on it": says what Compound will do."""
    SUMMARY = "summary"
    """What a finished piece of work did, for the person who asked for it."""
    ANSWER = "answer"
    """Anything else: always needs approval from a run that read untrusted content."""


class SendReply(BaseModel):
    message_id: uuid.UUID
    """The stored message this answers."""
    recipients: list[str] = Field(
        default_factory=list,
        max_length=RECIPIENTS_PROPOSED_MAX,
        json_schema_extra={"items": {"type": "string", "format": EMAIL_FORMAT}},
        # The form's hint (and what the model reads): exactly these addresses get it.
        description="Who gets it, one address a line: filled in from the message when the "
        "reply is proposed; exactly these addresses, and no others, receive it.",
    )
    text: str = Field(min_length=1, max_length=REPLY_MAX)
    purpose: ReplyPurpose = ReplyPurpose.ANSWER

    @field_validator("recipients")
    @classmethod
    def _bare_addresses(cls, value: list[str], info: ValidationInfo) -> list[str]:
        try:
            if approving(info):
                # What a person approves is what is sent: it must be sendable as it stands.
                cap = get_settings().mail_max_reply_recipients
                return replies.checked_recipients(value, cap=cap)
            checked = [recipient_address(address, field="recipients") for address in value]
        except ValidationFailed as refused:
            raise ValueError(refused.message) from None
        return list(dict.fromkeys(checked))


def _from_authenticated_colleague(message: Message) -> bool:
    return message.sender_authenticated and message.sender_internal


def _listed(addresses: list[str]) -> str:
    shown = ", ".join(addresses[:ADDRESSES_SHOWN])
    more = len(addresses) - ADDRESSES_SHOWN
    return shown + (f" and {more} more" if more > 0 else "")


def _warnings(
    message: Message, found: replies.ReplyAddresses, recipients: list[str]
) -> list[Evidence]:
    sender = message.from_address or "(no From address)"
    evidence = [
        Evidence(
            label=f"The reply goes to {len(recipients)} address"
            + ("" if len(recipients) == 1 else "es"),
            quote=_listed(recipients),
            record_type="message",
            record_id=message.id,
        )
    ]
    if found.reply_to_elsewhere:
        evidence.append(
            Evidence(
                label=f"Warning: Reply-To differs from From ({sender})",
                quote=f"Reply-To names {len(found.reply_to_elsewhere)} other address"
                + ("" if len(found.reply_to_elsewhere) == 1 else "es")
                + f": {_listed(found.reply_to_elsewhere)}",
            )
        )
    if found.left_out:
        evidence.append(
            Evidence(
                label="Left out: not email addresses",
                quote=_listed([repr(written) for written in found.left_out]),
            )
        )
    cap = get_settings().mail_max_reply_recipients
    if len(recipients) > cap:
        evidence.append(
            Evidence(
                label=f"Over the limit of {cap} recipients ({replies.CAP_SETTING})",
                quote="Edit the recipients down to the people who should get it before "
                "approving; as proposed it is refused.",
            )
        )
    return evidence


async def resolve_recipients(context: RunContext, arguments: SendReply) -> Prepared:
    """Fill in who gets the reply, from the stored message, as the agent proposes it: an
    acknowledgement or summary to an authenticated colleague goes to their From only (never
    to a Reply-To they may not have written); anything else to Reply-To, else From."""
    message = await get_message(context.require_session(), arguments.message_id)
    found = replies.reply_addresses(message)
    recipients = list(arguments.recipients)
    if not recipients:
        sender = replies.sender_address(message)
        automatic = arguments.purpose is not ReplyPurpose.ANSWER
        if automatic and sender is not None and _from_authenticated_colleague(message):
            recipients = [sender]
        else:
            recipients = found.recipients
    if not recipients:
        raise ValidationFailed(
            "the message names no address a reply could go to", field="recipients"
        )
    return Prepared(
        arguments.model_copy(update={"recipients": recipients}),
        evidence=tuple(_warnings(message, found, recipients)),
    )


async def own_requester(context: RunContext, arguments: SendReply) -> str | None:
    """Acknowledgements and summaries that go only to the authenticated internal sender need
    no approval; sent anywhere else, a person decides."""
    if arguments.purpose is ReplyPurpose.ANSWER:
        return None
    message = await get_message(context.require_session(), arguments.message_id)
    if not _from_authenticated_colleague(message):
        return None
    sender = replies.sender_address(message)
    if sender is None or arguments.recipients != [sender]:
        # Anyone besides the colleague who wrote (a Reply-To, an address the model added)
        # would get our summary without having asked: that is for a person to approve.
        return None
    return (
        f"{arguments.purpose.value} only to {sender}, an authenticated sender on an internal domain"
    )


@tool(effect=Effect.EXTERNAL, approval_waiver=own_requester, prepare=resolve_recipients)
async def send_reply(context: RunContext, arguments: SendReply) -> dict[str, object]:
    """Reply to a stored email in its thread. Leave `recipients` empty: they are filled in
    from the message (its Reply-To, else its sender) and a person sees them."""
    sent = await replies.send_reply(
        context.require_session(),
        get_settings(),
        arguments.message_id,
        arguments.text,
        recipients=arguments.recipients,
    )
    return {
        "message_id": str(sent.id),
        "internet_message_id": sent.internet_message_id,
        "to": list(sent.to_addresses),
        "conversation_id": str(sent.conversation_id),
    }
