"""The email actor: process a stored message (parse, thread, link), then hand it on."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from compound.platform.email import processing
from compound.platform.queue.actors import job


@job("email.process_message", max_retries=3)
async def process_message(session: AsyncSession, message_id: str) -> None:
    await processing.process_message(session, uuid.UUID(message_id))
