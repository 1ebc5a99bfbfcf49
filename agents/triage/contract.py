"""The triage agent's contract: the parsed email it reads and the verdict it returns."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

SUBJECT_MAX = 1_000
TEXT_MAX = 200_000
ASK_MAX = 300


class TriageKind(StrEnum):
    """What a message is, as far as routing goes; modules register handlers per kind."""

    DEAL_FLOW = "deal_flow"
    """A list of startups or companies to consider (an incubator's batch, a VC's deal memo)."""
    INBOUND_LEAD = "inbound_lead"
    """Someone outside wants to buy, try or hear about our product."""
    INTRO = "intro"
    """A person introduces two parties to each other."""
    SUPPORT_REQUEST = "support_request"
    """A customer has a problem or a question about using the product."""
    CONTENT_SOURCE = "content_source"
    """Material to turn into marketing content: a talk, an article, a case study, notes."""
    INTERNAL_ASK = "internal_ask"
    """A colleague asks Compound to do something (look up, summarize, create, remind)."""
    NEWSLETTER = "newsletter"
    """Bulk mail sent to a list: newsletters, digests, promotions."""
    OTHER = "other"
    """Anything else: personal mail, spam, out-of-office replies, receipts, one-off
    automated notifications, vendors selling to us."""


class EmailForTriage(BaseModel):
    """The parsed email the agent reads: the new text only, quoted history removed."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    sender: str = Field(max_length=320, description="From address, e.g. ana@acme.io")
    sender_name: str | None = Field(default=None, max_length=300)
    sender_is_internal: bool = Field(
        default=False, description="The sender is authenticated and on an internal domain"
    )
    to: list[str] = Field(default_factory=list, max_length=500)
    cc: list[str] = Field(default_factory=list, max_length=500)
    subject: str = Field(default="", max_length=SUBJECT_MAX)
    text: str = Field(default="", max_length=TEXT_MAX)
    attachment_names: list[str] = Field(default_factory=list, max_length=200)
    is_bulk: bool = Field(
        default=False,
        description="The message carries List-Id, List-Unsubscribe or Precedence: bulk",
    )


class Triage(BaseModel):
    """The verdict: the kind of mail, the ask in one sentence, and how sure the agent is."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: TriageKind
    ask: str = Field(min_length=1, max_length=ASK_MAX, description="The ask, in one sentence")
    confidence: float = Field(ge=0.0, le=1.0)
