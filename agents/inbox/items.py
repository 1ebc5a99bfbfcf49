"""Opening Inbox items: the one function every run uses to bring something to a person."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from compound.agents.inbox.models import ITEM_TITLE_MAX, InboxItem, ItemKind
from compound.platform.events import INBOX_CHANNEL, publish

EXPLANATION_MAX = 20_000
QUOTE_MAX = 2_000


@dataclass(frozen=True)
class Evidence:
    """Why the agent says what it says: a record it looked at, a quote from a source."""

    label: str
    record_type: str | None = None
    record_id: uuid.UUID | None = None
    quote: str | None = None
    url: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "label": self.label[:300],
            "record_type": self.record_type,
            "record_id": str(self.record_id) if self.record_id else None,
            "quote": self.quote[:QUOTE_MAX] if self.quote else None,
            "url": self.url,
        }


def one_line(text: str, limit: int = ITEM_TITLE_MAX) -> str:
    """Titles are one line: newlines folded, cut with an ellipsis at `limit`."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


async def open_item(
    session: AsyncSession,
    *,
    kind: ItemKind,
    run_id: uuid.UUID,
    root_run_id: uuid.UUID,
    title: str,
    explanation: str = "",
    evidence: Sequence[Evidence] = (),
    proposal: Mapping[str, Any] | None = None,
    step_position: int | None = None,
) -> InboxItem:
    item = InboxItem(
        kind=kind.value,
        run_id=run_id,
        root_run_id=root_run_id,
        title=one_line(title) or kind.value,
        explanation=explanation[:EXPLANATION_MAX],
        evidence=[piece.as_json() for piece in evidence],
        proposal=dict(proposal) if proposal is not None else None,
        step_position=step_position,
    )
    session.add(item)
    await session.flush()
    await publish_item(session, item, "item_opened")
    return item


async def publish_item(session: AsyncSession, item: InboxItem, event: str) -> None:
    """Tell live Inbox views (SSE) about a new or changed item, once the transaction commits."""
    await publish(
        session,
        INBOX_CHANNEL,
        {
            "type": event,
            "id": str(item.id),
            "kind": item.kind,
            "status": item.status,
            "title": item.title,
            "run_id": str(item.run_id),
            "root_run_id": str(item.root_run_id),
            "decided_by": item.decided_by,
        },
    )
