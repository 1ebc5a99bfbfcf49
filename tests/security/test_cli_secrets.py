"""Secrets the `compound` command handles stay out of other people's reach (issue 13, finding
12): a new user's password never travels on the command line (any user of the machine reads
it with `ps`), and `var/demo-admin.txt` is private from its first byte (before, it was
written with the default mode and only then made 0600). The real command, in a subprocess,
on the live server's database."""

from __future__ import annotations

import os
import pty
import select
import stat
import subprocess
import time
import uuid
from pathlib import Path

import pytest

from compound.web.cli import write_private_file
from tests.conftest import REPOSITORY_ROOT, LiveServer, compound_command
from tests.security.accounts import query, web_sign_in

SECRET = "a passphrase nobody sees"


def new_email() -> str:
    return f"cli-secret-{uuid.uuid4().hex[:8]}@example.com"


def users_named(live_server: LiveServer, email: str) -> int:
    rows = query(live_server.database_url, 'SELECT count(*) FROM "user" WHERE email = %s', email)
    return int(rows[0][0])


def test_a_password_on_the_command_line_is_refused_and_nothing_is_created(
    live_server: LiveServer,
) -> None:
    email = new_email()
    result = live_server.cli(
        "user", "create", "--email", email, "--role", "admin", "--password", SECRET, check=False
    )
    assert result.returncode == 2
    assert "--password is not accepted" in result.stderr and "--password-stdin" in result.stderr
    assert "Traceback" not in result.stderr
    assert users_named(live_server, email) == 0


def test_password_stdin_keeps_the_password_out_of_the_process_arguments(
    live_server: LiveServer,
) -> None:
    email = new_email()
    process = subprocess.Popen(
        compound_command(
            "user", "create", "--email", email, "--role", "member", "--password-stdin"
        ),
        env=live_server.env,
        cwd=REPOSITORY_ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    # What `ps` shows of it, and its environment, while it waits for the password.
    arguments = b""
    deadline = time.monotonic() + 30
    while b"--password-stdin" not in arguments and time.monotonic() < deadline:
        arguments = Path(f"/proc/{process.pid}/cmdline").read_bytes()  # once it has exec'd
        time.sleep(0.05)
    assert b"--password-stdin" in arguments
    environment = Path(f"/proc/{process.pid}/environ").read_bytes()
    out, err = process.communicate(SECRET + "\n", timeout=120)
    assert process.returncode == 0, err
    assert SECRET.encode() not in arguments and SECRET.encode() not in environment
    assert f"created member {email}" in out
    assert web_sign_in(live_server.url, email, SECRET).status_code == 303


def test_the_password_may_come_from_compound_password(live_server: LiveServer) -> None:
    email = new_email()
    result = subprocess.run(
        compound_command("user", "create", "--email", email, "--role", "viewer"),
        env={**live_server.env, "COMPOUND_PASSWORD": SECRET},
        cwd=REPOSITORY_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        input="",
        check=True,
    )
    assert f"created viewer {email}" in result.stdout
    assert web_sign_in(live_server.url, email, SECRET).status_code == 303


def read_until(fd: int, wanted: bytes, seen: bytearray, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while wanted not in seen:
        remaining = deadline - time.monotonic()
        assert remaining > 0, f"no {wanted!r} in {bytes(seen)!r}"
        ready, _, _ = select.select([fd], [], [], remaining)
        if ready:
            try:
                chunk = os.read(fd, 4096)
            except OSError:  # the other end closed
                chunk = b""
            assert chunk, f"closed before {wanted!r}: {bytes(seen)!r}"
            seen += chunk


def test_on_a_terminal_the_password_is_asked_for_without_echo(live_server: LiveServer) -> None:
    email = new_email()
    controller, terminal = pty.openpty()
    process = subprocess.Popen(
        compound_command("user", "create", "--email", email, "--role", "member"),
        env=live_server.env,
        cwd=REPOSITORY_ROOT,
        stdin=terminal,
        stdout=terminal,
        stderr=terminal,
        start_new_session=True,
    )
    os.close(terminal)
    seen = bytearray()
    try:
        read_until(controller, b"Password (", seen)
        os.write(controller, SECRET.encode() + b"\n")
        read_until(controller, b"again: ", seen)
        os.write(controller, SECRET.encode() + b"\n")
        read_until(controller, b"created member", seen)
        assert process.wait(timeout=120) == 0
    finally:
        if process.poll() is None:
            process.kill()
        os.close(controller)
    assert SECRET.encode() not in seen  # not echoed
    assert web_sign_in(live_server.url, email, SECRET).status_code == 303


def test_without_a_password_or_a_terminal_the_user_is_api_only(live_server: LiveServer) -> None:
    email = new_email()
    live_server.cli("user", "create", "--email", email, "--role", "member")
    rows = query(
        live_server.database_url, 'SELECT password_hash FROM "user" WHERE email = %s', email
    )
    assert rows == [(None,)]


# --- var/demo-admin.txt -----------------------------------------------------------------------


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_private_file_is_0600_whatever_the_umask(tmp_path: Path) -> None:
    previous = os.umask(0)  # the loosest: a plain open() would make it world-readable
    try:
        write_private_file(tmp_path / "demo-admin.txt", "admin@x\nsecret\n")
    finally:
        os.umask(previous)
    assert mode(tmp_path / "demo-admin.txt") == 0o600
    assert (tmp_path / "demo-admin.txt").read_text() == "admin@x\nsecret\n"


def test_an_older_readable_file_is_made_private_before_the_secret_is_written(
    tmp_path: Path,
) -> None:
    path = tmp_path / "demo-admin.txt"
    path.write_text("an old password\n")
    path.chmod(0o644)
    write_private_file(path, "new secret\n")
    assert mode(path) == 0o600 and path.read_text() == "new secret\n"


def test_a_planted_symlink_is_not_followed(tmp_path: Path) -> None:
    target = tmp_path / "elsewhere.txt"
    target.write_text("untouched\n")
    target.chmod(0o644)
    (tmp_path / "demo-admin.txt").symlink_to(target)
    with pytest.raises(OSError, match="symbolic links"):
        write_private_file(tmp_path / "demo-admin.txt", "secret\n")
    assert target.read_text() == "untouched\n" and mode(target) == 0o644
