"""The openai client for the configured endpoint, its base URL's query passed the way the
client can send it."""

from __future__ import annotations

from urllib.parse import parse_qsl

from openai import AsyncOpenAI
from pydantic import SecretStr


def split_query(base_url: str) -> tuple[str, dict[str, str]]:
    """The base URL without its query and fragment, and the query's parameters.

    The client appends paths to the base URL as text: `…/v1?api-key=k` became
    `…/v1/?api-key=kchat/completions`. Some gateways take their key as a query
    parameter, so it is sent as a default query parameter of every request instead.
    """
    address, _, query = base_url.partition("#")[0].partition("?")
    return address, dict(parse_qsl(query, keep_blank_values=True))


def openai_client(
    base_url: SecretStr | str | None, api_key: str, *, timeout: float, max_retries: int
) -> AsyncOpenAI:
    """A client for `base_url` (None: OpenAI's own API). A user:password@ in it stays in the
    URL, where httpx turns it into Basic authentication."""
    text = base_url.get_secret_value() if isinstance(base_url, SecretStr) else base_url
    address, query = split_query(text) if text else (None, {})
    return AsyncOpenAI(
        base_url=address,
        api_key=api_key,
        default_query=query or None,
        timeout=timeout,
        max_retries=max_retries,
    )
