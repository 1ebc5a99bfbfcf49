"""The MIME tree of a raw message, as far as its first few hundred parts: what the
conversation page and GraphQL's `Message.parts` show."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from email.policy import compat32
from typing import Any

from compound.platform.email.part_limit import parse_first_parts

MAX_PARTS = 200


@dataclass(frozen=True)
class MimePart:
    path: str
    content_type: str
    charset: str | None
    filename: str | None
    disposition: str | None
    size: int


def parse_structure(raw: bytes, *, max_parts: int = MAX_PARTS) -> list[MimePart]:
    """The first `max_parts` nodes of the MIME tree, depth first. Parsing stops there, so a
    message of 100,000 parts costs what its first `max_parts` do (the whole parse took
    seconds); compat32 shows even what the strict parser refuses. CPU-bound: from async
    code, call `structure_of`."""
    parts: list[MimePart] = []

    def walk(part: Any, path: str) -> None:
        if len(parts) >= max_parts:
            return
        payload = part.get_payload(decode=False)
        size = len(payload) if isinstance(payload, (str, bytes)) else 0
        parts.append(
            MimePart(
                path=path,
                content_type=part.get_content_type(),
                charset=part.get_content_charset(),
                filename=part.get_filename(),
                disposition=part.get_content_disposition(),
                size=size,
            )
        )
        if part.is_multipart() and isinstance(payload, list):
            for index, child in enumerate(payload, start=1):
                walk(child, f"{path}.{index}" if path else str(index))

    walk(parse_first_parts(raw, max_parts, compat32).root, "")
    return parts


async def structure_of(raw: bytes) -> list[MimePart]:
    """`parse_structure` in a worker thread: a message of megabytes of headers still takes a
    while to parse, and the event loop serves every other request meanwhile."""
    return await asyncio.to_thread(parse_structure, raw)
