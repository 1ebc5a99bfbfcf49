"""`redact_url`: where a URL points stays readable, the credentials it carries never show."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from compound.platform.redaction import redact_url, redact_urls


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://user:pw@llm.internal:8443/v1", "https://***@llm.internal:8443/v1"),
        # A key as the user name alone is a secret too.
        ("https://sk-abc123@api.example/v1", "https://***@api.example/v1"),
        ("rediss://:pw@cache.internal:6380/2", "rediss://***@cache.internal:6380/2"),
        (
            "postgresql+psycopg://crm:pw@db.internal:5432/compound?sslmode=require",
            "postgresql+psycopg://***@db.internal:5432/compound?sslmode=require",
        ),
        # Pasted passwords with an unencoded "@" or "/" of their own.
        ("https://u:p@ss@host/v1", "https://***@host/v1"),
        ("https://u:pa/ss@host/v1", "https://***@host/v1"),
        # Nothing to hide: unchanged.
        ("https://api.openai.com/v1", "https://api.openai.com/v1"),
        ("http://127.0.0.1:8000/v1/", "http://127.0.0.1:8000/v1/"),
    ],
)
def test_userinfo_is_masked_and_the_address_kept(url: str, shown: str) -> None:
    assert redact_url(url) == shown


@pytest.mark.parametrize(
    "name",
    [
        "api-key",
        "api_key",
        "key",
        "access_token",
        "token",
        "client_secret",
        "password",
        "passwd",
        "pwd",
        "sig",
        "X-Amz-Signature",
        "auth",
        "API%2DKEY",  # percent-encoded names are read decoded
    ],
)
def test_query_parameters_named_like_a_secret_are_masked(name: str) -> None:
    url = f"https://gw.example/v1?api-version=2024-06-01&{name}=s3cret&region=eu"
    assert redact_url(url) == f"https://gw.example/v1?api-version=2024-06-01&{name}=***&region=eu"


def test_a_bare_query_value_may_be_the_key_itself() -> None:
    assert redact_url("https://gw.example/v1?sk-s3cret") == "https://gw.example/v1?***"


def test_a_fragment_is_masked() -> None:
    assert redact_url("https://app.example/cb#access_token=s3cret") == "https://app.example/cb#***"
    assert redact_url("https://app.example/#") == "https://app.example/#"


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("http://[::1]:8080/v1", "http://[::1]:8080/v1"),
        ("http://u:pw@[::1]:8080/v1", "http://***@[::1]:8080/v1"),
        (
            "http://u:pw@[fe80::1%25eth0]:11434/v1?key=k",
            "http://***@[fe80::1%25eth0]:11434/v1?key=***",
        ),
        ("postgresql://u:pw@[2001:db8::5]/crm", "postgresql://***@[2001:db8::5]/crm"),
    ],
)
def test_ipv6_hosts_stay_as_written(url: str, shown: str) -> None:
    assert redact_url(url) == shown


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("", ""),
        ("not a url", "not a url"),
        ("user:pw@db.internal:5432", "***@db.internal:5432"),
        ("http://[::1", "http://***"),
        ("http://u:pw@", "http://***@"),
        # A "?" or "#" inside a password cuts it: no piece of it shows.
        ("https://u:pa?ss@host/v1?token=t", "https://***?***"),
        ("https://u:pa#ss@host/v1", "https://***#***"),
        (
            "postgresql+psycopg://postgres@/compound?host=/tmp/cpdt/socket",
            "postgresql+psycopg://***@/compound?host=/tmp/cpdt/socket",
        ),
        (
            "postgresql://h1:5432,h2:5432/db?password=pw",
            "postgresql://h1:5432,h2:5432/db?password=***",
        ),
    ],
)
def test_malformed_and_unusual_urls_never_raise_and_leak_nothing(url: str, shown: str) -> None:
    assert redact_url(url) == shown


def test_every_url_in_a_log_line_is_redacted() -> None:
    line = (
        'HTTP Request: POST http://user:pw@127.0.0.1:9/v1/chat/completions?api-key=k "200 OK"'
        " then redis://:pw2@cache:6379/0, and https://plain.example/"
    )
    assert redact_urls(line) == (
        'HTTP Request: POST http://***@127.0.0.1:9/v1/chat/completions?api-key=*** "200 OK"'
        " then redis://***@cache:6379/0, and https://plain.example/"
    )
    assert redact_urls("no address here: user:pw") == "no address here: user:pw"


# What a pasted password may hold; "?", "#", "&", "=" and ";" break a URL for its client too.
PASSWORD_CHARACTERS = st.characters(
    codec="utf-8", exclude_characters="?#&=;\r\n\t \x00", exclude_categories=("Cs",)
)


@given(
    password=st.text(PASSWORD_CHARACTERS, min_size=1, max_size=40),
    user=st.text(st.sampled_from("abcdefgh-_."), max_size=10),
    parameter=st.sampled_from(["api-key", "access_token", "sig", "password"]),
)
def test_no_secret_survives_whatever_it_holds(password: str, user: str, parameter: str) -> None:
    secret = "S3CRET" + password
    url = f"https://{user}:{secret}@llm.internal:8443/v1?{parameter}={secret}#{secret}"
    shown = redact_url(url)
    assert "S3CRET" not in shown
    assert shown.startswith("https://***@")
