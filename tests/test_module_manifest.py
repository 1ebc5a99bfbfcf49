"""A module plugs in through its manifest alone: `tests/plugins/example`, installed from
outside Compound through `COMPOUND_MODULES`, appears in the schema, the pages, the
navigation, the workers and `compound eval`; left out, it leaves no trace there."""

from __future__ import annotations

import asyncio
import os
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
from litestar import Litestar

from compound.platform.auth import service as auth
from compound.platform.auth.actor import Actor
from compound.platform.config import Settings
from compound.platform.database import Database
from compound.platform.embedded_postgres import start_embedded_postgres
from compound.platform.modules import installed_modules
from compound.platform.pages import PAGE_DEPENDENCIES
from compound.web.graphql import build_schema
from compound.web.modules import actor_modules
from compound.web.pages import page_routes
from tests.conftest import REPOSITORY_ROOT, EmbeddedServer, LiveServer, compound_command
from tests.security.accounts import PASSWORD, create_accounts, new_address, start_web, web_sign_in

PLUGINS = REPOSITORY_ROOT / "tests" / "plugins"
ADMIN = "example-admin@compound.localhost"


def _with_plugins(env: dict[str, str], modules: str) -> dict[str, str]:
    path = os.pathsep.join(part for part in (str(PLUGINS), env.get("PYTHONPATH")) if part)
    return {**env, "COMPOUND_MODULES": modules, "PYTHONPATH": path}


def _cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        compound_command(*args),
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        cwd=REPOSITORY_ROOT,
        check=False,
    )


def _token(database_url: str, email: str = ADMIN) -> str:
    async def create() -> str:
        database = Database.connect(database_url, pool_size=1)
        try:
            async with database.session() as session:
                _, secret = await auth.create_token(
                    session, Actor.system("tests"), user_email=email, scopes=["read"], name="t"
                )
                return secret
        finally:
            await database.dispose()

    return asyncio.run(create())


def _graphql(url: str, token: str, document: str) -> dict[str, object]:
    response = httpx.post(
        f"{url}/graphql",
        json={"query": document},
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    body: dict[str, object] = response.json()
    return body


QUERY_FIELDS = '{ __type(name: "Query") { fields { name } } }'


def _query_fields(url: str, token: str) -> set[str]:
    data = _graphql(url, token, QUERY_FIELDS)["data"]
    assert isinstance(data, dict)
    return {field["name"] for field in data["__type"]["fields"]}


def _signed_in_page(url: str, path: str, email: str = ADMIN) -> httpx.Response:
    with httpx.Client(base_url=url, timeout=30) as client:
        signed_in = web_sign_in(url, email, PASSWORD)
        client.cookies.update(signed_in.cookies)
        return client.get(path)


@dataclass(frozen=True)
class ExampleSite:
    url: str
    database_url: str
    env: dict[str, str]
    upgrade_output: str
    token: str


@pytest.fixture(scope="module")
def example_site(embedded_server: EmbeddedServer) -> Iterator[ExampleSite]:
    # A database of its own, migrated by `compound db upgrade` with the module installed.
    url = start_embedded_postgres(embedded_server.data_dir / "pgdata", database="compound_example")
    env = _with_plugins(
        {
            **os.environ,
            "COMPOUND_DATABASE_URL": url,
            "COMPOUND_DATA_DIR": str(embedded_server.data_dir),
        },
        "leads,example",
    )
    upgraded = _cli(env, "db", "upgrade")
    assert upgraded.returncode == 0, upgraded.stderr
    create_accounts(url, [ADMIN], role="admin")
    server = start_web(
        url,
        embedded_server.data_dir,
        **{key: env[key] for key in ("COMPOUND_MODULES", "PYTHONPATH")},
    )
    try:
        yield ExampleSite(
            url=server.url,
            database_url=url,
            env=env,
            upgrade_output=upgraded.stdout,
            token=_token(url),
        )
    finally:
        server.process.terminate()
        server.process.wait(timeout=15)


def test_an_installed_module_migrates_its_own_branch(example_site: ExampleSite) -> None:
    assert "e001" in example_site.upgrade_output and "0015" in example_site.upgrade_output
    current = _cli(example_site.env, "db", "current")
    assert current.returncode == 0, current.stdout + current.stderr
    assert "0013, 0015, e001" in current.stdout


def test_an_installed_module_answers_in_the_schema(example_site: ExampleSite) -> None:
    fields = _query_fields(example_site.url, example_site.token)
    assert {"exampleNoteCount", "leads", "companies"} <= fields
    asked = _graphql(example_site.url, example_site.token, "{ exampleNoteCount }")
    assert asked == {"data": {"exampleNoteCount": 0}}


def test_an_installed_module_has_its_page_and_its_link(example_site: ExampleSite) -> None:
    page = _signed_in_page(example_site.url, "/example")
    assert page.status_code == 200, page.text
    assert "Served by a module installed from outside Compound" in page.text
    assert '<a href="/example" aria-current="page">Example</a>' in page.text
    assert '<a href="/leads" >Leads</a>' in page.text or 'href="/leads"' in page.text


def test_an_installed_module_is_in_the_workers_and_the_evals(
    example_site: ExampleSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.syspath_prepend(str(PLUGINS))
    settings = Settings(_env_file=None, modules=["leads", "example"])  # type: ignore[call-arg]
    assert "example.agents" in actor_modules(settings)
    evaluated = _cli(example_site.env, "eval", "example", "--engine", "offline")
    assert evaluated.returncode == 0, evaluated.stdout + evaluated.stderr
    assert "example.greeter" in evaluated.stdout and "1.000" in evaluated.stdout


def test_a_module_left_out_leaves_no_trace(live_server: LiveServer) -> None:
    # The suite's server runs the default set: every module under compound.modules, and
    # the example is not one of them.
    admin = new_address("admin")
    create_accounts(live_server.database_url, [admin], role="admin")
    token = _token(live_server.database_url, admin)
    fields = _query_fields(live_server.url, token)
    assert "exampleNoteCount" not in fields and "leads" in fields
    assert _signed_in_page(live_server.url, "/example", admin).status_code == 404
    inbox = _signed_in_page(live_server.url, "/inbox", admin)
    assert 'href="/leads"' in inbox.text and 'href="/example"' not in inbox.text
    assert not any("example" in name for name in actor_modules(Settings(_env_file=None)))  # type: ignore[call-arg]
    rows = live_server.query("SELECT to_regclass('public.example_note') AS present")
    assert rows == [{"present": None}]
    evaluated = _cli(live_server.env, "eval", "example", "--engine", "offline")
    assert "example.greeter" not in evaluated.stdout


def test_with_no_modules_the_substrate_stands_alone() -> None:
    alone = Settings(_env_file=None, modules=[])  # type: ignore[call-arg]
    assert installed_modules(alone) == ()
    printed = str(build_schema(alone))
    assert "type Company" in printed and "lead" not in printed.lower()
    app = Litestar(route_handlers=page_routes(alone), dependencies=PAGE_DEPENDENCIES)
    paths = {route.path for route in app.routes}
    assert "/companies" in paths and "/leads" not in paths and "/imports" not in paths


def test_an_unknown_module_is_a_clear_error(embedded_server: EmbeddedServer) -> None:
    env = {**os.environ, "COMPOUND_MODULES": "leads,nosuchmodule"}
    refused = _cli(env, "db", "current")
    assert refused.returncode != 0
    assert "COMPOUND_MODULES names 'nosuchmodule'" in refused.stdout + refused.stderr
