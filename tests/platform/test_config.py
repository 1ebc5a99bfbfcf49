"""Settings come from COMPOUND_* variables; a bad value is an error that names the setting."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

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
    ],
)
def test_bad_setting_names_the_setting(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError) as raised:
        Settings(_env_file=None)  # type: ignore[call-arg]
    field = name.removeprefix("COMPOUND_").lower()
    assert field in str(raised.value)
