"""The MIME tree of a raw message: the same as a whole parse shows, but only its first parts
are ever parsed, and parsing happens off the event loop."""

from __future__ import annotations

import asyncio
import itertools
import time
from email import message_from_bytes
from email.policy import compat32
from pathlib import Path
from typing import Any

import pytest

from compound.platform.email.structure import MAX_PARTS, parse_structure, structure_of

CORPUS = sorted((Path(__file__).parents[2] / "corpora" / "email").glob("*.eml"))


def whole_parse(raw: bytes, limit: int) -> list[tuple[str, str, str | None, int]]:
    """The tree as the standard library's parser sees the whole message, first `limit` nodes."""
    parts: list[tuple[str, str, str | None, int]] = []

    def walk(part: Any, path: str) -> None:
        if len(parts) >= limit:
            return
        payload = part.get_payload(decode=False)
        size = len(payload) if isinstance(payload, (str, bytes)) else 0
        parts.append((path, part.get_content_type(), part.get_filename(), size))
        if part.is_multipart() and isinstance(payload, list):
            for index, child in enumerate(payload, start=1):
                walk(child, f"{path}.{index}" if path else str(index))

    walk(message_from_bytes(raw, policy=compat32), "")
    return parts


def many_parts(count: int) -> bytes:
    head = (
        b"From: bulk@outside.example\r\nTo: hello@compound.localhost\r\nSubject: parts\r\n"
        b'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="b"\r\n\r\n'
    )
    part = (
        b"--b\r\nContent-Type: text/plain\r\n"
        b'Content-Disposition: attachment; filename="p.txt"\r\n\r\nx\r\n'
    )
    return head + part * count + b"--b--\r\n"


def shown(raw: bytes, limit: int = MAX_PARTS) -> list[tuple[str, str, str | None, int]]:
    return [
        (part.path, part.content_type, part.filename, part.size)
        for part in parse_structure(raw, max_parts=limit)
    ]


@pytest.mark.parametrize("path", CORPUS, ids=[path.name for path in CORPUS])
def test_the_tree_is_the_one_a_whole_parse_shows(path: Path) -> None:
    raw = path.read_bytes()
    assert shown(raw) == whole_parse(raw, MAX_PARTS)


def test_a_message_cut_at_the_cap_shows_its_first_parts_whole() -> None:
    raw = many_parts(1_000)
    assert shown(raw, 50) == whole_parse(raw, 50)
    assert len(shown(raw)) == MAX_PARTS


def test_a_100k_part_message_costs_what_its_first_parts_do() -> None:
    raw = many_parts(100_000)  # 11 MB: the audit's message
    started = time.perf_counter()
    parts = parse_structure(raw)
    elapsed = time.perf_counter() - started
    assert len(parts) == MAX_PARTS
    assert parts[-1].path == str(MAX_PARTS - 1)
    # A whole parse of it takes seconds (the audit: ~2 s each, 29 s for 15 aliases).
    assert elapsed < 0.5


async def test_parsing_runs_in_a_worker_thread_while_the_loop_goes_on() -> None:
    # One part whose 200,000 header lines take a while to parse, whatever the part cap.
    raw = b"".join(b"X-Filler-%d: v\r\n" % index for index in range(200_000)) + b"\r\nbody\r\n"
    started = time.perf_counter()
    parse_structure(raw)
    on_the_loop = time.perf_counter() - started
    assert on_the_loop > 0.3, "the message must take long enough to parse for this to show"

    ticks: list[float] = []

    async def tick() -> None:
        while True:
            ticks.append(time.perf_counter())
            await asyncio.sleep(0.01)

    ticker = asyncio.create_task(tick())
    await asyncio.sleep(0.02)
    parts = await structure_of(raw)
    ticker.cancel()
    assert [part.content_type for part in parts] == ["text/plain"]
    longest_gap = max(later - earlier for earlier, later in itertools.pairwise(ticks))
    assert longest_gap < on_the_loop / 2
