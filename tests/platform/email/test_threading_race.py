"""A reply and its original processed at the same moment, in two transactions: the second
waits for the first's threading decision and joins its conversation."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest

from compound.platform.database import Database
from compound.platform.email import processing
from compound.platform.email.ingest import Envelope, ingest_raw
from compound.platform.email.models import Channel, Message
from tests.conftest import EmbeddedServer
from tests.platform.email.test_processing import SETTINGS, mail


@pytest.fixture(scope="module")
async def race_database(embedded_server: EmbeddedServer) -> AsyncIterator[Database]:
    database = Database.connect(embedded_server.database_url("compound_mail_races"), pool_size=4)
    yield database
    await database.dispose()


async def stored(database: Database, raw: bytes) -> uuid.UUID:
    async with database.session() as session:
        ingested = await ingest_raw(
            session, raw, Envelope(channel=Channel.SMTP), max_bytes=10_000_000
        )
    return ingested.message_id


@pytest.mark.parametrize("reply_first", [False, True], ids=["original-first", "reply-first"])
async def test_a_reply_processed_beside_its_original_joins_its_thread(
    race_database: Database, reply_first: bool
) -> None:
    tag = uuid.uuid4().hex[:8]
    original = await stored(
        race_database,
        mail(sender=f"ana@{tag}.example", subject=f"Pilot {tag}", message_id=f"<o-{tag}@x>"),
    )
    reply = await stored(
        race_database,
        mail(
            sender=f"bo@{tag}.example",
            subject="different words",
            message_id=f"<r-{tag}@x>",
            in_reply_to=f"<o-{tag}@x>",
        ),
    )
    first_id, second_id = (reply, original) if reply_first else (original, reply)
    async with race_database.sessionmaker() as first, race_database.sessionmaker() as second:
        await processing.process_message(first, first_id, settings=SETTINGS)
        # The second reaches the thread lock and waits for the first to commit.
        waiting = asyncio.create_task(
            processing.process_message(second, second_id, settings=SETTINGS)
        )
        await asyncio.sleep(0.5)
        assert not waiting.done()
        await first.commit()
        await waiting
        await second.commit()
    async with race_database.session() as session:
        a = await session.get(Message, original)
        b = await session.get(Message, reply)
        assert a is not None and b is not None
        assert a.conversation_id is not None
        assert a.conversation_id == b.conversation_id
