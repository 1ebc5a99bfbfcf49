"""Rules of the repository itself: the stdlib `platform` stays reachable, the schema is committed."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

from compound.platform.config import Settings
from compound.web.graphql import build_schema

REPOSITORY_ROOT = Path(__file__).resolve().parents[1]


def test_stdlib_platform_is_not_shadowed_from_the_repository_root() -> None:
    result = subprocess.run(
        [sys.executable, "-c", "import platform; print(platform.system(), platform.__file__)"],
        cwd=REPOSITORY_ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    system, location = result.stdout.split()
    assert system == "Linux"
    assert not location.startswith(str(REPOSITORY_ROOT))
    assert not (REPOSITORY_ROOT / "platform" / "__init__.py").exists()


def test_committed_graphql_schema_matches_the_code() -> None:
    printed = str(build_schema(Settings(_env_file=None))).strip() + "\n"  # type: ignore[call-arg]
    committed = (REPOSITORY_ROOT / "schema.graphql").read_text()
    assert committed == printed, (
        "schema.graphql is out of date: run `make schema` and commit the result"
    )


def test_sqlalchemy_create_all_is_used_nowhere_but_tests() -> None:
    offenders = []
    for layer in ("platform", "agents", "web", "modules"):
        for path in (REPOSITORY_ROOT / layer).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.Attribute) and node.attr == "create_all":
                    offenders.append(str(path.relative_to(REPOSITORY_ROOT)))
    assert offenders == [], "tables come from Alembic migrations only"


def test_modules_agents_and_web_read_the_web_only_through_the_platform_fetcher() -> None:
    # compound.platform.web_fetch checks and pins every address it connects to; an HTTP
    # client used directly would resolve the host again (DNS rebinding, issue 13 finding 6).
    clients = {"httpx", "httpcore", "aiohttp", "requests", "urllib3", "urllib.request"}
    offenders = []
    for layer in ("agents", "web", "modules"):
        for path in (REPOSITORY_ROOT / layer).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text())):
                names = (
                    [alias.name for alias in node.names]
                    if isinstance(node, ast.Import)
                    else [node.module or ""]
                    if isinstance(node, ast.ImportFrom)
                    else []
                )
                if any(name in clients or name.split(".")[0] in clients for name in names):
                    offenders.append(str(path.relative_to(REPOSITORY_ROOT)))
    assert offenders == [], "read web pages with compound.platform.web_fetch.WebFetcher"
