"""The rate limit per API token on /graphql and /ingest/email: a Litestar guard that answers
HTTP 429 with `Retry-After` before the token is even looked up (so a flood costs no
database work), from one token bucket per token in this process."""

from __future__ import annotations

import hashlib
import math
from typing import Any

from litestar.connection import ASGIConnection
from litestar.exceptions import TooManyRequestsException
from litestar.handlers.base import BaseRouteHandler

from compound.platform.config import Settings
from compound.platform.rate_limit import RateLimiter

STATE_KEY = "token_rate_limiter"


def token_rate_limiter(connection: ASGIConnection[Any, Any, Any, Any]) -> RateLimiter:
    """The app's limiter, made on first use from its settings (one per app, so per process)."""
    state = connection.app.state
    limiter: RateLimiter | None = getattr(state, STATE_KEY, None)
    if limiter is None:
        settings: Settings = state.settings
        limiter = RateLimiter(settings.api_requests_per_second, settings.api_request_burst)
        setattr(state, STATE_KEY, limiter)
    return limiter


def rate_limited_per_token(
    connection: ASGIConnection[Any, Any, Any, Any], route_handler: BaseRouteHandler
) -> None:
    """Guard: one token of the bearer token's bucket per request, or 429. A request without
    a bearer token goes on, to the 401 that names what is missing."""
    scheme, _, credentials = connection.headers.get("authorization", "").partition(" ")
    secret = credentials.strip()
    if scheme.lower() != "bearer" or not secret:
        return
    # Keyed by a hash: the process keeps no secret longer than the request does.
    limiter = token_rate_limiter(connection)
    wait = limiter.take(hashlib.sha256(secret.encode()).hexdigest())
    if wait > 0:
        retry_after = max(1, math.ceil(wait))
        raise TooManyRequestsException(
            detail=f"rate limit exceeded: a token may make {limiter.per_second:g} requests "
            f"per second, in bursts of up to {limiter.burst} (COMPOUND_API_REQUESTS_PER_SECOND, "
            f"COMPOUND_API_REQUEST_BURST); retry after {retry_after} s",
            headers={"Retry-After": str(retry_after)},
        )
