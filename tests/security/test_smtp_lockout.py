"""SMTP login no longer bypasses the sign-in lock-out (issue 13, finding 5), tried as the audit
tried it: the real `compound serve` and a real `compound smtp` on one database, spoken to over
HTTP and with smtplib. One failure count per address for every way in, and a budget of wrong
passwords per process that no spread of addresses gets around."""

from __future__ import annotations

import base64
import smtplib
from collections.abc import Iterator

import pytest

from tests.conftest import EmbeddedServer, LiveServer
from tests.platform.email.test_smtp_server import SmtpServer, start_smtp, stop_smtp
from tests.security.accounts import (
    PASSWORD,
    create_accounts,
    new_address,
    query,
    sessions_of,
    web_sign_in,
)

LOCKED = "too many failed sign-ins for this address"


@pytest.fixture(scope="module")
def smtp(live_server: LiveServer, embedded_server: EmbeddedServer) -> Iterator[SmtpServer]:
    """`compound smtp` on the live web server's database."""
    server = start_smtp(live_server.database_url, embedded_server.data_dir)
    yield server
    stop_smtp(server)


def plain(email: str, password: str) -> str:
    return base64.b64encode(f"\0{email}\0{password}".encode()).decode()


def smtp_logins(server: SmtpServer, email: str, password: str, times: int) -> list[int]:
    """`times` AUTH PLAIN attempts, reconnecting whenever the server hangs up (after three
    failures on one connection); the code of each answer."""
    codes: list[int] = []
    while len(codes) < times:
        with server.connect() as client:
            for attempt in range(3):
                code, _reply = client.docmd("AUTH", f"PLAIN {plain(email, password)}")
                codes.append(code)
                if code != 235 and attempt == 2:
                    assert client.getreply()[0] == 421  # the third failure closes the connection
                if code == 235 or len(codes) == times:
                    break
    return codes


def submitted_by(server: SmtpServer, email: str) -> int:
    rows = server.query("SELECT count(*) FROM message WHERE submitted_by = %s", f"user:{email}")
    return int(rows[0][0])


def test_a_web_lock_refuses_the_right_password_over_smtp(
    live_server: LiveServer, smtp: SmtpServer
) -> None:
    email = new_address("locked-web")
    create_accounts(live_server.database_url, [email])
    for _ in range(5):
        assert web_sign_in(live_server.url, email, "not the password").status_code == 401
    assert LOCKED in web_sign_in(live_server.url, email, PASSWORD).text

    with smtp.connect() as client:
        code, reply = client.docmd("AUTH", f"PLAIN {plain(email, PASSWORD)}")
        assert code == 454, reply
        assert LOCKED in reply.decode()
        # Not logged in: the session goes on as an anonymous one, nothing is theirs.
        assert client.noop()[0] == 250
    assert submitted_by(smtp, email) == 0
    assert sessions_of(live_server.database_url, email) == 0


def test_wrong_smtp_passwords_lock_the_web_sign_in(
    live_server: LiveServer, smtp: SmtpServer
) -> None:
    email = new_address("locked-smtp")
    create_accounts(live_server.database_url, [email])

    codes = smtp_logins(smtp, email, "guess", times=12)

    # Five passwords were checked; the other seven were refused unchecked.
    assert codes == [535] * 5 + [454] * 7
    web = web_sign_in(live_server.url, email, PASSWORD)
    assert web.status_code == 429 and LOCKED in web.text
    assert "compound_session" not in web.cookies
    assert sessions_of(live_server.database_url, email) == 0
    assert smtp_logins(smtp, email, PASSWORD, times=1) == [454]
    assert submitted_by(smtp, email) == 0


def test_smtp_failures_and_web_failures_add_up(live_server: LiveServer, smtp: SmtpServer) -> None:
    email = new_address("mixed")
    create_accounts(live_server.database_url, [email])
    assert smtp_logins(smtp, email, "guess", times=3) == [535] * 3
    for _ in range(2):
        assert web_sign_in(live_server.url, email, "guess").status_code == 401
    assert smtp_logins(smtp, email, PASSWORD, times=1) == [454]


def test_a_success_over_smtp_clears_the_count_it_shares_with_the_web(
    live_server: LiveServer, smtp: SmtpServer
) -> None:
    email = new_address("cleared")
    create_accounts(live_server.database_url, [email])
    assert smtp_logins(smtp, email, "guess", times=4) == [535] * 4
    assert smtp_logins(smtp, email, PASSWORD, times=1) == [235]
    assert (
        query(live_server.database_url, "SELECT 1 FROM sign_in_failures WHERE email = %s", email)
        == []
    )
    for _ in range(4):
        assert web_sign_in(live_server.url, email, "guess").status_code == 401
    assert web_sign_in(live_server.url, email, PASSWORD).status_code == 303


def test_guessing_across_many_addresses_meets_the_servers_budget(
    live_server: LiveServer, embedded_server: EmbeddedServer
) -> None:
    """One password tried at many addresses: no address reaches its lock, the process's
    budget of wrong passwords stops it, and then even a right password waits."""
    server = start_smtp(
        live_server.database_url,
        embedded_server.data_dir,
        COMPOUND_PASSWORD_FAILURES_PER_MINUTE="3",
    )
    try:
        victims = [new_address("spray") for _ in range(4)]
        create_accounts(live_server.database_url, victims)
        codes = [smtp_logins(server, victim, "Summer2026!", times=1)[0] for victim in victims[:3]]
        assert codes == [535] * 3
        with server.connect() as client:
            code, reply = client.docmd("AUTH", f"PLAIN {plain(victims[3], PASSWORD)}")
        assert code == 454 and "too many failed sign-ins on this server" in reply.decode()
        assert submitted_by(server, victims[3]) == 0
        # Refused unchecked: nothing was counted against the last address.
        assert (
            query(
                live_server.database_url,
                "SELECT 1 FROM sign_in_failures WHERE email = %s",
                victims[3],
            )
            == []
        )
    finally:
        stop_smtp(server)


def test_hammering_a_locked_address_still_closes_the_connection(
    live_server: LiveServer, smtp: SmtpServer
) -> None:
    email = new_address("hammer")
    create_accounts(live_server.database_url, [email])
    assert smtp_logins(smtp, email, "guess", times=5) == [535] * 5
    with smtp.connect() as client:
        for _ in range(3):
            assert client.docmd("AUTH", f"PLAIN {plain(email, PASSWORD)}")[0] == 454
        assert client.getreply()[0] == 421
        with pytest.raises(smtplib.SMTPServerDisconnected):
            client.noop()
