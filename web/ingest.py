"""`POST /ingest/email`: raw MIME (message/rfc822) handed in over HTTP by a token with the
`ingest` scope — for mail providers that forward inbound mail to a webhook."""

from __future__ import annotations

import logging
from typing import Any

from litestar import Request, Response, post
from litestar.exceptions import (
    ClientException,
    HTTPException,
    PermissionDeniedException,
    ServiceUnavailableException,
)
from litestar.handlers import HTTPRouteHandler

from compound.platform.auth.actor import Actor
from compound.platform.auth.service import mail_provider_of
from compound.platform.config import Settings
from compound.platform.database import DATABASE_UNAVAILABLE, Database
from compound.platform.email.ingest import Envelope, ingest_raw
from compound.platform.email.models import Channel
from compound.platform.errors import TooLong, ValidationFailed
from compound.web.auth import request_actor
from compound.web.rate_limit import rate_limited_per_token

logger = logging.getLogger(__name__)

MEDIA_TYPE = "message/rfc822"
RETRY_AFTER_SECONDS = 30


class PayloadTooLarge(HTTPException):
    status_code = 413


class UnsupportedMediaType(HTTPException):
    status_code = 415


def _unavailable() -> ServiceUnavailableException:
    # Nothing was stored; the provider keeps the message and retries.
    return ServiceUnavailableException(
        detail="the database is unavailable; nothing was stored, try again later",
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


def _media_type(request: Request[Any, Any, Any]) -> str:
    return request.headers.get("content-type", "").split(";", 1)[0].strip().lower()


async def _ingest_actor(
    database: Database, request: Request[Any, Any, Any]
) -> tuple[Actor, str | None]:
    """The token's actor and the mail provider it vouches with (or None)."""
    try:
        async with database.session() as session:
            actor = await request_actor(session, request)
            provider = await mail_provider_of(session, actor)
    except DATABASE_UNAVAILABLE as error:
        logger.warning("ingest: database unavailable while authenticating: %s", error)
        raise _unavailable() from None
    if not actor.has_scope("ingest"):
        raise PermissionDeniedException(
            detail="POST /ingest/email needs a token with the 'ingest' scope; this one has: "
            + (", ".join(sorted(actor.scopes)) or "none")
        )
    return actor, provider


def ingest_email_route(settings: Settings) -> HTTPRouteHandler:
    """The route, with the body limit of these settings (Litestar answers 413 past it)."""

    @post(
        "/ingest/email",
        guards=[rate_limited_per_token],
        request_max_body_size=settings.mail_max_bytes,
        status_code=202,
        summary="Take in one raw email (message/rfc822)",
    )
    async def ingest_email(request: Request[Any, Any, Any]) -> Response[dict[str, Any]]:
        """202 {"id", "duplicate": false} once stored with its processing job; 200 with
        `duplicate: true` and the first copy's id when the same message was already stored."""
        database: Database = request.app.state.database
        actor, provider = await _ingest_actor(database, request)
        media_type = _media_type(request)
        if media_type != MEDIA_TYPE:
            raise UnsupportedMediaType(
                detail=f"send the raw message as Content-Type: {MEDIA_TYPE}, "
                f"not {media_type or 'no Content-Type'!r}"
            )
        # Read before a database connection is taken: a slow upload must not hold one.
        raw = await request.body()
        envelope = Envelope(
            channel=Channel.HTTP,
            peer=request.client.host if request.client else None,
            submitted_by=actor.label,
            # The token proves which provider forwarded the mail, not who wrote it; only the
            # provider's own topmost Authentication-Results, under the id the token names,
            # speak for the sender. A token that names none vouches for nobody.
            trusted_authserv_id=provider,
        )
        try:
            async with database.session() as session:
                ingested = await ingest_raw(
                    session, raw, envelope, max_bytes=settings.mail_max_bytes
                )
        except TooLong as error:
            raise PayloadTooLarge(detail=error.message) from None
        except ValidationFailed as error:
            raise ClientException(detail=error.message) from None
        except DATABASE_UNAVAILABLE as error:
            logger.warning("ingest: database unavailable while storing: %s", error)
            raise _unavailable() from None
        return Response(
            {"id": str(ingested.message_id), "duplicate": ingested.duplicate},
            status_code=200 if ingested.duplicate else 202,
        )

    return ingest_email
