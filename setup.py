"""The package layout, computed: the repository's top-level folders install as
`compound.<folder>` with every subfolder and data file in them (templates, static files,
migrations, module data, eval cases), so a wheel holds all that a checkout has.

Everything else about the package is declared in pyproject.toml."""

from __future__ import annotations

from pathlib import Path

from setuptools import setup

ROOT = Path(__file__).resolve().parent
# platform/ has no __init__.py at its top, so it can never shadow the standard library's
# "platform"; it imports only as compound.platform.
LAYERS = ("platform", "agents", "web", "modules", "migrations")
SKIPPED = {"__pycache__"}
CODE_SUFFIXES = {".py", ".pyc", ".pyo"}


def _folders(layer: str) -> list[Path]:
    top = ROOT / layer
    below = (
        path
        for path in top.rglob("*")
        if path.is_dir() and not SKIPPED.intersection(path.relative_to(ROOT).parts)
    )
    return [top, *sorted(below)]


def _package(folder: Path) -> str:
    return ".".join(("compound", *folder.relative_to(ROOT).parts))


packages: list[str] = []
package_data: dict[str, list[str]] = {}
for layer in LAYERS:
    for folder in _folders(layer):
        name = _package(folder)
        packages.append(name)
        data = sorted(
            path.name
            for path in folder.iterdir()
            if path.is_file() and path.suffix not in CODE_SUFFIXES
        )
        if data:
            package_data[name] = data

setup(
    package_dir={f"compound.{layer}": layer for layer in LAYERS},
    packages=packages,
    package_data=package_data,
)
