"""Helpers of the authentication attack tests: accounts made through the auth service on a
live server's database, and signing in through the real sign-in page as a browser does."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psycopg

from compound.platform.auth import service as auth
from compound.platform.auth.actor import Actor
from compound.platform.database import Database
from compound.platform.embedded_postgres import libpq_url
from tests.conftest import REPOSITORY_ROOT, compound_command, free_port

PASSWORD = "correct horse battery"
DOMAIN = "compound.localhost"


def new_address(kind: str) -> str:
    return f"{kind}-{uuid.uuid4().hex[:8]}@{DOMAIN}"


def create_accounts(database_url: str, emails: list[str], *, role: str = "member") -> None:
    """Users with PASSWORD, made by the service as Compound itself (as the CLI would)."""

    async def create() -> None:
        database = Database.connect(database_url, pool_size=1)
        try:
            async with database.session() as session:
                for email in emails:
                    await auth.create_user(
                        session, Actor.system("tests"), email=email, role=role, password=PASSWORD
                    )
        finally:
            await database.dispose()

    asyncio.run(create())


def query(database_url: str, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    with psycopg.connect(libpq_url(database_url), autocommit=True) as connection:
        return connection.execute(sql, params).fetchall()  # type: ignore[arg-type]


def sessions_of(database_url: str, email: str) -> int:
    rows = query(
        database_url,
        'SELECT count(*) FROM web_session s JOIN "user" u ON u.id = s.user_id WHERE u.email = %s',
        email,
    )
    return int(rows[0][0])


def sign_in_form(client: httpx.Client) -> str:
    """Opens the sign-in form (its CSRF cookie lands in `client`); returns the form's token."""
    form = client.get("/sign-in")
    match = re.search(r'name="csrf" value="([^"]+)"', form.text)
    assert match is not None, form.text
    return match.group(1)


def post_sign_in(client: httpx.Client, csrf: str, email: str, password: str) -> httpx.Response:
    return client.post(
        "/sign-in", data={"email": email, "password": password, "next": "/", "csrf": csrf}
    )


def web_sign_in(base_url: str, email: str, password: str) -> httpx.Response:
    """One sign-in through the real page, from a fresh browser."""
    with httpx.Client(base_url=base_url, timeout=30) as client:
        return post_sign_in(client, sign_in_form(client), email, password)


@dataclass(frozen=True)
class WebServer:
    url: str
    database_url: str
    process: subprocess.Popen[str]


def start_web(database_url: str, data_dir: Path, **settings: str) -> WebServer:
    """`compound serve` in its own process on `database_url`, with extra COMPOUND_ settings."""
    port = free_port()
    env = {
        **os.environ,
        "COMPOUND_DATABASE_URL": database_url,
        "COMPOUND_DATA_DIR": str(data_dir),
        **settings,
    }
    process = subprocess.Popen(
        compound_command("serve", "--host", "127.0.0.1", "--port", str(port)),
        env=env,
        cwd=REPOSITORY_ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                return WebServer(url=url, database_url=database_url, process=process)
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    process.kill()
    raise RuntimeError("compound serve did not become healthy in 60 s")


def stop_web(server: WebServer) -> None:
    server.process.terminate()
    try:
        server.process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        server.process.kill()
