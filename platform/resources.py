"""Files that ship inside the package (templates, static files, migrations, module data),
found through `importlib.resources`: the same code reads them from a source checkout, an
editable install and a wheel."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path


def package_path(package: str, *parts: str) -> Path:
    """The on-disk path of `parts` inside `package`.

    Compound is installed as files (a wheel unpacked into site-packages, or a checkout), so
    every resource has a real path; Jinja, Alembic and the CSV reader need one."""
    resource = files(package).joinpath(*parts)
    if not isinstance(resource, Path):
        # A zipped install: Compound needs its files unpacked (every installer does this).
        raise FileNotFoundError(f"{package} is not installed as files; reinstall it unzipped")
    return resource
