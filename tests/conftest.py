"""Shared fixtures: one embedded Postgres per session; each test in a rolled-back transaction."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from psycopg.rows import dict_row
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from compound.platform import migrations
from compound.platform.auth import service as auth
from compound.platform.auth.actor import Actor
from compound.platform.config import Settings, get_settings
from compound.platform.database import Database
from compound.platform.email.sink import start_sink
from compound.platform.embedded_postgres import libpq_url, start_embedded_postgres
from compound.web.modules import install_modules

REPOSITORY_ROOT = Path(__file__).resolve().parents[1]
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
# The suite tries hundreds of wrong passwords on purpose, in this process and in the servers
# it starts; the per-process budget (default 60 a minute) is tested where it is the point.
os.environ.setdefault("COMPOUND_PASSWORD_FAILURES_PER_MINUTE", "100000")


@dataclass(frozen=True)
class EmbeddedServer:
    data_dir: Path
    test_url: str

    def database_url(self, name: str) -> str:
        """A fresh, migrated database on the same server (for tests that need their own)."""
        url = start_embedded_postgres(self.data_dir / "pgdata", database=name)
        migrations.upgrade(url)
        return url


@pytest.fixture(scope="session", autouse=True)
def installed_modules() -> None:
    """Every module installed in this process as the app and the workers install them: their
    agents, triage handlers and undo record kinds are known to in-process tests too."""
    install_modules(Settings(_env_file=None))  # type: ignore[call-arg]


@pytest.fixture(scope="session", autouse=True)
def outbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Outbound mail of every test (and of the processes tests start) goes to our own
    local sink: the folder it keeps the messages in."""
    folder = tmp_path_factory.mktemp("outbox")
    port = free_port()
    controller = start_sink("127.0.0.1", port, folder)
    previous = os.environ.get("COMPOUND_OUTBOUND_SMTP_PORT")
    os.environ["COMPOUND_OUTBOUND_SMTP_PORT"] = str(port)
    get_settings.cache_clear()
    yield folder
    controller.stop()
    if previous is None:
        os.environ.pop("COMPOUND_OUTBOUND_SMTP_PORT", None)
    else:
        os.environ["COMPOUND_OUTBOUND_SMTP_PORT"] = previous
    get_settings.cache_clear()


@pytest.fixture(scope="session")
def embedded_server() -> Iterator[EmbeddedServer]:
    # A short path under /tmp: Postgres unix-socket paths are limited to ~100 bytes.
    data_dir = Path(tempfile.mkdtemp(prefix="cpdt-", dir="/tmp"))
    url = start_embedded_postgres(
        data_dir / "pgdata", database="compound_test", delete_on_exit=True
    )
    migrations.upgrade(url)
    yield EmbeddedServer(data_dir=data_dir, test_url=url)
    shutil.rmtree(data_dir, ignore_errors=True)


@pytest.fixture(scope="session")
def database_url(embedded_server: EmbeddedServer) -> str:
    return embedded_server.test_url


@pytest.fixture(scope="session")
async def database(database_url: str) -> AsyncIterator[Database]:
    db = Database.connect(database_url, pool_size=4)
    yield db
    await db.dispose()


@pytest.fixture
async def test_database(database: Database) -> AsyncIterator[Database]:
    """A Database whose sessions all live in one transaction that is rolled back after the test.

    Sessions join it through savepoints, so a service's flush, an edge's commit and a
    mutation's savepoint all behave as in production, and nothing outlives the test.
    """
    async with database.engine.connect() as connection:
        transaction = await connection.begin()
        sessionmaker = async_sessionmaker(
            bind=connection,
            class_=AsyncSession,
            expire_on_commit=False,
            join_transaction_mode="create_savepoint",
        )
        yield Database(database.engine, sessionmaker)
        await transaction.rollback()


@pytest.fixture
async def session(test_database: Database) -> AsyncIterator[AsyncSession]:
    async with test_database.sessionmaker() as session:
        yield session


@pytest.fixture
def actor() -> Actor:
    return Actor.system("tests")


@pytest.fixture
def settings() -> Settings:
    return Settings(_env_file=None)  # type: ignore[call-arg]


@dataclass(frozen=True)
class Tokens:
    admin: str
    member: str
    viewer: str
    read_only: str
    ingest_only: str


@pytest.fixture
async def tokens(session: AsyncSession) -> Tokens:
    """One user per role and tokens of each kind, inside the test's transaction."""
    setup = Actor.system("tests")
    for role in ("admin", "member", "viewer"):
        await auth.create_user(
            session, setup, email=f"{role}@tests.example", role=role, password="password123"
        )

    async def token_of(email: str, scopes: list[str]) -> str:
        return (await auth.create_token(session, setup, user_email=email, scopes=scopes))[1]

    admin = await token_of("admin@tests.example", ["read", "write"])
    member = await token_of("member@tests.example", ["read", "write"])
    viewer = await token_of("viewer@tests.example", ["read", "write"])
    read_only = await token_of("member@tests.example", ["read"])
    ingest_only = await token_of("admin@tests.example", ["ingest"])
    await session.commit()
    return Tokens(
        admin=admin, member=member, viewer=viewer, read_only=read_only, ingest_only=ingest_only
    )


class GraphQLClient:
    """Posts GraphQL documents to the in-process app over ASGI, as a given token."""

    def __init__(self, client: httpx.AsyncClient, token: str | None) -> None:
        self._client = client
        self.token = token

    def as_token(self, token: str | None) -> GraphQLClient:
        return GraphQLClient(self._client, token)

    async def post(self, query: str, variables: dict[str, Any] | None = None) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        return await self._client.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
        )

    async def execute(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        response = await self.post(query, variables)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body


@pytest.fixture
async def web_client(
    test_database: Database, tokens: Tokens, settings: Settings
) -> AsyncIterator[httpx.AsyncClient]:
    """A cookie-keeping client of the in-process app, as a browser uses the pages; users:
    admin, member, viewer (see `tokens`)."""
    from compound.web.app import create_app

    app = create_app(settings=settings, database=test_database)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://compound.test") as client:
        yield client


@pytest.fixture
async def graphql(
    test_database: Database, tokens: Tokens, settings: Settings
) -> AsyncIterator[GraphQLClient]:
    from compound.web.app import create_app

    app = create_app(settings=settings, database=test_database)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://compound.test") as client:
        yield GraphQLClient(client, tokens.admin)


PORTS_PER_WORKER = 4_000
FIRST_WORKER_PORT = 20_000
"""Below Linux's ephemeral range (32768–60999), so no outgoing connection takes them."""
_next_port: list[int] = []


def free_port() -> int:
    """A port free now. Under pytest-xdist each process draws from its own range: two
    processes asking the kernel at once could both be told the same port, freed between the
    probe and the server's bind, and one server would fail to start."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if not worker.startswith("gw"):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port: int = probe.getsockname()[1]
            return port
    low = FIRST_WORKER_PORT + int(worker[2:]) * PORTS_PER_WORKER
    if not _next_port:
        _next_port.append(low + os.getpid() % PORTS_PER_WORKER)
    for _ in range(PORTS_PER_WORKER):
        candidate = low + (_next_port[0] - low + 1) % PORTS_PER_WORKER
        _next_port[0] = candidate
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", candidate))
            except OSError:
                continue
            return candidate
    raise RuntimeError(f"no free port in {low}–{low + PORTS_PER_WORKER - 1}")


def compound_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "compound.web.cli", *args]


@dataclass(frozen=True)
class LiveServer:
    url: str
    database_url: str
    env: dict[str, str]

    def cli(
        self, *args: str, check: bool = True, stdin: str | None = None
    ) -> subprocess.CompletedProcess[str]:
        """`compound ARGS` on this server's database; `stdin` is its input (a password
        with --password-stdin: never on the command line). Never the terminal's: a command
        that could prompt must not wait for someone at the keyboard."""
        return subprocess.run(
            compound_command(*args),
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
            check=check,
            cwd=REPOSITORY_ROOT,
            input=stdin or "",
        )

    def query(self, sql: str, *params: Any) -> list[dict[str, Any]]:
        """Rows of this server's database, read beside it (as a dict per row)."""
        with psycopg.connect(
            libpq_url(self.database_url), autocommit=True, row_factory=dict_row
        ) as connection:
            return connection.execute(sql, params).fetchall()  # type: ignore[arg-type]

    def graphql(self, token: str, document: str, **variables: Any) -> Any:
        """`data` of a GraphQL request over real HTTP; fails on an HTTP or GraphQL error."""
        response = httpx.post(
            f"{self.url}/graphql",
            json={"query": document, "variables": variables},
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert "errors" not in body, body
        return body["data"]


@pytest.fixture(scope="session")
def live_server(embedded_server: EmbeddedServer) -> Iterator[LiveServer]:
    """`compound serve` in its own process, on its own database, over real HTTP."""
    url = embedded_server.database_url("compound_live")
    port = free_port()
    env = {
        **os.environ,
        "COMPOUND_DATABASE_URL": url,
        "COMPOUND_DATA_DIR": str(embedded_server.data_dir),
    }
    process = subprocess.Popen(
        compound_command("serve", "--host", "127.0.0.1", "--port", str(port)),
        env=env,
        cwd=REPOSITORY_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        if process.poll() is not None:
            raise RuntimeError(
                f"compound serve exited early:\n{process.stdout.read() if process.stdout else ''}"
            )
        try:
            if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            process.kill()
            raise RuntimeError("compound serve did not become healthy in 60 s")
        time.sleep(0.2)
    yield LiveServer(url=base, database_url=url, env=env)
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
