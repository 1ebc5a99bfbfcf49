"""The one check for an address written into an outgoing header: exactly one bare address,
normalized; line breaks, NUL, several addresses, display names, non-addresses and over-long
values are refused with the field named."""

from __future__ import annotations

import pytest

from compound.platform.email.addresses import (
    header_is_one_line,
    recipient_address,
    recipient_or_value_error,
)
from compound.platform.errors import ValidationFailed


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("Ana@Example.COM", "ana@example.com"),
        ("  ana.lima+crm@mail.example.io ", "ana.lima+crm@mail.example.io"),
        ("ana@bücher.de", "ana@xn--bcher-kva.de"),
    ],
)
def test_a_bare_address_is_normalized(written: str, expected: str) -> None:
    assert recipient_address(written) == expected


@pytest.mark.parametrize(
    ("written", "says"),
    [
        ("v@x.example\r\nBcc: a@evil", "contains a line break or a control character"),
        ("v@x.example\n", "contains a line break"),
        ("v@x.example\r", "contains a line break"),
        ("v@x.exa\x00mple", "contains a line break or a control character"),
        ("v@x.example\tx", "control character"),
        ("v@x.example\u2028Bcc: a@evil", "control character"),
        ("v\u202e@x.example", "control character"),  # a bidi override hides what it is
        ("v@x.example, a@evil.example", "several addresses"),
        ("v@x.example; a@evil.example", "several addresses"),
        ("Vera <v@x.example>", "not a bare email address"),
        ('"v@x.example" <a@evil.example>', "not a bare email address"),
        ("<v@x.example>", "not a bare email address"),
        ("v@x.example (boss)", "not a bare email address"),
        ("Vera v@x.example", "not a bare email address"),
        ("v@[127.0.0.1]", "not a bare email address"),
        ("not-an-email", "'not-an-email' is not an email address"),
        ("v@@x.example", "is not an email address"),
        ("v@localhost", "is not a valid domain name"),
        ("", "email address is empty"),
        ("a" * 250 + "@x.example", "longer than 254 characters"),
        ("a" * 2_000 + "@x.example", "at most 254 characters"),
    ],
)
def test_anything_but_one_bare_address_is_refused_naming_the_field(written: str, says: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        recipient_address(written, field="recipients")
    assert refused.value.field == "recipients"
    assert says in refused.value.message
    # What was typed is shown escaped: a refusal never prints a raw line break.
    assert "\r" not in refused.value.message and "\n" not in refused.value.message


def test_in_a_pydantic_validator_the_refusal_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="is not an email address"):
        recipient_or_value_error("not-an-email")


def test_a_header_value_with_a_line_break_is_refused() -> None:
    assert header_is_one_line("Subject", "Hello") == "Hello"
    for value in ("a\r\nBcc: x", "a\nb", "a\x00"):
        with pytest.raises(ValidationFailed) as refused:
            header_is_one_line("In-Reply-To", value)
        assert refused.value.field == "in-reply-to"
