"""The tool agents answer mail with: a reply in the same thread, sent through the relay.

Sending is an external action, so a run that has read mail needs a person's approval for it
(DESIGN.md, idea 7) — except an acknowledgement or a summary going back to the
authenticated colleague who asked, which the policy lets through: the recipient is checked
on the stored message, not taken from the model."""

from __future__ import annotations

import uuid
from enum import StrEnum

from pydantic import BaseModel, Field

from compound.agents.runtime.context import RunContext
from compound.agents.runtime.tools import Effect, tool
from compound.platform.config import get_settings
from compound.platform.email import replies
from compound.platform.email.processing import get_message

REPLY_MAX = 20_000


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
    text: str = Field(min_length=1, max_length=REPLY_MAX)
    purpose: ReplyPurpose = ReplyPurpose.ANSWER


async def own_requester(context: RunContext, arguments: SendReply) -> str | None:
    """Acknowledgements and summaries to the authenticated internal sender need no approval."""
    if arguments.purpose is ReplyPurpose.ANSWER:
        return None
    message = await get_message(context.require_session(), arguments.message_id)
    if not (message.sender_authenticated and message.sender_internal):
        return None
    if replies.reply_recipients(message) != [message.from_address]:
        # A Reply-To elsewhere would send our summary to someone who did not ask.
        return None
    return (
        f"{arguments.purpose.value} to {message.from_address}, an authenticated sender on "
        "an internal domain"
    )


@tool(effect=Effect.EXTERNAL, approval_waiver=own_requester)
async def send_reply(context: RunContext, arguments: SendReply) -> dict[str, object]:
    """Reply to a stored email in its thread (to its Reply-To, else its sender)."""
    sent = await replies.send_reply(
        context.require_session(), get_settings(), arguments.message_id, arguments.text
    )
    return {
        "message_id": str(sent.id),
        "internet_message_id": sent.internet_message_id,
        "to": list(sent.to_addresses),
        "conversation_id": str(sent.conversation_id),
    }
