"""A local SMTP sink: the outbound relay of the demo and the tests; it keeps every message
it is given as an .eml file instead of delivering it."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import Envelope, Session

from compound.platform.clock import utcnow


class SinkHandler:
    def __init__(self, folder: Path) -> None:
        self.folder = folder

    async def handle_DATA(  # noqa: N802 — the name aiosmtpd calls
        self, server: Any, session: Session, envelope: Envelope
    ) -> str:
        content = envelope.original_content or b""
        name = f"{utcnow():%Y%m%dT%H%M%S%f}-{uuid.uuid4().hex[:8]}.eml"
        # Written whole, then renamed: a reader never sees half a message.
        partial = self.folder / f".{name}.part"
        await asyncio.to_thread(partial.write_bytes, content)
        await asyncio.to_thread(partial.rename, self.folder / name)
        return "250 2.0.0 Ok: kept by the Compound sink"


def start_sink(host: str, port: int, folder: Path) -> Controller:
    """Start the sink in a background thread; `.stop()` the returned controller."""
    folder.mkdir(parents=True, exist_ok=True)
    controller = Controller(SinkHandler(folder), hostname=host, port=port)
    controller.start()
    return controller


def sent_messages(folder: Path) -> list[Path]:
    """What the sink kept, oldest first."""
    return sorted(folder.glob("*.eml")) if folder.exists() else []
