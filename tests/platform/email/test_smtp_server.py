"""`compound smtp` in its own process, spoken to with smtplib: what it accepts, stores,
refuses, and how it answers when the database is away."""

from __future__ import annotations

import base64
import os
import smtplib
import socket
import ssl
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest

from compound.platform.embedded_postgres import libpq_url
from tests.conftest import REPOSITORY_ROOT, EmbeddedServer, compound_command, free_port

MAX_BYTES = 64 * 1024
DOMAIN = "compound.localhost"
PASSWORD = "correct horse battery"


@dataclass(frozen=True)
class SmtpServer:
    host: str
    port: int
    database_url: str
    env: dict[str, str]
    process: subprocess.Popen[str]

    def connect(self, host: str = "127.0.0.1") -> smtplib.SMTP:
        client = smtplib.SMTP(host, self.port, timeout=30)
        client.ehlo("tests.example")
        return client

    def cli(self, *args: str, stdin: str = "") -> str:
        result = subprocess.run(
            compound_command(*args),
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
            cwd=REPOSITORY_ROOT,
            input=stdin,  # a password goes here (--password-stdin), never on the command line
        )
        return result.stdout

    def query(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        with psycopg.connect(libpq_url(self.database_url), autocommit=True) as connection:
            return connection.execute(sql, params).fetchall()  # type: ignore[arg-type]


def start_smtp(
    database_url: str, data_dir: Path, *, host: str = "127.0.0.1", **settings: str
) -> SmtpServer:
    port = free_port()
    env = {
        **os.environ,
        "COMPOUND_DATABASE_URL": database_url,
        "COMPOUND_DATA_DIR": str(data_dir),
        "COMPOUND_SMTP_PORT": str(port),
        "COMPOUND_MAIL_DOMAINS": DOMAIN,
        "COMPOUND_MAIL_MAX_BYTES": str(MAX_BYTES),
        **settings,
    }
    process = subprocess.Popen(
        compound_command("smtp", "--host", host),
        env=env,
        cwd=REPOSITORY_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    deadline = time.monotonic() + 60
    output: list[str] = []
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        output.append(line)
        if "Compound SMTP is listening" in line:
            return SmtpServer(host, port, database_url, env, process)
    process.kill()
    raise RuntimeError("compound smtp did not start:\n" + "".join(output))


def stop_smtp(server: SmtpServer) -> None:
    server.process.terminate()
    try:
        server.process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        server.process.kill()


@pytest.fixture(scope="module")
def smtp_server(embedded_server: EmbeddedServer) -> Iterator[SmtpServer]:
    url = embedded_server.database_url("compound_smtp")
    server = start_smtp(url, embedded_server.data_dir)
    yield server
    stop_smtp(server)


@pytest.fixture(scope="module")
def mail_user(smtp_server: SmtpServer) -> str:
    email = f"sender-{uuid.uuid4().hex[:8]}@{DOMAIN}"
    smtp_server.cli(
        "user", "create", "--email", email, "--role", "member", "--password-stdin", stdin=PASSWORD
    )
    return email


def token(server: SmtpServer, user: str, scopes: str) -> str:
    secret = server.cli("token", "create", "--user", user, "--scopes", scopes).splitlines()[-1]
    assert secret.startswith("cpd_")
    return secret


def message(*, message_id: str | None = None, body: bytes = b"Hello.\r\n") -> bytes:
    """A message with CRLF line ends, as it travels over SMTP."""
    message_id = message_id or f"{uuid.uuid4().hex}@tests.example"
    return (
        b"From: Ana <ana@acme.example>\r\n"
        b"To: hello@" + DOMAIN.encode() + b"\r\n"
        b"Subject: Demo?\r\n"
        b"Message-ID: <" + message_id.encode() + b">\r\n"
        b"\r\n" + body
    )


def send(
    client: smtplib.SMTP, raw: bytes, *, to: str = f"hello@{DOMAIN}", mail_from: str = ""
) -> tuple[int, str]:
    """MAIL, RCPT, DATA on an open session; the DATA answer (or the first refusal)."""
    code, reply = client.mail(mail_from or "ana@acme.example")
    if code != 250:
        return code, reply.decode()
    code, reply = client.rcpt(to)
    if code != 250:
        client.rset()
        return code, reply.decode()
    code, reply = client.data(raw)
    return code, reply.decode()


def queued_id(reply: str) -> uuid.UUID:
    assert "queued as " in reply, reply
    return uuid.UUID(reply.rsplit("queued as ", 1)[1].strip())


def stored(server: SmtpServer, message_id: uuid.UUID) -> dict[str, Any]:
    rows = server.query(
        "SELECT raw, channel, envelope_from, envelope_to, peer, submitted_by,"
        " via_trusted_relay, trusted_authserv_id, submitter_user_id, state"
        " FROM message WHERE id = %s",
        message_id,
    )
    assert len(rows) == 1
    names = (
        "raw",
        "channel",
        "envelope_from",
        "envelope_to",
        "peer",
        "submitted_by",
        "via_trusted_relay",
        "trusted_authserv_id",
        "submitter_user_id",
        "state",
    )
    return dict(zip(names, rows[0], strict=True))


def count_messages(server: SmtpServer, marker: str) -> int:
    rows = server.query(
        "SELECT count(*) FROM message WHERE position(%s::bytea in raw) > 0", marker.encode()
    )
    return int(rows[0][0])


def test_accepted_message_is_stored_byte_identical_with_its_processing_job(
    smtp_server: SmtpServer,
) -> None:
    # Given a message with a dot-led line (smtplib stuffs it, the server must unstuff it)
    raw = message(body=b"Line one.\r\n.hidden dot line\r\n..two dots\r\n\r\nBye.\r\n")
    # When it is sent
    with smtp_server.connect() as client:
        code, reply = send(client, raw)
    # Then it was answered only once committed, and the stored bytes are the sent bytes
    assert code == 250, reply
    message_id = queued_id(reply)
    row = stored(smtp_server, message_id)
    assert bytes(row["raw"]) == raw
    assert row["channel"] == "smtp"
    assert row["envelope_from"] == "ana@acme.example"
    assert row["envelope_to"] == [f"hello@{DOMAIN}"]
    assert row["peer"] == "127.0.0.1"
    # No relay is trusted until an operator sets one up: loopback vouches for nobody.
    assert row["via_trusted_relay"] is False
    assert row["trusted_authserv_id"] is None
    assert row["submitted_by"] is None
    jobs = smtp_server.query(
        "SELECT count(*) FROM job WHERE actor_name = 'email.process_message'"
        " AND message->'kwargs'->>'message_id' = %s",
        str(message_id),
    )
    assert jobs == [(1,)]


def test_the_same_message_twice_is_stored_once(smtp_server: SmtpServer) -> None:
    raw = message()
    with smtp_server.connect() as client:
        first = send(client, raw)
        second = send(client, raw)
    assert first[0] == second[0] == 250
    assert queued_id(first[1]) == queued_id(second[1])
    message_id = queued_id(first[1])
    assert smtp_server.query("SELECT count(*) FROM message WHERE id = %s", message_id) == [(1,)]
    jobs = smtp_server.query(
        "SELECT count(*) FROM job WHERE message->'kwargs'->>'message_id' = %s", str(message_id)
    )
    assert jobs == [(1,)]


def test_recipient_domains_are_matched_case_insensitively(smtp_server: SmtpServer) -> None:
    with smtp_server.connect() as client:
        code, reply = send(client, message(), to="Sales@Compound.LOCALHOST")
    assert code == 250, reply


@pytest.mark.parametrize(
    "recipient",
    [
        "someone@elsewhere.example",
        f"someone@sub.{DOMAIN}",
        f"someone@{DOMAIN}.evil.example",
        f'"someone@{DOMAIN}"@elsewhere.example',
        "postmaster",
    ],
)
def test_mail_for_other_domains_is_refused_and_not_stored(
    smtp_server: SmtpServer, recipient: str
) -> None:
    marker = uuid.uuid4().hex
    with smtp_server.connect() as client:
        client.mail("ana@acme.example")
        code, reply = client.rcpt(recipient)
        assert code == 550, reply
        assert b"relaying denied" in reply
        with pytest.raises(smtplib.SMTPDataError) as refused:
            client.data(message(body=marker.encode() + b"\r\n"))
    assert refused.value.smtp_code == 503  # no accepted recipient, so no DATA
    assert count_messages(smtp_server, marker) == 0


def test_relaying_is_refused_even_after_authentication(
    smtp_server: SmtpServer, mail_user: str
) -> None:
    marker = uuid.uuid4().hex
    with smtp_server.connect() as client:
        client.login(mail_user, PASSWORD)
        client.mail(mail_user)
        code, reply = client.rcpt("victim@elsewhere.example")
        assert code == 550, reply
        with pytest.raises(smtplib.SMTPDataError) as refused:
            client.data(message(body=marker.encode() + b"\r\n"))
    assert refused.value.smtp_code == 503
    assert count_messages(smtp_server, marker) == 0


def test_only_our_recipients_of_a_mixed_list_are_kept(smtp_server: SmtpServer) -> None:
    with smtp_server.connect() as client:
        client.mail("ana@acme.example")
        assert client.rcpt(f"a@{DOMAIN}")[0] == 250
        assert client.rcpt("b@elsewhere.example")[0] == 550
        code, reply = client.data(message())
    assert code == 250
    assert stored(smtp_server, queued_id(reply.decode()))["envelope_to"] == [f"a@{DOMAIN}"]


def test_announced_size_over_the_limit_is_refused_with_552(smtp_server: SmtpServer) -> None:
    with smtp_server.connect() as client:
        assert client.has_extn("size")
        assert int(client.esmtp_features["size"]) == MAX_BYTES
        code, _ = client.mail("ana@acme.example", options=[f"SIZE={MAX_BYTES + 1}"])
    assert code == 552


def test_a_message_over_the_limit_is_refused_with_552_and_not_stored(
    smtp_server: SmtpServer,
) -> None:
    marker = uuid.uuid4().hex
    big = message(body=marker.encode() + b"\r\n" + (b"x" * 70 + b"\r\n") * (MAX_BYTES // 72 + 10))
    with smtp_server.connect() as client:
        code, _ = send(client, big)
        # The session goes on: the next message is taken.
        after = send(client, message())
    assert code == 552
    assert after[0] == 250
    assert count_messages(smtp_server, marker) == 0


def test_auth_plain_with_a_users_password_records_the_submitter(
    smtp_server: SmtpServer, mail_user: str
) -> None:
    with smtp_server.connect() as client:
        assert "PLAIN" in client.esmtp_features["auth"]  # offered without TLS on loopback
        client.login(mail_user, PASSWORD)  # smtplib picks PLAIN
        code, reply = send(client, message(), mail_from=mail_user)
    assert code == 250, reply
    row = stored(smtp_server, queued_id(reply))
    assert row["submitted_by"] == f"user:{mail_user}"
    # The account, so processing can check that the From is that account's address.
    [(user_id,)] = smtp_server.query('SELECT id FROM "user" WHERE email = %s', mail_user)
    assert row["submitter_user_id"] == user_id


def test_auth_login_with_an_ingest_token_records_the_token(
    smtp_server: SmtpServer, mail_user: str
) -> None:
    secret = token(smtp_server, mail_user, "ingest")
    with smtp_server.connect() as client:
        client.user, client.password = "token", secret
        code, reply_bytes = client.auth("LOGIN", client.auth_login)
        assert code == 235, reply_bytes
        code, reply = send(client, message())
    assert code == 250, reply
    row = stored(smtp_server, queued_id(reply))
    assert row["submitted_by"].startswith(f"token:{secret[:10]}")
    assert mail_user in row["submitted_by"]
    # The token's owner is who logged in.
    [(user_id,)] = smtp_server.query('SELECT id FROM "user" WHERE email = %s', mail_user)
    assert row["submitter_user_id"] == user_id


def test_a_relay_the_operator_set_up_may_vouch_with_our_server_id(
    embedded_server: EmbeddedServer, smtp_server: SmtpServer
) -> None:
    """Only with COMPOUND_MAIL_TRUSTED_RELAYS naming the peer is mail marked as relayed, with
    the id whose Authentication-Results processing then believes."""
    relayed = start_smtp(
        smtp_server.database_url,
        embedded_server.data_dir,
        COMPOUND_MAIL_TRUSTED_RELAYS="127.0.0.1/32",
        COMPOUND_MAIL_AUTHSERV_ID="mx.compound.example",
    )
    try:
        with relayed.connect() as client:
            code, reply = send(client, message())
    finally:
        stop_smtp(relayed)
    assert code == 250, reply
    row = stored(smtp_server, queued_id(reply))
    assert (row["via_trusted_relay"], row["trusted_authserv_id"]) == (True, "mx.compound.example")


def test_a_token_without_the_ingest_scope_cannot_authenticate(
    smtp_server: SmtpServer, mail_user: str
) -> None:
    secret = token(smtp_server, mail_user, "read,write")
    with smtp_server.connect() as client, pytest.raises(smtplib.SMTPAuthenticationError) as raised:
        client.login("token", secret)
    assert raised.value.smtp_code == 535


def test_a_wrong_password_is_535_and_the_third_closes_the_connection(
    smtp_server: SmtpServer, mail_user: str
) -> None:
    plain = base64.b64encode(f"\0{mail_user}\0wrong password".encode()).decode()
    with smtp_server.connect() as client:
        assert client.docmd("AUTH", f"PLAIN {plain}")[0] == 535
        assert client.docmd("AUTH", f"PLAIN {plain}")[0] == 535
        assert client.docmd("AUTH", f"PLAIN {plain}")[0] == 535
        assert client.getreply()[0] == 421
        with pytest.raises(smtplib.SMTPServerDisconnected):
            client.noop()


def test_malformed_auth_exchanges_get_501(smtp_server: SmtpServer) -> None:
    with smtp_server.connect() as client:
        assert client.docmd("AUTH", "PLAIN !!!not-base64")[0] == 501
        no_separators = base64.b64encode(b"just-a-user").decode()
        assert client.docmd("AUTH", f"PLAIN {no_separators}")[0] == 501
        assert client.docmd("AUTH", "CRAM-MD5")[0] == 504
        # Undecodable credentials are simply wrong ones.
        latin = base64.b64encode(b"\0user\xff@x\0pass\xfe").decode()
        assert client.docmd("AUTH", f"PLAIN {latin}")[0] == 535
        assert client.noop()[0] == 250


def test_a_recipient_flood_is_capped_at_100_per_message(smtp_server: SmtpServer) -> None:
    # Given a client that pipelines 10,000 RCPTs in one go
    commands = [b"EHLO flood.example", b"MAIL FROM:<flood@flood.example>"]
    commands += [f"RCPT TO:<user{index}@{DOMAIN}>".encode() for index in range(10_000)]
    commands += [b"RSET", b"QUIT"]
    with socket.create_connection(("127.0.0.1", smtp_server.port), timeout=60) as connection:
        connection.sendall(b"\r\n".join(commands) + b"\r\n")
        replies = b""
        while not replies.endswith(b"\r\n") or b"221" not in replies.rsplit(b"\r\n", 2)[-2]:
            chunk = connection.recv(65536)
            if not chunk:
                break
            replies += chunk
    # One final reply line per command ("250-" continues a multi-line EHLO answer)
    codes = [line[:3].decode() for line in replies.split(b"\r\n") if line[3:4] == b" "]
    greeting, ehlo, mail, *rcpts, rset, quit_ = codes
    assert (greeting, ehlo, mail, rset, quit_) == ("220", "250", "250", "250", "221")
    # Then the first 100 are taken and every other one is told to wait (452), none crash it
    assert rcpts == ["250"] * 100 + ["452"] * 9_900
    with smtp_server.connect() as client:
        assert send(client, message())[0] == 250


def test_a_message_with_100_recipients_keeps_them_all(smtp_server: SmtpServer) -> None:
    with smtp_server.connect() as client:
        client.mail("ana@acme.example")
        for index in range(101):
            code, _ = client.rcpt(f"user{index}@{DOMAIN}")
            assert code == (250 if index < 100 else 452)
        code, reply = client.data(message())
    assert code == 250
    assert len(stored(smtp_server, queued_id(reply.decode()))["envelope_to"]) == 100


def test_hostile_input_gets_clear_codes_and_the_server_keeps_serving(
    smtp_server: SmtpServer,
) -> None:
    with smtp_server.connect() as client:
        # A command line far over the limit
        assert client.docmd("NOOP " + "x" * 5000)[0] == 500
        # A data line over RFC 5321's 1000 octets: refused whole, nothing half-stored
        marker = uuid.uuid4().hex
        code, _ = send(client, message(body=marker.encode() + b"y" * 5000 + b"\r\n"))
        assert code == 500
        assert count_messages(smtp_server, marker) == 0
        # An unknown command, an address that does not parse, a nested MAIL
        assert client.docmd("WHATEVER")[0] == 500
        assert client.docmd("MAIL FROM:<<<>>>")[0] in (501, 553)
        assert client.mail("ana@acme.example")[0] == 250
        assert client.mail("ana@acme.example")[0] == 503
        client.rset()
        # A NUL byte in an address is taken, and dropped from what is stored (a text
        # column cannot hold it; the raw message is untouched)
        assert client.docmd("MAIL FROM:<a\x00b@acme.example>")[0] == 250
        assert client.rcpt(f"hello@{DOMAIN}")[0] == 250
        code, data_reply = client.data(message())
        assert code == 250
        row = stored(smtp_server, queued_id(data_reply.decode()))
        assert row["envelope_from"] == "ab@acme.example"
        assert client.noop()[0] == 250


def test_nul_bytes_non_utf8_headers_and_binary_garbage_are_stored_raw(
    smtp_server: SmtpServer,
) -> None:
    samples = [
        message(body=b"before\x00after\r\n"),
        b"Subject: caf\xe9 \xff\xfe\r\nFrom: \xc3\x28 <x@acme.example>\r\n\r\nbody\r\n",
        bytes(range(1, 256)).replace(b"\r", b"").replace(b"\n", b"") + b"\r\n",
        b"no headers at all, just words\r\n",
    ]
    with smtp_server.connect() as client:
        for raw in samples:
            code, reply = send(client, raw)
            assert code == 250, (raw[:40], reply)
            row = stored(smtp_server, queued_id(reply))
            assert bytes(row["raw"]) == raw
            assert row["state"] == "received"


def test_an_empty_message_is_refused_with_554(smtp_server: SmtpServer) -> None:
    with smtp_server.connect() as client:
        code, reply = send(client, b"\r\n")
    assert code == 554, reply


def test_utf8_addresses_are_accepted_with_smtputf8(smtp_server: SmtpServer) -> None:
    with smtp_server.connect() as client:
        assert client.has_extn("smtputf8")
        client.command_encoding = "utf-8"
        code, reply = client.mail("josé@acme.example", options=["SMTPUTF8"])
        assert code == 250, reply
        assert client.rcpt(f"ventas-ñ@{DOMAIN}")[0] == 250
        code, data_reply = client.data(message())
    assert code == 250
    row = stored(smtp_server, queued_id(data_reply.decode()))
    assert row["envelope_from"] == "josé@acme.example"
    assert row["envelope_to"] == [f"ventas-ñ@{DOMAIN}"]


def _set_connections_allowed(server: SmtpServer, database: str, *, allowed: bool) -> None:
    admin = libpq_url(server.database_url).replace(f"/{database}?", "/postgres?")
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(
            f'ALTER DATABASE "{database}" WITH ALLOW_CONNECTIONS {str(allowed).lower()}'
        )
        connection.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
            (database,),
        )


def test_database_outage_answers_451_and_mail_flows_again_after_it(
    embedded_server: EmbeddedServer,
) -> None:
    database = "compound_smtp_outage"
    server = start_smtp(embedded_server.database_url(database), embedded_server.data_dir)
    try:
        with server.connect() as client:
            assert send(client, message())[0] == 250  # the pool holds a live connection now
        # A restart: every connection is cut, the database itself is fine
        _set_connections_allowed(server, database, allowed=True)
        with server.connect() as client:
            code, reply = send(client, message())
        assert code == 250, reply  # the dead pooled connection is replaced, not reported
        # When the database refuses connections
        _set_connections_allowed(server, database, allowed=False)
        raw = message()
        with server.connect() as client:
            code, reply = send(client, raw)
            # Then the sender is told to try later, and the session still works
            assert code == 451, reply
            assert reply.startswith("4.3.0")
            credentials = base64.b64encode(b"\0someone@compound.localhost\0password").decode()
            assert client.docmd("AUTH", f"PLAIN {credentials}")[0] == 454
            assert client.noop()[0] == 250
        assert server.process.poll() is None
        # And once the database is back, the retried message is taken
        _set_connections_allowed(server, database, allowed=True)
        with server.connect() as client:
            code, reply = send(client, raw)
        assert code == 250, reply
        assert bytes(stored(server, queued_id(reply))["raw"]) == raw
    finally:
        _set_connections_allowed(server, database, allowed=True)
        stop_smtp(server)


def test_a_port_in_use_is_a_one_line_error(
    smtp_server: SmtpServer, embedded_server: EmbeddedServer
) -> None:
    result = subprocess.run(
        compound_command("smtp", "--port", str(smtp_server.port)),
        env=smtp_server.env,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPOSITORY_ROOT,
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"error: cannot listen on 127.0.0.1:{smtp_server.port}: Address already in use"
    ]


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("tls")
    certificate, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=compound.localhost",
            "-keyout",
            str(key),
            "-out",
            str(certificate),
        ],
        check=True,
        capture_output=True,
    )
    return certificate, key


def test_beyond_loopback_auth_needs_starttls_first(
    smtp_server: SmtpServer,
    embedded_server: EmbeddedServer,
    mail_user: str,
    certificate: tuple[Path, Path],
) -> None:
    # Given a listener on every interface, with a certificate
    server = start_smtp(
        smtp_server.database_url,
        embedded_server.data_dir,
        host="0.0.0.0",  # noqa: S104
        COMPOUND_SMTP_TLS_CERTIFICATE=str(certificate[0]),
        COMPOUND_SMTP_TLS_KEY=str(certificate[1]),
    )
    try:
        with server.connect() as client:
            # Then no password may cross in the clear, yet plain mail is still taken
            assert not client.has_extn("auth")
            plain = base64.b64encode(f"\0{mail_user}\0{PASSWORD}".encode()).decode()
            assert client.docmd("AUTH", f"PLAIN {plain}")[0] == 538
            assert send(client, message())[0] == 250
            # And after STARTTLS the same credentials work
            context = ssl.create_default_context()
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
            client.starttls(context=context)
            client.ehlo("tests.example")
            client.login(mail_user, PASSWORD)
            code, reply = send(client, message())
        assert code == 250, reply
        assert stored(server, queued_id(reply))["submitted_by"] == f"user:{mail_user}"
    finally:
        stop_smtp(server)
