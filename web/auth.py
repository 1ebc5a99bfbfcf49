"""Who is calling: the bearer token of an HTTP request, checked against the stored hashes."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.exceptions import NotAuthorizedException
from sqlalchemy.ext.asyncio import AsyncSession

from compound.platform.auth.actor import Actor
from compound.platform.auth.service import authenticate_token
from compound.platform.errors import NotAuthenticated


def bearer_token(request: Request[Any, Any, Any]) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, credentials = header.partition(" ")
    if not header:
        raise NotAuthorizedException(
            detail="missing API token: send `Authorization: Bearer <token>`"
        )
    if scheme.lower() != "bearer" or not credentials.strip():
        raise NotAuthorizedException(detail="the Authorization header must be `Bearer <token>`")
    return credentials.strip()


async def request_actor(session: AsyncSession, request: Request[Any, Any, Any]) -> Actor:
    """The request's Actor, or HTTP 401 naming what is wrong with its token."""
    secret = bearer_token(request)
    try:
        return await authenticate_token(session, secret)
    except NotAuthenticated as error:
        raise NotAuthorizedException(detail=error.message) from None
