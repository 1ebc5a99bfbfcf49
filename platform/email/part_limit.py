"""The cap on MIME parts per message: parse no more than a message's first parts, so one of
100,000 parts costs what its first few hundred do, and say how many were left out."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from email.feedparser import BytesFeedParser
from email.message import Message
from email.policy import Policy

DEFAULT_MAX_PARTS = 500
"""As `Settings.mail_max_parts`; for callers without settings (tests, tools)."""
# Fed in slices so that parsing stops soon after the last part kept.
FEED_BYTES = 64 * 1024
_LEFT_OUT = re.compile(r"[\d,]+ of [\d,]+ MIME parts kept; the rest are only in the raw message")


class _Enough(Exception):
    """Raised from the parser's message factory when it asks for one part too many."""


@dataclass(frozen=True)
class FirstParts:
    root: Message
    """The message, holding at most the first `limit` parts (itself included), in order."""
    cut: bool
    """Whether the message has more parts than those: parsing stopped at the cap."""


def parse_first_parts(raw: bytes, limit: int, policy: Policy) -> FirstParts:
    """`raw` parsed as the standard library parses it, but only as far as its first `limit`
    parts, counted in document order (depth first), the root included.

    Parsing stops when the parser asks for part `limit + 1`: it creates a part only once the
    one before it has ended, so every part kept is whole, and the time and memory spent are
    those of the parts kept (a 100,000-part message took 80 s to parse whole).
    """
    created: list[Message] = []
    make = policy.message_factory or Message

    def factory(policy: Policy = policy) -> Message:
        if len(created) >= limit:
            raise _Enough
        message = make(policy=policy)
        created.append(message)
        return message

    parser = BytesFeedParser(_factory=factory, policy=policy)
    created.clear()  # the parser calls its factory once, to probe its signature
    try:
        for start in range(0, len(raw), FEED_BYTES):
            parser.feed(raw[start : start + FEED_BYTES])
        return FirstParts(root=parser.close(), cut=False)
    except _Enough:
        return FirstParts(root=created[0], cut=True)


def count_parts(raw: bytes, root: Message) -> int:
    """How many MIME parts the whole of `raw` has, its root included, counted from the
    delimiter lines of the multiparts among the parts read (`root`): a floor, as a
    multipart that begins past the cap has a boundary nobody read."""
    boundaries: set[str] = set()
    for part in root.walk():
        try:
            boundary = part.get_boundary() if part.is_multipart() else None
        except Exception:  # a header too broken to read: its parts go uncounted
            boundary = None
        if boundary:
            boundaries.add(boundary)
    total = 1
    for boundary in boundaries:
        delimiter = b"\n--" + boundary.encode("utf-8", "surrogateescape")
        # Each delimiter line opens one part; the closing one (--boundary--) does not match.
        total += raw.count(delimiter + b"\r\n") + raw.count(delimiter + b"\n")
    return total


def parts_left_out(kept: int, total: int) -> str:
    """The defect a message cut at the cap carries (and its page shows)."""
    return (
        f"{kept:,} of {max(total, kept + 1):,} MIME parts kept; "
        "the rest are only in the raw message"
    )


def left_out_note(defects: Sequence[str]) -> str | None:
    """The message's `parts_left_out` defect, when its parts were cut at the cap."""
    return next((defect for defect in defects if _LEFT_OUT.fullmatch(defect)), None)
