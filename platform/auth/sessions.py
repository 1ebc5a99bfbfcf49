"""Signing in from a browser: a password checked with argon2, a server-side session whose
cookie secret is stored hashed, a CSRF token per session, and a lock-out after repeated
failures (per email address, known or not, so the lock-out reveals nothing)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from compound.platform.auth.actor import Actor
from compound.platform.auth.models import SignInFailures, User, WebSession
from compound.platform.auth.service import actor_for_user, authenticate_password, hash_token
from compound.platform.clock import utcnow
from compound.platform.errors import NotAuthenticated, ValidationFailed
from compound.platform.normalize import normalize_email

SESSION_LIFETIME = timedelta(hours=12)
"""Idle time after which a browser must sign in again (each request extends it)."""
FAILURES_BEFORE_LOCK = 5
LOCK_DURATION = timedelta(minutes=15)
EMAIL_MAX = 254


class SignInRefused(NotAuthenticated):
    """Wrong credentials, or the address is locked for a while; the message says which."""


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


def _address(email: str) -> str:
    try:
        return normalize_email(email[:EMAIL_MAX], field="email")
    except ValidationFailed:
        # Not an address: failures still count against the text that was typed.
        return email.strip().lower()[:EMAIL_MAX]


async def sign_in(session: AsyncSession, email: str, password: str) -> SignedIn:
    """A new session for the person, or SignInRefused saying why (never which part was wrong)."""
    address = _address(email)
    now = utcnow()
    record = await session.get(SignInFailures, address, with_for_update=True)
    if record is not None and record.locked_until is not None and record.locked_until > now:
        minutes = max(1, round((record.locked_until - now).total_seconds() / 60))
        raise SignInRefused(
            f"too many failed sign-ins for this address: try again in {minutes} minute"
            + ("s" if minutes != 1 else "")
        )
    try:
        user = await authenticate_password(session, address, password)
    except NotAuthenticated:
        await _count_failure(session, address)
        raise SignInRefused("wrong email or password") from None
    if record is not None:
        await session.delete(record)
    secret = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    session.add(
        WebSession(
            token_hash=hash_token(secret),
            user_id=user.id,
            csrf_token=csrf,
            created_at=now,
            last_seen_at=now,
            expires_at=now + SESSION_LIFETIME,
        )
    )
    await session.flush()
    return SignedIn(secret=secret, csrf_token=csrf, user=user)


async def _count_failure(session: AsyncSession, address: str) -> None:
    now = utcnow()
    counted = (
        await session.execute(
            insert(SignInFailures)
            .values(email=address, failures=1, updated_at=now)
            .on_conflict_do_update(
                index_elements=["email"],
                set_={"failures": SignInFailures.failures + 1, "updated_at": now},
            )
            .returning(col(SignInFailures.failures))
        )
    ).scalar_one()
    if counted >= FAILURES_BEFORE_LOCK:
        record = await session.get(SignInFailures, address, populate_existing=True)
        if record is not None:
            record.locked_until = now + LOCK_DURATION
            record.failures = 0
            await session.flush()


async def visitor(session: AsyncSession, secret: str | None) -> Visitor | None:
    """Who holds this cookie, or None (no cookie, unknown, expired, or an inactive user).
    A session in use is extended."""
    if not secret or len(secret) > 200:
        return None
    now = utcnow()
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
    if web_session.expires_at <= now or not user.is_active:
        await session.delete(web_session)
        return None
    if now - web_session.last_seen_at > timedelta(minutes=1):
        web_session.last_seen_at = now
        web_session.expires_at = now + SESSION_LIFETIME
    return Visitor(actor=actor_for_user(user), user=user, csrf_token=web_session.csrf_token)


async def sign_out(session: AsyncSession, secret: str | None) -> None:
    if secret:
        await session.execute(
            delete(WebSession).where(col(WebSession.token_hash) == hash_token(secret))
        )
