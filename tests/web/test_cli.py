"""The `compound` command: users, tokens and clear errors instead of tracebacks."""

from __future__ import annotations

import uuid
from dataclasses import replace

import psycopg
import pytest

from compound.platform.auth.service import hash_token
from compound.platform.embedded_postgres import libpq_url
from tests.conftest import LiveServer


def test_token_create_prints_the_token_once_on_the_last_line(live_server: LiveServer) -> None:
    email = f"cli-{uuid.uuid4().hex[:8]}@example.com"
    created = live_server.cli(
        "user", "create", "--email", email, "--password-stdin", "--role", "viewer",
        stdin="long enough\n",
    )  # fmt: skip
    assert f"created viewer {email}" in created.stdout
    result = live_server.cli("token", "create", "--user", email.upper(), "--scopes", "read, ingest")
    lines = result.stdout.strip().splitlines()
    token = lines[-1]
    assert token.startswith("cpd_") and " " not in token
    assert sum(token in line for line in lines) == 1
    with psycopg.connect(libpq_url(live_server.database_url)) as connection:
        stored = connection.execute(
            'SELECT t.token_hash, t.scopes FROM api_token t JOIN "user" u ON u.id = t.user_id WHERE u.email = %s',
            (email,),
        ).fetchone()
        everything = connection.execute(
            "SELECT string_agg(row_to_json(t)::text, '') FROM api_token t"
        ).fetchone()
    assert stored == (hash_token(token), ["read", "ingest"])
    assert everything is not None and token not in everything[0]


def test_bad_input_is_a_message_and_exit_code_2(live_server: LiveServer) -> None:
    cases = [
        (["user", "create", "--email", "x@example.com", "--role", "owner"], "unknown role 'owner'"),
        (
            ["user", "create", "--email", "nope", "--role", "admin"],
            "'nope' is not an email address",
        ),
        (
            ["token", "create", "--user", "ghost@example.com"],
            "no user with email ghost@example.com",
        ),
    ]
    for args, message in cases:
        result = live_server.cli(*args, check=False)
        assert result.returncode == 2, result.stderr
        assert f"error: {message}" in result.stderr
        assert "Traceback" not in result.stderr


def test_duplicate_user_is_refused(live_server: LiveServer) -> None:
    email = f"dupe-{uuid.uuid4().hex[:8]}@example.com"
    live_server.cli("user", "create", "--email", email, "--role", "member")
    again = live_server.cli("user", "create", "--email", email, "--role", "member", check=False)
    assert again.returncode == 2
    assert "already exists" in again.stderr


@pytest.mark.parametrize(
    ("name", "value"),
    [("COMPOUND_PORT", "eighty"), ("COMPOUND_LLM_PRICES", "{not json")],
)
def test_a_bad_setting_is_named_without_a_traceback(
    live_server: LiveServer, name: str, value: str
) -> None:
    env = {**live_server.env, name: value}
    result = replace(live_server, env=env).cli("db", "upgrade", check=False)
    assert result.returncode == 2
    assert name in result.stderr
    assert "Traceback" not in result.stderr
