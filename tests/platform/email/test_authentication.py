"""Which Authentication-Results header is believed, and when a login proves the From: the
pure rules, on header lists as the parser gives them (top first)."""

from __future__ import annotations

import pytest

from compound.platform.email.authentication import submission, trusted_header

OURS = "compound.localhost"
AR = "Authentication-Results"
FROM = ("From", "Ana <ana@compound.localhost>")


def verdict(headers: list[tuple[str, str]], trusted: str | None = OURS) -> tuple[str, bool, int]:
    found = trusted_header(headers, trusted_id=trusted, our_id=OURS)
    return found.sender.dmarc, found.sender.authenticated, len(found.ignored)


def test_the_relays_header_on_top_is_believed() -> None:
    headers = [
        ("Received", "from mx by compound"),
        (AR, f"{OURS}; spf=pass smtp.mailfrom=ana@compound.localhost; dkim=pass; dmarc=pass"),
        FROM,
    ]
    assert verdict(headers) == ("pass", True, 0)


def test_several_adjacent_headers_of_the_relay_are_read_together_top_first() -> None:
    headers = [(AR, f"{OURS}; dmarc=fail"), (AR, f"{OURS}; spf=pass; dmarc=pass"), FROM]
    found = trusted_header(headers, trusted_id=OURS, our_id=OURS).sender
    assert (found.spf, found.dmarc) == ("pass", "fail")


@pytest.mark.parametrize(
    "headers",
    [
        # The sender wrote ours below the relay's (which says fail).
        [(AR, f"{OURS}; dmarc=fail"), ("Received", "x"), (AR, f"{OURS}; dmarc=pass"), FROM],
        # The sender's header sits among the headers it wrote, under the From.
        [FROM, (AR, f"{OURS}; dmarc=pass")],
        # Another server's verdict on top: ours below it was written before that hop.
        [(AR, "mx.other.example; dmarc=fail"), (AR, f"{OURS}; dmarc=pass"), FROM],
    ],
    ids=["below-the-relay", "below-the-from", "below-another-server"],
)
def test_a_header_claiming_our_id_that_is_not_on_top_is_ignored_and_said(
    headers: list[tuple[str, str]],
) -> None:
    dmarc, authenticated, ignored = verdict(headers)
    assert dmarc != "pass" and not authenticated
    assert ignored == 1


def test_without_a_trusted_relay_no_header_is_believed_and_ours_is_flagged() -> None:
    headers = [(AR, f"{OURS}; dmarc=pass"), FROM]
    found = trusted_header(headers, trusted_id=None, our_id=OURS)
    assert not found.sender.authenticated and found.sender.source == "none"
    assert found.ignored and "not added by any trusted relay" in found.ignored[0]


def test_a_provider_token_believes_the_providers_header_only() -> None:
    provider = "mx.provider.example"
    attack = [(AR, f"{provider}; dmarc=fail"), (AR, f"{OURS}; dmarc=pass"), FROM]
    found = trusted_header(attack, trusted_id=provider, our_id=OURS)
    assert (found.sender.dmarc, found.sender.authenticated) == ("fail", False)
    assert found.ignored
    good = [(AR, f"{provider}; dkim=pass; dmarc=pass"), FROM]
    assert trusted_header(good, trusted_id=provider, our_id=OURS).sender.authenticated


@pytest.mark.parametrize(
    "value",
    [
        # A result inside a comment, a quoted reason or a property the sender chose.
        f"{OURS}; spf=fail (dmarc=pass); dkim=none",
        f'{OURS}; dkim=fail reason="bad; dmarc=pass"',
        f"{OURS}; spf=pass smtp.mailfrom=x@dmarc=pass.example",
        f"{OURS}; spf=pass header.from=dmarc=pass",
    ],
)
def test_only_a_results_own_method_counts_not_text_inside_it(value: str) -> None:
    found = trusted_header([(AR, value), FROM], trusted_id=OURS, our_id=OURS).sender
    assert found.dmarc == "unknown" and not found.authenticated


def test_results_with_spaces_versions_and_case_are_read() -> None:
    value = f"{OURS.upper()} 1; SPF = pass; DMARC=Pass (p=reject) header.from=compound.localhost"
    found = trusted_header([(AR, value), FROM], trusted_id=OURS, our_id=OURS).sender
    assert (found.spf, found.dmarc, found.authenticated) == ("pass", "pass", True)


@pytest.mark.parametrize(
    ("headers", "proven"),
    [
        ([FROM], True),
        ([("From", "ANA@compound.LOCALHOST")], True),
        ([FROM, ("Sender", "ana@compound.localhost")], True),
        ([("From", "admin@compound.localhost")], False),
        ([("From", '"ana@compound.localhost" <admin@compound.localhost>')], False),
        ([FROM, ("Sender", "admin@compound.localhost")], False),
        ([FROM, ("From", "admin@compound.localhost")], False),
        ([("From", "ana@compound.localhost, admin@compound.localhost")], False),
        ([("From", "ana@compound.localhost)<admin@compound.localhost>")], False),
        ([("From", "undisclosed-recipients:;")], False),
        ([], False),
    ],
    ids=[
        "own",
        "case",
        "own-sender",
        "other",
        "display-name",
        "other-sender",
        "two-from-headers",
        "two-addresses",
        "malformed-cve-2023-27043",
        "group",
        "no-from",
    ],
)
def test_a_login_proves_the_from_only_when_it_is_the_from(
    headers: list[tuple[str, str]], proven: bool
) -> None:
    found = submission(headers, submitter="ana@compound.localhost", login="user:ana")
    assert found.source == "submission" and found.submitter == "ana@compound.localhost"
    assert found.authenticated is proven
    assert (found.mismatch is None) is proven


def test_a_login_of_an_account_that_is_gone_proves_nothing() -> None:
    found = submission([FROM], submitter=None, login="user:ana@compound.localhost")
    assert not found.authenticated and "no longer active" in (found.mismatch or "")
