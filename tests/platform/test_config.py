"""Settings come from COMPOUND_* variables; a bad value is an error that names the setting."""

from __future__ import annotations

import pytest
from pydantic import ValidationError
from pydantic_settings import SettingsError

from compound.platform.config import Settings


def test_defaults_use_the_embedded_database_under_var(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("COMPOUND_DATABASE_URL", raising=False)
    monkeypatch.delenv("COMPOUND_DATA_DIR", raising=False)
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.database_url is None
    assert str(settings.pgdata_dir) == "var/pgdata"
    assert settings.graphql_max_page_size == 100


def test_a_libpq_url_gets_the_psycopg_driver(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COMPOUND_DATABASE_URL", "postgresql://crm@db.internal/compound")
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.database_url == "postgresql+psycopg://crm@db.internal/compound"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("COMPOUND_DATABASE_URL", "mysql://root@localhost/crm"),
        ("COMPOUND_PORT", "eighty"),
        ("COMPOUND_PORT", "70000"),
        ("COMPOUND_GRAPHQL_MAX_PAGE_SIZE", "0"),
        ("COMPOUND_EMBEDDINGS_PROVIDER", "word2vec"),
        ("COMPOUND_LOG_FORMAT", "xml"),
        ("COMPOUND_LLM_TIMEOUT_SECONDS", "0"),
        ("COMPOUND_LLM_MAX_ATTEMPTS", "100"),
        ("COMPOUND_LLM_PRICES", "{not json"),
        ("COMPOUND_LLM_PRICES", '{"gpt-4o": {"input": -1, "output": 2}}'),
        ("COMPOUND_LLM_PRICES", '{"gpt-4o": {"input": 1, "output": 2, "cached": 0.5}}'),
        ("COMPOUND_LLM_PRICES", '["gpt-4o"]'),
    ],
)
def test_bad_setting_names_the_setting(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    # Unparseable JSON is a SettingsError; the CLI names the variable for both kinds.
    with pytest.raises((ValidationError, SettingsError)) as raised:
        Settings(_env_file=None)  # type: ignore[call-arg]
    field = name.removeprefix("COMPOUND_").lower()
    assert field in str(raised.value)


def test_model_prices_and_tiers_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COMPOUND_LLM_MODEL_FAST", "llama3.1:8b")
    monkeypatch.setenv("COMPOUND_LLM_PRICES", '{"llama3.1:8b": {"input": 0, "output": 0.1}}')
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.llm_model_fast == "llama3.1:8b"
    assert settings.llm_prices["llama3.1:8b"].output == 0.1
