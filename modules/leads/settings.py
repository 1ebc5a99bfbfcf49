"""The leads module's settings, read from `COMPOUND_LEADS_<NAME>`."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, field_validator
from pydantic_settings import NoDecode, SettingsConfigDict

from compound.platform.modules import ModuleSettings


class LeadsSettings(ModuleSettings):
    model_config = SettingsConfigDict(env_prefix="COMPOUND_LEADS_")

    batch_size: int = Field(default=50, ge=1, le=1000)
    """Research runs started at once for one list; a longer list goes in batches of this."""

    lookup: Literal["directory", "http", "none"] = "directory"
    """How research runs find a website the email did not give: a local company directory
    (offline, tests), the web over HTTP, or not at all."""

    directory_path: Path | None = None
    """The company directory for the `directory` lookup: a .csv or .json file of
    name, domain, description (and optional aliases)."""

    http_url_template: str = "https://{domain}/"
    """Where the `http` lookup fetches a candidate domain's home page ({domain} is filled in)."""

    http_timeout_seconds: float = Field(default=5.0, gt=0, le=60)
    """Per page fetched by the `http` lookup."""

    http_max_bytes: int = Field(default=512 * 1024, ge=1024, le=10 * 1024 * 1024)
    """Most of a home page the `http` lookup reads; the rest is ignored."""

    http_tlds: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: ["com", "io", "ai", "co", "app", "dev"]
    )
    """Top-level domains the `http` lookup tries for a name (comma-separated)."""

    @field_validator("http_tlds", mode="before")
    @classmethod
    def _tld_list(cls, value: object) -> object:
        if isinstance(value, str):
            value = [part.strip().lower().lstrip(".") for part in value.split(",") if part.strip()]
        if isinstance(value, list):
            for item in value:
                if not re.fullmatch(r"[a-z]{2,24}", str(item)):
                    raise ValueError(f"{item!r} is not a top-level domain")
        return value

    @field_validator("http_url_template")
    @classmethod
    def _url_template(cls, value: str) -> str:
        if "{domain}" not in value or not value.startswith(("http://", "https://")):
            raise ValueError(
                "COMPOUND_LEADS_HTTP_URL_TEMPLATE must be an http(s) URL containing {domain}"
            )
        return value


@lru_cache(maxsize=1)
def get_leads_settings() -> LeadsSettings:
    return LeadsSettings()
