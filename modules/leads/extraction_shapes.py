"""Lists found by their shape: lines that open the same way (`3. Name — …`, `• Name, …`,
`Name: …`) are the entries of one list, whether or not any of them carries a website or a
stage. People most often write deal-flow lists as names and one-liners only; what makes a
line an entry is that its siblings look like it."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from typing import Protocol

from compound.modules.leads.extraction_fields import (
    clean_markup,
    clean_name,
    descriptive,
    sector_label,
    stage_of,
    url_token,
    valid_name,
    words_of,
)
from compound.modules.leads.extraction_vocabulary import (
    BULLET,
    MAIL_HEADER_KEYS,
    NEWS_TAIL,
    ROLES,
)

HEAD_WORDS_MAX = 5
"""A list entry's name is short; a longer opening is a sentence."""
TAIL_WORDS_MAX = 30
"""A list entry says what a company does in a phrase or two; a longer line is prose."""
SIBLINGS_MIN = 3
"""Lines of one shape needed to call them a list; two when both are bulleted or numbered."""
SEPARATOR = re.compile(r"\s+[—–]+\s+|\s+-{1,2}\s+|:\s+|\s+\(|,\s+")
"""What follows a name in a written list. Cells of a table (pipes, tabs, aligned columns)
are read by the table rules, which know the columns."""


class LineLike(Protocol):
    @property
    def body(self) -> str: ...


def _marker(body: str) -> tuple[str, str]:
    """The kind of bullet that opens the line (`n` for numbers, the character otherwise,
    "" for none), and the rest."""
    bullet = BULLET.match(body)
    if not bullet:
        return "", body
    mark = bullet.group().strip()
    kind = "n" if any(character.isdigit() for character in mark) else mark[:1]
    return kind, body[bullet.end() :]


def _is_label(head: str) -> bool:
    """`Subject`, `Stage`, `Website`, `Seed`, `FINTECH`: the key of a header or a field, or a
    field's value (a stage, a sector), not a company's name."""
    if stage_of(head) or sector_label(head) or head.count(")") > head.count("("):
        return True
    words = set(re.findall(r"[\w'-]+", head.casefold()))
    if len(words) != 1:
        return False
    return bool(words & MAIL_HEADER_KEYS) or any(words & vocabulary for _, vocabulary in ROLES)


def with_dash(body: str) -> str:
    """`• Name, what it does` written as `• Name — what it does`: a comma after a name is a
    separator in a list, where the entry reader would take it for part of the name."""
    _, rest = _marker(body)
    separator = SEPARATOR.search(rest)
    if separator is None or separator.group().strip() != ",":
        return body
    cut = len(body) - len(rest) + separator.start()
    return f"{body[:cut]} — {body[cut + len(separator.group()) :]}"


def line_shape(body: str) -> tuple[str, str] | None:
    """(`n`, `—`) for `3. Name — what it does`, (`•`, `,`) for `• Name, what it does`; None
    when the line does not open with a short name, a separator and a description."""
    kind, rest = _marker(body)
    text = clean_markup(rest).strip()
    separator = SEPARATOR.search(text)
    if separator is None or separator.start() == 0:
        return None
    head, tail = text[: separator.start()], text[separator.end() :].strip(" )")
    name = clean_name(head)
    if len(words_of(name)) > HEAD_WORDS_MAX or not valid_name(name) or url_token(name):
        return None
    if not descriptive(tail) or len(words_of(tail)) > TAIL_WORDS_MAX:
        return None
    # `… as discussed, two companies that are raising:` and `On Mon, … wrote:` introduce
    # what follows; news about a company reports on it rather than offering it.
    if tail.endswith(":") or NEWS_TAIL.match(tail) or _is_label(name):
        return None
    return kind, separator.group().strip() or " "


def _sibling_key(shape: tuple[str, str]) -> tuple[str, str]:
    """Bulleted or numbered items are siblings whatever follows their names (people mix
    `—`, `:` and `,` in one list); unmarked lines are siblings when they share a separator."""
    return (shape[0], "") if shape[0] else shape


def list_shaped(lines: Sequence[LineLike]) -> set[int]:
    """Indexes of the lines whose shape enough other lines of the email share."""
    keys = {
        index: _sibling_key(shape)
        for index, line in enumerate(lines)
        if (shape := line_shape(line.body)) is not None
    }
    counts = Counter(keys.values())
    return {
        index
        for index, key in keys.items()
        if counts[key] >= (SIBLINGS_MIN - 1 if key[0] else SIBLINGS_MIN)
    }
