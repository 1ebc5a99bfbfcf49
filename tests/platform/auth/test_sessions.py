"""Browser sign-in: argon2-checked passwords, server-side sessions stored hashed, a CSRF
token per session, and a lock-out after repeated failures that reveals nothing."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from compound.platform.auth import service as auth
from compound.platform.auth import sessions
from compound.platform.auth.actor import Actor
from compound.platform.auth.models import WebSession
from compound.platform.auth.service import hash_token
from compound.platform.clock import utcnow

SETUP = Actor.system("tests")


async def person(session: AsyncSession, role: str = "member") -> str:
    email = f"sign-in-{uuid.uuid4().hex[:8]}@tests.example"
    await auth.create_user(session, SETUP, email=email, role=role, password="correct horse")
    return email


async def test_a_session_is_stored_hashed_and_ends_on_sign_out(session: AsyncSession) -> None:
    email = await person(session)
    signed = await sessions.sign_in(session, email.upper(), "correct horse")
    stored = await session.get(WebSession, hash_token(signed.secret))
    assert stored is not None and stored.csrf_token == signed.csrf_token
    assert await session.get(WebSession, signed.secret) is None  # never the secret itself
    visitor = await sessions.visitor(session, signed.secret)
    assert visitor is not None and visitor.user.email == email
    assert visitor.actor.has_scope("write") and visitor.csrf_token == signed.csrf_token
    await sessions.sign_out(session, signed.secret)
    assert await sessions.visitor(session, signed.secret) is None


async def test_a_viewer_signs_in_read_only(session: AsyncSession) -> None:
    email = await person(session, role="viewer")
    signed = await sessions.sign_in(session, email, "correct horse")
    visitor = await sessions.visitor(session, signed.secret)
    assert visitor is not None and not visitor.actor.has_scope("write")


@pytest.mark.parametrize("who", ["known", "unknown", "not an address", "huge"])
async def test_a_failed_sign_in_says_why_without_saying_which_part(
    session: AsyncSession, who: str
) -> None:
    email = await person(session)
    typed = {
        "known": email,
        "unknown": "nobody@tests.example",
        "not an address": "<script>",
        "huge": "x" * 100_000,
    }[who]
    with pytest.raises(sessions.SignInRefused, match=r"^wrong email or password$"):
        await sessions.sign_in(session, typed, "wrong horse" if who == "known" else "whatever")


async def test_five_failures_lock_the_address_even_for_the_right_password(
    session: AsyncSession,
) -> None:
    email = await person(session)
    for _ in range(sessions.FAILURES_BEFORE_LOCK):
        with pytest.raises(sessions.SignInRefused, match="wrong email or password"):
            await sessions.sign_in(session, email, "wrong horse")
    with pytest.raises(sessions.SignInRefused, match=r"try again in 15 minutes"):
        await sessions.sign_in(session, email, "correct horse")


async def test_a_success_clears_earlier_failures(session: AsyncSession) -> None:
    email = await person(session)
    for _ in range(sessions.FAILURES_BEFORE_LOCK - 1):
        with pytest.raises(sessions.SignInRefused):
            await sessions.sign_in(session, email, "wrong horse")
    await sessions.sign_in(session, email, "correct horse")
    for _ in range(sessions.FAILURES_BEFORE_LOCK - 1):
        with pytest.raises(sessions.SignInRefused, match="wrong email or password"):
            await sessions.sign_in(session, email, "wrong horse")


async def test_expired_unknown_and_hostile_cookies_are_nobody(session: AsyncSession) -> None:
    email = await person(session)
    signed = await sessions.sign_in(session, email, "correct horse")
    stored = await session.get(WebSession, hash_token(signed.secret))
    assert stored is not None
    stored.expires_at = utcnow() - timedelta(seconds=1)
    await session.flush()
    assert await sessions.visitor(session, signed.secret) is None
    remaining = await session.execute(
        select(WebSession).where(col(WebSession.token_hash) == hash_token(signed.secret))
    )
    assert remaining.first() is None
    for cookie in (None, "", "nope", "x" * 10_000, "\x00\x01"):
        assert await sessions.visitor(session, cookie) is None


async def test_a_session_ends_at_its_absolute_lifetime_however_busy(
    session: AsyncSession,
) -> None:
    email = await person(session)
    signed = await sessions.sign_in(session, email, "correct horse", max_age=timedelta(hours=1))
    stored = await session.get(WebSession, hash_token(signed.secret))
    assert stored is not None
    # Never given an idle expiry past its end, from the start.
    assert stored.expires_at <= stored.created_at + timedelta(hours=1)
    stored.created_at = utcnow() - timedelta(minutes=59)
    stored.last_seen_at = utcnow() - timedelta(minutes=2)
    await session.flush()
    assert await sessions.visitor(session, signed.secret, max_age=timedelta(hours=1)) is not None
    assert stored.expires_at <= stored.created_at + timedelta(hours=1)  # extended, capped
    stored.created_at = utcnow() - timedelta(hours=1, seconds=1)
    await session.flush()
    assert await sessions.visitor(session, signed.secret, max_age=timedelta(hours=1)) is None
    remaining = await session.execute(
        select(WebSession).where(col(WebSession.token_hash) == hash_token(signed.secret))
    )
    assert remaining.first() is None  # deleted, not merely refused


async def test_a_locked_address_is_refused_with_when_to_come_back(session: AsyncSession) -> None:
    email = await person(session)
    for _ in range(sessions.FAILURES_BEFORE_LOCK):
        with pytest.raises(sessions.SignInRefused) as refused:
            await sessions.sign_in(session, email, "wrong horse")
        assert refused.value.retry_after is None
    with pytest.raises(sessions.SignInRefused) as locked:
        await sessions.sign_in(session, email, "correct horse")
    assert locked.value.retry_after is not None
    assert locked.value.retry_after > timedelta(minutes=14)
