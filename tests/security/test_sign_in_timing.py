"""The sign-in page does not tell which addresses have an account by how long it takes (issue
13, finding 7): the audit measured ~136 ms for an existing address and ~6 ms for an unknown
one. Measured here through the real page of a real `compound serve`: a wrong password for
existing accounts against addresses nobody has, interleaved, compared by their medians (a
ratio, not absolute times: the machine is shared)."""

from __future__ import annotations

import statistics
import time
from collections.abc import Iterator

import httpx
import pytest

from tests.conftest import EmbeddedServer
from tests.security.accounts import (
    WebServer,
    create_accounts,
    new_address,
    post_sign_in,
    sign_in_form,
    start_web,
    stop_web,
)

ACCOUNTS = 8
ATTEMPTS_EACH = 4  # under the lock-out's five, so every attempt is checked in full


@pytest.fixture(scope="module")
def server(embedded_server: EmbeddedServer) -> Iterator[WebServer]:
    # Its own process and database: other tests' wrong passwords do not spend its budget,
    # and the budget is raised so that this test's own do not either.
    web = start_web(
        embedded_server.database_url("compound_sign_in_timing"),
        embedded_server.data_dir,
        COMPOUND_PASSWORD_FAILURES_PER_MINUTE="10000",
    )
    yield web
    stop_web(web)


def timed_sign_in(client: httpx.Client, csrf: str, email: str) -> float:
    started = time.perf_counter()
    response = post_sign_in(client, csrf, email, "not the password")
    elapsed = time.perf_counter() - started
    assert response.status_code == 401, response.text
    return elapsed


def test_an_unknown_address_takes_as_long_as_a_known_one(server: WebServer) -> None:
    known = [new_address("timing-known") for _ in range(ACCOUNTS)]
    create_accounts(server.database_url, known)
    with httpx.Client(base_url=server.url, timeout=30) as client:
        csrf = sign_in_form(client)
        for email in (new_address("warm-up"), new_address("warm-up")):
            timed_sign_in(client, csrf, email)  # first requests: connections, lazy setup
        known_times, unknown_times = [], []
        for round_number in range(ATTEMPTS_EACH):
            for email in known:
                # Alternated, so a slow moment of the machine hits both kinds alike.
                if round_number % 2:
                    unknown_times.append(timed_sign_in(client, csrf, new_address("nobody")))
                    known_times.append(timed_sign_in(client, csrf, email))
                else:
                    known_times.append(timed_sign_in(client, csrf, email))
                    unknown_times.append(timed_sign_in(client, csrf, new_address("nobody")))
    known_median = statistics.median(known_times)
    unknown_median = statistics.median(unknown_times)
    print(
        f"sign-in medians: known {known_median * 1000:.1f} ms, "
        f"unknown {unknown_median * 1000:.1f} ms"
    )
    assert 0.5 <= unknown_median / known_median <= 2.0, (known_median, unknown_median)
