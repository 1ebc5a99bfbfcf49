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
    assert settings.database_url is not None
    assert (
        settings.database_url.get_secret_value() == "postgresql+psycopg://crm@db.internal/compound"
    )


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


def test_the_installed_modules_are_a_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COMPOUND_MODULES", " leads , support")
    assert Settings(_env_file=None).modules == ["leads", "support"]  # type: ignore[call-arg]
    monkeypatch.setenv("COMPOUND_MODULES", "")
    assert Settings(_env_file=None).modules == []  # type: ignore[call-arg]
    monkeypatch.delenv("COMPOUND_MODULES")
    assert Settings(_env_file=None).modules is None  # type: ignore[call-arg]
    for bad, problem in (
        ("Leads", "not a module name"),
        ("leads,leads", "named twice"),
        ("../x", "not a module name"),
    ):
        monkeypatch.setenv("COMPOUND_MODULES", bad)
        with pytest.raises(ValidationError, match=problem):
            Settings(_env_file=None)  # type: ignore[call-arg]


def test_urls_that_can_carry_passwords_never_show_in_the_settings(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("COMPOUND_DATABASE_URL", "postgresql://crm:db-pw@db.internal/compound")
    monkeypatch.setenv("COMPOUND_BROKER_URL", "redis://:redis-pw@cache.internal:6379/0")
    monkeypatch.setenv("COMPOUND_OPENAI_BASE_URL", "https://u:llm-pw@llm.internal/v1?key=llm-key")
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    shown = repr(settings) + str(settings.model_dump()) + settings.model_dump_json()
    for secret in ("db-pw", "redis-pw", "llm-pw", "llm-key"):
        assert secret not in shown, secret
    assert settings.openai_base_url is not None
    assert settings.openai_base_url.get_secret_value().endswith("?key=llm-key")


def test_blank_secret_urls_are_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("COMPOUND_DATABASE_URL", "COMPOUND_BROKER_URL", "COMPOUND_OPENAI_BASE_URL"):
        monkeypatch.setenv(name, "  ")
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert (settings.database_url, settings.broker_url, settings.openai_base_url) == (None,) * 3


def test_mime_parts_per_message_default_to_500(monkeypatch: pytest.MonkeyPatch) -> None:
    assert Settings(_env_file=None).mail_max_parts == 500  # type: ignore[call-arg]
    monkeypatch.setenv("COMPOUND_MAIL_MAX_PARTS", "5")
    with pytest.raises(ValidationError, match="mail_max_parts"):
        Settings(_env_file=None)  # type: ignore[call-arg]
