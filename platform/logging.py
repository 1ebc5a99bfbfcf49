"""Log setup: structlog, JSON lines in production, readable lines for people; the same for
every process (`compound serve`, `worker`, `smtp`, their children)."""

from __future__ import annotations

import logging

import structlog

from compound.platform.config import Settings
from compound.platform.redaction import redact_urls

# Libraries that log every step at INFO. The HTTP clients (httpx, httpcore, their
# successors httpx2/httpcore2, and openai's own logger) log each request's full URL, and the
# model endpoint's URL may carry a key: at WARNING they only report failures.
QUIET_LOGGERS = (
    "pgserver",
    "sentence_transformers",
    "transformers",
    "httpx",
    "httpx2",
    "httpcore",
    "httpcore2",
    "openai",
)


def _redact_credentials(
    _logger: object, _method: str, event_dict: structlog.typing.EventDict
) -> structlog.typing.EventDict:
    """Whatever logs a URL (ours or a library's, at any level), not its credentials."""
    for key, value in event_dict.items():
        if isinstance(value, str) and "://" in value:
            event_dict[key] = redact_urls(value)
    return event_dict


def configure_logging(settings: Settings) -> None:
    level = getattr(logging, settings.log_level.upper())
    renderer: structlog.typing.Processor = (
        structlog.processors.JSONRenderer()
        if settings.log_format == "json"
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    shared: list[structlog.typing.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        _redact_credentials,
    ]
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler()
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(foreign_pre_chain=shared, processor=renderer)
    )
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(level)
    for noisy in QUIET_LOGGERS:
        logging.getLogger(noisy).setLevel(max(level, logging.WARNING))
