"""The one check for an address Compound will write into an outgoing header: a single bare
address (no line breaks, no second address, no display name), normalized.

Every tool argument that names a recipient goes through it when the agent proposes it and
again when a person approves it, so a header injection (`v@x.example\\r\\nBcc: a@evil`) or a
non-address is refused at the field while the draft waits, not after approval in the run."""

from __future__ import annotations

import unicodedata

from compound.platform.errors import ValidationFailed
from compound.platform.normalize import MAX_EMAIL_LENGTH, normalize_email

RAW_MAX = 1_000
"""Longer than any address plus padding: refused before anything else looks at it."""
SHOWN_MAX = 80
EMAIL_FORMAT = "email"
"""The JSON Schema `format` of an address argument (the Inbox form shows a list of them one
a line)."""

_CONTROL_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp"})
"""CR, LF, NUL, TAB and other controls; invisible format characters (bidi overrides,
zero-width spaces); Unicode line and paragraph separators."""
_SEVERAL = frozenset(",;")
_DISPLAY = frozenset('<>"()[]:\\')


def _shown(value: str) -> str:
    """The value as a person can read it back: escapes visible, cut short."""
    text = repr(value)
    return text if len(text) <= SHOWN_MAX else text[: SHOWN_MAX - 1] + "…"


def recipient_address(value: str, *, field: str = "to") -> str:
    """`Ana@Example.com` → `ana@example.com`; ValidationFailed naming `field` for anything
    that is not exactly one bare address."""
    if len(value) > RAW_MAX:
        raise ValidationFailed(
            f"an email address is at most {MAX_EMAIL_LENGTH} characters; this is {len(value)}",
            field=field,
        )
    if any(unicodedata.category(character) in _CONTROL_CATEGORIES for character in value):
        raise ValidationFailed(
            f"{_shown(value)} contains a line break or a control character: give one address",
            field=field,
        )
    text = value.strip()
    if any(character in _SEVERAL for character in text):
        raise ValidationFailed(
            f"{_shown(value)} is several addresses: give one address per recipient", field=field
        )
    if any(character in _DISPLAY for character in text) or any(c.isspace() for c in text):
        raise ValidationFailed(
            f"{_shown(value)} is not a bare email address: give only the address, "
            "such as ana@example.com, without a name or brackets",
            field=field,
        )
    return normalize_email(text, field=field)


def recipient_or_value_error(value: str, *, field: str = "to") -> str:
    """`recipient_address` for a Pydantic validator: the refusal as a ValueError."""
    try:
        return recipient_address(value, field=field)
    except ValidationFailed as refused:
        raise ValueError(refused.message) from None


def header_is_one_line(name: str, value: str) -> str:
    """The last check before a header is written: no CR, LF or NUL in any value."""
    if any(character in value for character in "\r\n\x00"):
        raise ValidationFailed(
            f"the {name} header would contain a line break or NUL ({_shown(value)}); "
            "nothing was sent",
            field=name.lower(),
        )
    return value
