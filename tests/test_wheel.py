"""Compound installs like any other package: a wheel built from this tree, installed into a
fresh virtual environment outside the repository, migrates a fresh embedded Postgres,
serves its pages and GraphQL, and runs its worker, from a directory of its own.

The new environment reuses the packages already installed here (no network): a `.pth`
line puts this environment's site-packages after its own, where nothing named `compound`
lies (this checkout is installed editable, through a finder that the line does not run)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import time
import venv
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.conftest import REPOSITORY_ROOT, free_port

EMAIL = "wheel-admin@compound.localhost"


@dataclass(frozen=True)
class Installed:
    python: Path
    compound: Path
    home: Path
    env: dict[str, str]

    def run(self, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(self.compound), *args],
            env=self.env,
            cwd=self.home,
            capture_output=True,
            text=True,
            timeout=300,
            input=stdin,
            check=False,
        )

    def start(self, *args: str, log: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [str(self.compound), *args],
            env=self.env,
            cwd=self.home,
            stdout=(self.home / log).open("w"),
            stderr=subprocess.STDOUT,
            text=True,
        )


def _source_tree(into: Path) -> Path:
    """The files a checkout has (tracked or new, not ignored), and htmx (fetched at install):
    a build from the working folder would also pack whatever an earlier build left in build/."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=REPOSITORY_ROOT, capture_output=True, check=True,
    ).stdout.decode().split("\0")  # fmt: skip
    vendored = [
        str(path.relative_to(REPOSITORY_ROOT))
        for path in (REPOSITORY_ROOT / "web" / "static" / "vendor").glob("*")
    ]
    for name in [*listed, *vendored]:
        source = REPOSITORY_ROOT / name
        if name and source.is_file() and not name.startswith("tests/"):
            (into / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, into / name)
    return into


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    root = tmp_path_factory.mktemp("wheel")
    source = _source_tree(root / "source")
    wheels = root / "dist"
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(source), "--no-deps",
         "--no-build-isolation", "--no-index", "--quiet", "--wheel-dir", str(wheels)],
        capture_output=True, text=True, timeout=300, check=False, cwd=root,
    )  # fmt: skip
    assert built.returncode == 0, built.stderr
    [wheel] = wheels.glob("compound-*.whl")
    environment = root / "venv"
    venv.create(environment, with_pip=True)
    python = environment / "bin" / "python"
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    here = sysconfig.get_paths()["purelib"]
    (Path(purelib) / "reuse-installed.pth").write_text(here + "\n")
    installing = subprocess.run(
        [str(python), "-m", "pip", "install", "--no-deps", "--no-index", "--quiet", str(wheel)],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert installing.returncode == 0, installing.stderr
    home = root / "elsewhere"
    home.mkdir()
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("COMPOUND_") and key != "PYTHONPATH"
    }
    env |= {"COMPOUND_DATA_DIR": str(home / "data"), "HF_HUB_OFFLINE": "1"}
    return Installed(python=python, compound=environment / "bin" / "compound", home=home, env=env)


def test_the_wheel_holds_the_whole_package(installed: Installed) -> None:
    where = subprocess.run(
        [str(installed.python), "-c",
         "import compound.web, compound.modules.leads.api as api; "
         "print(compound.web.__file__); print(api.MODULE.templates); print(api.MODULE.migrations)"],
        capture_output=True, text=True, cwd=installed.home, env=installed.env, check=False,
    )  # fmt: skip
    assert where.returncode == 0, where.stderr
    web, templates, migrations = where.stdout.split()
    environment = str(installed.python.parent.parent)
    assert web.startswith(environment) and not web.startswith(str(REPOSITORY_ROOT))
    assert (Path(templates) / "leads" / "board.html").is_file()
    assert (Path(migrations) / "0008_leads.py").is_file()


def test_the_installed_package_migrates_serves_and_works(installed: Installed) -> None:
    upgraded = installed.run("db", "upgrade")
    assert upgraded.returncode == 0, upgraded.stdout + upgraded.stderr
    assert "database is at migration 0013, 0015" in upgraded.stdout
    created = installed.run(
        "user", "create", "--email", EMAIL, "--role", "admin", "--password-stdin",
        stdin="a long enough password\n",
    )  # fmt: skip
    assert created.returncode == 0, created.stderr
    token = installed.run("token", "create", "--user", EMAIL, "--scopes", "read,write")
    assert token.returncode == 0, token.stderr
    secret = token.stdout.strip().splitlines()[-1]
    port = free_port()
    server = installed.start("serve", "--port", str(port), log="serve.log")
    worker = installed.start("worker", "--processes", "1", "--threads", "2", log="worker.log")
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(base, server, installed.home / "serve.log")
        page = httpx.get(f"{base}/sign-in", timeout=10)
        assert page.status_code == 200 and "Sign in" in page.text  # a template from the wheel
        assert httpx.get(f"{base}/static/app.css", timeout=10).status_code == 200
        headers = {"Authorization": f"Bearer {secret}"}
        started = httpx.post(
            f"{base}/graphql",
            headers=headers,
            json={"query": 'mutation { importCompanyList(text: "Wheelwright Labs (wheelwright.io) — '
                  'developer tools for teams", title: "from the wheel") '
                  "{ leadImport { id } userErrors { message } } }"},
            timeout=30,
        ).json()  # fmt: skip
        assert started["data"]["importCompanyList"]["userErrors"] == [], started
        import_id = started["data"]["importCompanyList"]["leadImport"]["id"]
        # The worker, also from the wheel, runs the import to its end.
        deadline = time.monotonic() + 180
        state = None
        while time.monotonic() < deadline and state != "DONE":
            answer = httpx.post(
                f"{base}/graphql",
                headers=headers,
                json={"query": "query($id: ID!) { leadImport(id: $id) { state found } }",
                      "variables": {"id": import_id}},
                timeout=30,
            ).json()  # fmt: skip
            state = answer["data"]["leadImport"]["state"]
            time.sleep(1)
        assert state == "DONE", (installed.home / "worker.log").read_text()[-3000:]
    finally:
        for process in (server, worker):
            process.terminate()
        for process in (server, worker):
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
    current = installed.run("db", "current")
    assert current.returncode == 0, current.stdout


def _wait_healthy(base: str, server: subprocess.Popen[str], log: Path) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise AssertionError(f"compound serve exited:\n{log.read_text()}")
        try:
            if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise AssertionError(f"compound serve was not healthy in 90 s:\n{log.read_text()}")
