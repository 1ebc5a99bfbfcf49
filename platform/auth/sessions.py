"""Signing in from a browser: a password checked with argon2 (and the lock-out every way in
shares, `lockout.py`), a server-side session whose cookie secret is stored hashed, which
ends when idle or, however active, a set time after sign-in, and a CSRF token per session."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from compound.platform.auth.actor import Actor
from compound.platform.auth.lockout import EMAIL_MAX as EMAIL_MAX  # the sign-in form's limit
from compound.platform.auth.lockout import FAILURES_BEFORE_LOCK as FAILURES_BEFORE_LOCK
from compound.platform.auth.lockout import LOCK_DURATION as LOCK_DURATION
from compound.platform.auth.lockout import SignInPaused
from compound.platform.auth.models import User, WebSession
from compound.platform.auth.service import actor_for_user, authenticate_password, hash_token
from compound.platform.clock import utcnow
from compound.platform.config import get_settings
from compound.platform.errors import NotAuthenticated

SESSION_LIFETIME = timedelta(hours=12)
"""Idle time after which a browser must sign in again (each request extends it)."""


class SignInRefused(NotAuthenticated):
    """Wrong credentials, or password attempts are paused for a while; the message says
    which (never which part was wrong). `retry_after` is set for the latter."""

    def __init__(self, message: str, *, retry_after: timedelta | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


@dataclass(frozen=True)
class SignedIn:
    secret: str
    """For the cookie; only its hash is stored."""
    csrf_token: str
    user: User


@dataclass(frozen=True)
class Visitor:
    actor: Actor
    user: User
    csrf_token: str


def _max_age(max_age: timedelta | None) -> timedelta:
    return max_age if max_age is not None else timedelta(days=get_settings().session_max_age_days)


async def sign_in(
    session: AsyncSession, email: str, password: str, *, max_age: timedelta | None = None
) -> SignedIn:
    """A new session for the person, or SignInRefused saying why (never which part was wrong).
    The failure a refusal counts is written in this transaction: the edge commits it.
    `max_age`: the absolute lifetime (default COMPOUND_SESSION_MAX_AGE_DAYS)."""
    try:
        user = await authenticate_password(session, email, password)
    except SignInPaused as paused:
        raise SignInRefused(paused.message, retry_after=paused.retry_after) from None
    except NotAuthenticated:
        raise SignInRefused("wrong email or password") from None
    now = utcnow()
    secret = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    session.add(
        WebSession(
            token_hash=hash_token(secret),
            user_id=user.id,
            csrf_token=csrf,
            created_at=now,
            last_seen_at=now,
            expires_at=now + min(SESSION_LIFETIME, _max_age(max_age)),
        )
    )
    await session.flush()
    return SignedIn(secret=secret, csrf_token=csrf, user=user)


async def visitor(
    session: AsyncSession, secret: str | None, *, max_age: timedelta | None = None
) -> Visitor | None:
    """Who holds this cookie, or None (no cookie, unknown, expired, older than `max_age`
    however active — default COMPOUND_SESSION_MAX_AGE_DAYS — or an inactive user).
    A session in use is extended, never past its absolute end."""
    if not secret or len(secret) > 200:
        return None
    now = utcnow()
    lifetime = _max_age(max_age)
    row = (
        await session.execute(
            select(WebSession, User)
            .join(User, col(User.id) == col(WebSession.user_id))
            .where(col(WebSession.token_hash) == hash_token(secret))
        )
    ).one_or_none()
    if row is None:
        return None
    web_session, user = row
    # A stolen cookie kept busy would otherwise live forever: sliding has an end.
    ends_at = web_session.created_at + lifetime
    if web_session.expires_at <= now or ends_at <= now or not user.is_active:
        await session.delete(web_session)
        return None
    if now - web_session.last_seen_at > timedelta(minutes=1):
        web_session.last_seen_at = now
        web_session.expires_at = min(now + SESSION_LIFETIME, ends_at)
    return Visitor(actor=actor_for_user(user), user=user, csrf_token=web_session.csrf_token)


async def sign_out(session: AsyncSession, secret: str | None) -> None:
    if secret:
        await session.execute(
            delete(WebSession).where(col(WebSession.token_hash) == hash_token(secret))
        )
