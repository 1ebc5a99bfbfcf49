"""The leads module's settings: its own class, read from COMPOUND_LEADS_…, refused by name."""

from __future__ import annotations

import os
import subprocess

import pytest
from pydantic import ValidationError

from compound.modules.leads.settings import LeadsSettings
from tests.conftest import REPOSITORY_ROOT, compound_command


def test_leads_settings_are_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COMPOUND_LEADS_LOOKUP", "http")
    monkeypatch.setenv("COMPOUND_LEADS_HTTP_TLDS", "com, .IO,ai")
    monkeypatch.setenv("COMPOUND_LEADS_HTTP_URL_TEMPLATE", "http://127.0.0.1:9/{domain}/")
    monkeypatch.setenv("COMPOUND_LEADS_BATCH_SIZE", "7")
    settings = LeadsSettings(_env_file=None)  # type: ignore[call-arg]
    assert settings.lookup == "http"
    assert settings.http_tlds == ["com", "io", "ai"]
    assert settings.http_url_template == "http://127.0.0.1:9/{domain}/"
    assert settings.batch_size == 7


@pytest.mark.parametrize(
    ("variable", "value", "problem"),
    [
        ("COMPOUND_LEADS_HTTP_TLDS", "com,not a tld", "is not a top-level domain"),
        ("COMPOUND_LEADS_HTTP_URL_TEMPLATE", "ftp://{domain}/", "must be an http(s) URL"),
        ("COMPOUND_LEADS_BATCH_SIZE", "0", "greater than or equal to 1"),
        ("COMPOUND_LEADS_LOOKUP", "carrier-pigeon", "'directory', 'http' or 'none'"),
    ],
)
def test_a_bad_leads_setting_stops_the_command_and_names_its_variable(
    variable: str, value: str, problem: str
) -> None:
    env = {**os.environ, variable: value}
    refused = subprocess.run(
        compound_command("db", "current"),
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPOSITORY_ROOT,
        check=False,
    )
    assert refused.returncode == 2
    assert f"invalid settings: {variable}: " in refused.stderr and problem in refused.stderr
    assert "Traceback" not in refused.stderr


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("COMPOUND_LEADS_LOOKUP", "google"),
        ("COMPOUND_LEADS_BATCH_SIZE", "0"),
        ("COMPOUND_LEADS_HTTP_URL_TEMPLATE", "https://example.com/"),
        ("COMPOUND_LEADS_HTTP_URL_TEMPLATE", "file:///etc/{domain}"),
        ("COMPOUND_LEADS_HTTP_TLDS", "com,.i o"),
        ("COMPOUND_LEADS_HTTP_MAX_BYTES", "100"),
        ("COMPOUND_LEADS_HTTP_TIMEOUT_SECONDS", "-1"),
    ],
)
def test_a_bad_leads_setting_names_its_field(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError) as raised:
        LeadsSettings(_env_file=None)  # type: ignore[call-arg]
    assert name.removeprefix("COMPOUND_LEADS_").lower() in str(raised.value)
