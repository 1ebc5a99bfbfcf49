"""Server-sent events: `/events/inbox` streams new and changed Inbox items as they commit."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

from litestar import Request, get
from litestar.exceptions import PermissionDeniedException
from litestar.response import ServerSentEvent, ServerSentEventMessage

from compound.platform.database import Database
from compound.platform.events import EventHub
from compound.platform.pages import current_visitor
from compound.web.auth import request_actor

KEEPALIVE_SECONDS = 15.0


@get("/events/inbox")
async def inbox_events(request: Request[Any, Any, Any]) -> ServerSentEvent:
    """For a bearer token or a signed-in page: `ready` once listening, then `item_opened` /
    `item_decided` (JSON: id, kind, status, title, run and root run ids), `ledger_changed`
    (a lead import's counts moved), `run_finished` (id, root run id, state, agent), `resync`
    when events may have been missed."""
    database: Database = request.app.state.database
    async with database.sessionmaker() as session:
        # A browser's EventSource cannot send a bearer token: the page's session cookie will do.
        signed_in = None
        if "authorization" not in request.headers:
            signed_in = await current_visitor(session, request)
        actor = signed_in.actor if signed_in else await request_actor(session, request)
    if not actor.has_scope("read"):
        raise PermissionDeniedException(detail="the Inbox stream needs a token with 'read'")
    hub: EventHub = request.app.state.inbox_events

    async def stream() -> AsyncIterator[ServerSentEventMessage]:
        async with hub.subscribe() as queue:
            yield ServerSentEventMessage(event="ready", data="{}")
            while True:
                try:
                    event = await asyncio.wait_for(queue.get(), timeout=KEEPALIVE_SECONDS)
                except TimeoutError:
                    # Proxies close quiet connections; a comment line keeps this one open.
                    yield ServerSentEventMessage(comment="keep-alive")
                    continue
                yield ServerSentEventMessage(
                    event=str(event.get("type", "changed")), data=json.dumps(event)
                )

    return ServerSentEvent(
        stream(), headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
    )
