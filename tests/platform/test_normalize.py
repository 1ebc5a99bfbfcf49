"""Domains and email addresses people type become one canonical form, or a clear error."""

from __future__ import annotations

import pytest

from compound.platform.errors import ValidationFailed
from compound.platform.normalize import company_name_key, normalize_domain, normalize_email


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("example.com", "example.com"),
        ("  Example.COM  ", "example.com"),
        ("https://www.example.com/about?x=1#team", "example.com"),
        ("http://WWW.Sub.Example.co.uk:8080/", "sub.example.co.uk"),
        ("//example.io/path", "example.io"),
        ("user:secret@example.dev", "example.dev"),
        ("example.com.", "example.com"),
        ("bücher.de", "xn--bcher-kva.de"),
        ("xn--bcher-kva.de", "xn--bcher-kva.de"),
        ("a-b.example.ai", "a-b.example.ai"),
    ],
)
def test_domain_is_normalized(typed: str, expected: str) -> None:
    assert normalize_domain(typed) == expected


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("not a domain", "not a valid domain"),
        ("localhost", "not a valid domain"),
        ("ftp://example.com", "scheme 'ftp'"),
        ("javascript:alert(1)", "not a valid domain"),
        ("192.168.1.1", "IP address"),
        ("http://[::1]/", "IP address"),
        ("-bad.example.com", "not a valid domain"),
        ("exa_mple.com", "not a valid domain"),
        ("example.c0m", "top-level"),
        ("a" * 64 + ".com", "not a valid domain"),
        (("a" * 60 + ".") * 5 + "com", "longer than 253"),
        ("x" * 5000, "longer than 2048"),
        ("exa\x00mple.com", "not a valid domain"),
        ("example.com'; DROP TABLE company; --", "not a valid domain"),
    ],
)
def test_bad_domain_is_rejected_with_the_reason(typed: str, reason: str) -> None:
    with pytest.raises(ValidationFailed) as raised:
        normalize_domain(typed)
    assert reason in raised.value.message
    assert raised.value.field == "domain"


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("Ada.Lovelace@Example.COM", "ada.lovelace@example.com"),
        ("  bob+crm@mail.example.io ", "bob+crm@mail.example.io"),
        ("jürgen@bücher.de".replace("jürgen", "juergen"), "juergen@xn--bcher-kva.de"),
    ],
)
def test_email_is_normalized(typed: str, expected: str) -> None:
    assert normalize_email(typed) == expected


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "no-at-sign",
        "two@@example.com",
        "a@b@example.com",
        ".dot@example.com",
        "dot.@example.com",
        "do..ts@example.com",
        "spa ce@example.com",
        "x@localhost",
        "x@" + "a" * 250 + ".com",
        "<script>@example.com",
        "nul\x00@example.com",
    ],
)
def test_bad_email_is_rejected(typed: str) -> None:
    with pytest.raises(ValidationFailed) as raised:
        normalize_email(typed)
    assert raised.value.field == "email"


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("Kestrel Systems GmbH", "kestrelsystems"),
        ("kestrel-systems", "kestrelsystems"),
        ("Kestrel Systems, Inc.", "kestrelsystems"),
        ("Northwind AI", "northwind"),
        ("North Wind Labs Inc.", "northwind"),
        ("The Bloom Co.", "bloom"),
        ("Crème Brûlée SAS", "cremebrulee"),
        ("A&B Partners", "aandbpartners"),
        ("Stillfield Cargo, S.p.A.", "stillfieldcargo"),
        ("Tala Transit A/S", "talatransit"),
        ("Kiln B.V.", "kiln"),
        ("Lumio Pvt. Ltd.", "lumio"),
        ("Veski OÜ", "veski"),
        ("Søndervig Water", "sondervigwater"),
        ("Łąka Foods", "lakafoods"),
        ("J.P. Morgan Tech", "jpmorgan"),
        ("AI", "ai"),  # a name made only of a suffix keeps it
        ("  ", ""),
        ("株式会社", ""),  # nothing Latin to key on: no key, never a false match
    ],
)
def test_company_name_keys_ignore_what_people_vary(name: str, key: str) -> None:
    assert company_name_key(name) == key
