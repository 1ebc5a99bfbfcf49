"""The lock-out every way in shares: failures counted per address in `authenticate_password`
(known or not), the right password refused while locked, and the process's budget of wrong
passwords (a token bucket, driven here by its own clock)."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from compound.platform.auth import service as auth
from compound.platform.auth.actor import Actor
from compound.platform.auth.lockout import (
    FAILURES_BEFORE_LOCK,
    FailureBudget,
    SignInPaused,
    failure_address,
)
from compound.platform.auth.models import SignInFailures
from compound.platform.errors import NotAuthenticated

PASSWORD = "correct horse"


async def account(session: AsyncSession) -> str:
    email = f"lockout-{uuid.uuid4().hex[:8]}@tests.example"
    await auth.create_user(
        session, Actor.system("tests"), email=email, role="member", password=PASSWORD
    )
    return email


async def test_five_wrong_passwords_lock_the_address_for_the_right_one_too(
    session: AsyncSession,
) -> None:
    email = await account(session)
    for _ in range(FAILURES_BEFORE_LOCK):
        with pytest.raises(NotAuthenticated, match=r"^wrong email or password$"):
            await auth.authenticate_password(session, email, "wrong")
    with pytest.raises(SignInPaused, match="for this address: try again in 15 minutes") as paused:
        await auth.authenticate_password(session, email.upper(), PASSWORD)
    assert timedelta(minutes=14) < paused.value.retry_after <= timedelta(minutes=15)


async def test_a_success_clears_the_count(session: AsyncSession) -> None:
    email = await account(session)
    for _ in range(FAILURES_BEFORE_LOCK - 1):
        with pytest.raises(NotAuthenticated):
            await auth.authenticate_password(session, email, "wrong")
    assert (await auth.authenticate_password(session, email, PASSWORD)).email == email
    assert await session.get(SignInFailures, email) is None


@pytest.mark.parametrize(
    "typed",
    ["nobody@tests.example", "not an address", "nul\x00in@it.example", "\udcff@x", "x" * 5000],
)
async def test_unknown_and_hostile_addresses_are_counted_alike(
    session: AsyncSession, typed: str
) -> None:
    for _ in range(FAILURES_BEFORE_LOCK):
        with pytest.raises(NotAuthenticated, match=r"^wrong email or password$"):
            await auth.authenticate_password(session, typed, "whatever")
    with pytest.raises(SignInPaused):
        await auth.authenticate_password(session, typed, "whatever")
    assert len(failure_address(typed)) <= 254


async def test_inactive_and_passwordless_users_are_refused_like_strangers(
    session: AsyncSession,
) -> None:
    api_only = await auth.create_user(
        session, Actor.system("tests"), email="api-only@tests.example", role="member"
    )
    inactive_email = await account(session)
    inactive = await auth.user_by_email(session, inactive_email)
    inactive.is_active = False
    await session.flush()
    for email, password in ((api_only.email, ""), (inactive_email, PASSWORD)):
        with pytest.raises(NotAuthenticated, match=r"^wrong email or password$"):
            await auth.authenticate_password(session, email, password)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_budget_refuses_once_spent_and_refills_evenly() -> None:
    clock = Clock()
    budget = FailureBudget(3, clock=clock)
    for _ in range(3):
        budget.refuse_if_spent()
        budget.spend()
    with pytest.raises(SignInPaused, match="on this server: try again in 20 seconds"):
        budget.refuse_if_spent()
    clock.now += 19.0
    with pytest.raises(SignInPaused, match=r"try again in 1 second$"):
        budget.refuse_if_spent()
    clock.now += 1.0
    budget.refuse_if_spent()  # one wrong password more per 20 s (3 a minute)
    clock.now += 3600
    for _ in range(3):  # a long quiet refills it, but only to its size
        budget.refuse_if_spent()
        budget.spend()
    with pytest.raises(SignInPaused):
        budget.refuse_if_spent()
