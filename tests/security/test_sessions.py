"""A browser session has an end however busy it is kept (issue 13, finding 12): before, each
request slid the idle expiry forward, so a stolen cookie kept in use lived forever. Through
the real pages of the app on the real database: a session signed in longer ago than
COMPOUND_SESSION_MAX_AGE_DAYS is refused (and deleted) even though it was just used."""

from __future__ import annotations

from datetime import timedelta

import httpx
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from compound.platform.auth.models import User, WebSession
from compound.platform.clock import utcnow
from compound.platform.config import Settings
from tests.web.test_pages import signed_in


async def member_sessions(session: AsyncSession) -> list[WebSession]:
    rows = await session.execute(
        select(WebSession)
        .join(User, col(User.id) == col(WebSession.user_id))
        .where(col(User.email) == "member@tests.example")
        .execution_options(populate_existing=True)
    )
    return list(rows.scalars())


async def signed_in_days_ago(session: AsyncSession, days: float) -> None:
    """The member's session began `days` ago and has been in use all along: seen a moment
    ago, its idle expiry hours ahead."""
    now = utcnow()
    await session.execute(
        update(WebSession)
        .where(
            col(WebSession.token_hash).in_([s.token_hash for s in await member_sessions(session)])
        )
        .values(
            created_at=now - timedelta(days=days),
            last_seen_at=now - timedelta(minutes=5),
            expires_at=now + timedelta(hours=11),
        )
    )
    await session.commit()


async def test_a_session_older_than_its_lifetime_is_refused_even_while_in_use(
    web_client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    assert settings.session_max_age_days == 7
    await signed_in(web_client, "member")
    await signed_in_days_ago(session, 7.01)

    page = await web_client.get("/inbox")

    assert page.status_code == 303
    assert page.headers["location"].startswith("/sign-in")
    assert await member_sessions(session) == []  # deleted, not merely refused
    # The cookie opens nothing else either.
    assert (await web_client.get("/settings/tokens")).status_code == 303


async def test_a_busy_session_is_extended_but_never_past_its_lifetime(
    web_client: httpx.AsyncClient, session: AsyncSession
) -> None:
    await signed_in(web_client, "member")
    await signed_in_days_ago(session, 6.9)

    assert (await web_client.get("/inbox")).status_code == 200

    [extended] = await member_sessions(session)
    assert extended.last_seen_at > utcnow() - timedelta(minutes=1)  # it was extended…
    assert extended.expires_at <= extended.created_at + timedelta(days=7)  # …up to its end
