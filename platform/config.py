"""The one Settings object: every knob Compound reads from the environment (prefix COMPOUND_)."""

from __future__ import annotations

import ipaddress
import re
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict, SettingsError


class ModelPrice(BaseModel):
    """What a model costs, in USD per million tokens."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    input: float = Field(ge=0, le=10_000)
    output: float = Field(ge=0, le=10_000)


class Settings(BaseSettings):
    """Compound's settings, grouped by concern; each is read from `COMPOUND_<NAME>`."""

    model_config = SettingsConfigDict(
        env_prefix="COMPOUND_",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        use_attribute_docstrings=True,
    )

    # --- storage -------------------------------------------------------------------
    data_dir: Path = Path("var")
    """Folder for everything the embedded defaults write: Postgres data, files, screenshots."""

    database_url: SecretStr | None = None
    """External Postgres 16+ with pgvector (postgresql+psycopg://…); unset = embedded Postgres."""

    database_pool_size: int = Field(default=10, ge=1, le=200)
    """Connections kept open per process."""

    # --- web -----------------------------------------------------------------------
    host: str = "127.0.0.1"
    """Interface the web server binds to."""

    port: int = Field(default=8000, ge=1, le=65535)
    """Port the web server listens on."""

    web_workers: int = Field(default=1, ge=1, le=64)
    """Web server processes started by `compound serve` and `compound up`."""

    public_url: str | None = None
    """Address people use to reach this instance; defaults to http://<host>:<port>."""

    # --- sign-in -------------------------------------------------------------------
    session_max_age_days: float = Field(default=7.0, gt=0, le=365)
    """Days a browser session lasts from sign-in however active it is; then sign in again."""

    password_failures_per_minute: int = Field(default=60, ge=1, le=100_000)
    """Wrong passwords (web and SMTP, all addresses together) one process takes per minute."""

    # --- background jobs -----------------------------------------------------------
    queue_lease_seconds: float = Field(default=30.0, gt=0.5, le=3600)
    """Seconds a claimed job stays with a worker unrenewed; a dead worker's jobs then rerun."""

    queue_retention_days: float = Field(default=7.0, gt=0, le=3650)
    """Days a finished job is kept; dead letters are kept until retried."""

    worker_threads: int = Field(default=4, ge=1, le=64)
    """Threads per `compound worker` process, each with its own event loop."""

    worker_processes: int = Field(default=1, ge=1, le=32)
    """Processes started by `compound worker` and `compound up`."""

    broker_url: SecretStr | None = None
    """Unset = Postgres broker in the database; redis://host:port/db = dramatiq's Redis broker."""

    # --- email ---------------------------------------------------------------------
    mail_domains: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: ["compound.localhost"]
    )
    """Recipient domains Compound accepts mail for (comma-separated); anything else gets 550."""

    internal_domains: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: ["compound.localhost"]
    )
    """Sender domains that are colleagues (comma-separated), when the sender is authenticated."""

    smtp_host: str = "127.0.0.1"
    """Interface `compound smtp` listens on."""

    smtp_port: int = Field(default=2525, ge=1, le=65535)
    """Port `compound smtp` listens on."""

    smtp_tls_certificate: Path | None = None
    """PEM certificate for STARTTLS on the SMTP listener; unset = no STARTTLS."""

    smtp_tls_key: Path | None = None
    """PEM private key for the certificate."""

    mail_max_bytes: int = Field(default=25 * 1024 * 1024, ge=1024, le=200 * 1024 * 1024)
    """Largest message accepted (SMTP answers 552, HTTP 413)."""

    mail_max_parts: int = Field(default=500, ge=10, le=1_000_000)
    """MIME parts read from one message (the root and every nested part count); the rest
    stay only in the raw message, and the message says so."""

    mail_trusted_relays: Annotated[list[str], NoDecode] = Field(default_factory=list)
    """Networks (comma-separated CIDR) of the relays an operator set up in front of
    `compound smtp`: only their topmost Authentication-Results (with our server id) are
    believed. None by default: mail from anywhere, loopback too, vouches for nobody."""

    mail_authserv_id: str = "compound.localhost"
    """Our server id: only Authentication-Results headers carrying it are believed."""

    mail_check_dns: bool = False
    """Verify DKIM signatures (dkimpy) and DMARC alignment through DNS for mail that has
    no trusted Authentication-Results; off where DNS is unreachable (results: unknown)."""

    mail_dns_timeout_seconds: float = Field(default=2.0, gt=0, le=30)
    """Per lookup, when `mail_check_dns` is on."""

    outbound_smtp_host: str = "127.0.0.1"
    """Relay for outgoing mail (replies to requesters)."""

    outbound_smtp_port: int = Field(default=2526, ge=1, le=65535)
    """Port of the outgoing relay; `compound up` runs a local sink there that keeps what is sent."""

    outbound_smtp_username: str | None = None
    """Login for the outgoing relay, if it needs one."""

    outbound_smtp_password: SecretStr | None = None
    """Password for the outgoing relay."""

    outbound_smtp_starttls: bool = False
    """Upgrade the outgoing connection with STARTTLS."""

    mail_from_address: str = "compound@compound.localhost"
    """The From address of mail Compound sends."""

    mail_max_reply_recipients: int = Field(default=5, ge=1, le=50)
    """Most addresses one reply may go to; an approval naming more is refused at the field."""

    # --- GraphQL limits ------------------------------------------------------------
    graphql_max_page_size: int = Field(default=100, ge=1, le=1000)
    """Largest `first` a connection accepts."""

    graphql_max_depth: int = Field(default=10, ge=2, le=50)
    """Deepest selection nesting a query may have."""

    graphql_max_aliases: int = Field(default=15, ge=1, le=500)
    """Most field aliases one document may use."""

    graphql_max_tokens: int = Field(default=2000, ge=100, le=100_000)
    """Most lexical tokens one document may have."""

    graphql_max_cost: int = Field(default=50_000, ge=100, le=100_000_000)
    """Highest cost one operation may have (each list counts its `first` or cap × its items)."""

    api_requests_per_second: float = Field(default=20.0, gt=0, le=100_000)
    """Requests per second one API token may make to /graphql and /ingest/email, sustained."""

    api_request_burst: int = Field(default=60, ge=1, le=1_000_000)
    """Requests one API token may make at once above that rate before getting HTTP 429."""

    # --- embeddings and search ---------------------------------------------------
    embeddings_provider: Literal["local", "openai"] = "local"
    """`local` runs all-MiniLM-L6-v2 in-process; `openai` calls text-embedding-3-small."""

    openai_base_url: SecretStr | None = None
    """OpenAI-compatible endpoint for model calls; unset = agents run offline engines."""

    openai_api_key: SecretStr | None = None
    """API key for the OpenAI-compatible endpoint."""

    openai_embeddings_model: str = "text-embedding-3-small"
    """Embedding model used when embeddings_provider is `openai` (asked for 384 dimensions)."""

    llm_model_fast: str = "gpt-4o-mini"
    """Model behind the `fast` tier (agents may name their own)."""

    llm_model_smart: str = "gpt-4o"
    """Model behind the `smart` tier; `fast` escalates here when its output fails twice."""

    llm_timeout_seconds: float = Field(default=60.0, gt=0, le=900)
    """Hard limit on one model call attempt; past it the call is abandoned and retried."""

    llm_max_attempts: int = Field(default=3, ge=1, le=10)
    """Attempts per model call on 429, 5xx, timeouts and connection errors."""

    llm_retry_base_seconds: float = Field(default=1.0, ge=0, le=60)
    """First backoff between attempts; doubles each time, with jitter, capped at 30 s."""

    llm_prices: dict[str, ModelPrice] = Field(
        default_factory=lambda: {
            "gpt-4o-mini": ModelPrice(input=0.15, output=0.60),
            "gpt-4o": ModelPrice(input=2.50, output=10.00),
        }
    )
    """USD per million prompt (input) and completion (output) tokens, per model, as JSON."""

    search_ef_search: int = Field(default=100, ge=10, le=1000)
    """HNSW candidate list size per search: higher finds more true neighbours, slower."""

    # --- modules -----------------------------------------------------------------
    modules: Annotated[list[str] | None, NoDecode] = None
    """The business modules this instance runs, comma-separated (empty: none, the substrate
    alone; unset: every module found). Each module reads its own `COMPOUND_<MODULE>_…`."""

    # --- logging -------------------------------------------------------------------
    log_format: Literal["console", "json"] = "console"
    """`json` for production log shipping, `console` for people."""

    log_level: Literal["debug", "info", "warning", "error"] = "info"
    """Lowest level written to the log."""

    # URLs that can carry a password (user:password@, ?api-key=) are SecretStr, so that no
    # repr or dump of the settings shows them; whatever prints one prints
    # `compound.platform.redaction.redact_url` of it.
    @field_validator("database_url", mode="before")
    @classmethod
    def _database_url_uses_psycopg(cls, given: object) -> str | None:
        value = _secret_text(given)
        if value is None:
            return None
        if value.startswith(("postgresql://", "postgres://")):
            # People paste libpq URLs; SQLAlchemy needs the driver named.
            return "postgresql+psycopg://" + value.split("://", 1)[1]
        if not value.startswith("postgresql+psycopg://"):
            raise ValueError(
                "COMPOUND_DATABASE_URL must start with postgresql+psycopg:// (or postgresql://)"
            )
        return value

    @field_validator("mail_domains", "internal_domains", mode="before")
    @classmethod
    def _domain_list(cls, value: object) -> object:
        if isinstance(value, str):
            value = [part for part in value.replace(";", ",").split(",") if part.strip()]
        if isinstance(value, list):
            return [_plain_domain(str(item)) for item in value]
        return value

    @field_validator("modules", mode="before")
    @classmethod
    def _module_names(cls, value: object) -> object:
        if isinstance(value, str):
            value = [part.strip() for part in value.split(",") if part.strip()]
        if isinstance(value, list):
            for item in value:
                if not re.fullmatch(r"[a-z][a-z0-9_]{0,39}", str(item)):
                    raise ValueError(
                        f"{item!r} is not a module name (lower-case letters, digits, _)"
                    )
            if len(set(value)) != len(value):
                raise ValueError("a module is named twice")
        return value

    @field_validator("mail_trusted_relays", mode="before")
    @classmethod
    def _networks(cls, value: object) -> object:
        if isinstance(value, str):
            value = [part.strip() for part in value.split(",") if part.strip()]
        if isinstance(value, list):
            for item in value:
                ipaddress.ip_network(str(item), strict=False)  # ValueError names the bad one
        return value

    @field_validator("broker_url", mode="before")
    @classmethod
    def _broker_url_is_redis(cls, given: object) -> str | None:
        value = _secret_text(given)
        if value is None:
            return None
        if not value.startswith(("redis://", "rediss://")):
            # The value is left out of the message: a broker URL may carry a password.
            raise ValueError(
                "COMPOUND_BROKER_URL must be a redis:// or rediss:// URL"
                " (or unset for the Postgres broker)"
            )
        return value

    @field_validator("openai_base_url", mode="before")
    @classmethod
    def _unset_when_empty(cls, given: object) -> str | None:
        return _secret_text(given)

    @property
    def pgdata_dir(self) -> Path:
        return self.data_dir / "pgdata"

    @property
    def base_url(self) -> str:
        return self.public_url or f"http://{self.host}:{self.port}"


def _secret_text(value: object) -> str | None:
    """A secret setting's text; None when unset or blank."""
    if isinstance(value, SecretStr):
        value = value.get_secret_value()
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if not isinstance(value, str):
        raise ValueError("must be text")
    return value.strip()


def _plain_domain(value: str) -> str:
    domain = value.strip().lower().rstrip(".")
    if not domain or not re.fullmatch(r"[a-z0-9](?:[a-z0-9.-]{0,251}[a-z0-9])?", domain):
        raise ValueError(f"{value!r} is not a domain name")
    return domain


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()


def settings_problem(error: ValidationError | SettingsError, prefix: str = "COMPOUND_") -> str:
    """What is wrong with the environment, naming each variable (`prefix` + field)."""
    if isinstance(error, SettingsError):
        # pydantic-settings could not even parse the value (bad JSON for a structured one).
        match = re.search(r'field "(\w+)"', str(error))
        name = f"{prefix}{match.group(1).upper()}" if match else f"a {prefix} variable"
        return f"invalid settings: {name}: not valid JSON for this setting"
    problems = []
    for detail in error.errors():
        name = prefix + "_".join(str(part) for part in detail["loc"]).upper()
        problems.append(f"{name}: {detail['msg']}")
    return "invalid settings: " + "; ".join(problems)
