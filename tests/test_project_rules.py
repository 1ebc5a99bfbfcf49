"""Rules of the repository itself: the stdlib `platform` stays reachable, the schema is committed."""

from __future__ import annotations

import ast
import dataclasses
import importlib
import re
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


def test_no_code_outside_the_modules_names_one() -> None:
    # web/, agents/ and platform/ reach modules only through the loop over installed
    # manifests (compound.platform.modules), never by a module's name.
    offenders = []
    for layer in ("platform", "agents", "web"):
        for path in (REPOSITORY_ROOT / layer).rglob("*.py"):
            text = path.read_text()
            if re.search(r"modules\.leads|compound\.modules\.[a-z]", text):
                offenders.append(str(path.relative_to(REPOSITORY_ROOT)))
    assert offenders == []


def test_a_module_api_hands_out_no_orm_rows() -> None:
    # What api.py exports is its manifest and plain values: frozen dataclasses, Pydantic
    # models, constants; a table class would let other code write the module's rows.
    from sqlmodel import SQLModel

    from compound.platform.modules import available_module_names

    for name in available_module_names():
        api = importlib.import_module(f"compound.modules.{name}.api")
        exported = [getattr(api, attribute) for attribute in api.__all__]
        assert api.MODULE in exported
        rows = [
            value
            for value in exported
            if isinstance(value, type)
            and issubclass(value, SQLModel)
            and hasattr(value, "__table__")
        ]
        assert rows == [], f"compound.modules.{name}.api exports ORM rows: {rows}"
        for value in exported:
            if dataclasses.is_dataclass(value) and isinstance(value, type):
                assert value.__dataclass_params__.frozen, f"{value.__name__} must be frozen"  # type: ignore[attr-defined]
