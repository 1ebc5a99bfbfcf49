"""The lock-out every way in shares: failed password attempts counted per address (web
sign-in and SMTP AUTH alike, known addresses or not, so a lock reveals nothing), and a
process-wide budget of wrong passwords that slows guessing across many addresses."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from datetime import timedelta

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from compound.platform.auth.models import SignInFailures
from compound.platform.clock import utcnow
from compound.platform.config import get_settings
from compound.platform.errors import CompoundError, ValidationFailed
from compound.platform.normalize import normalize_email

FAILURES_BEFORE_LOCK = 5
LOCK_DURATION = timedelta(minutes=15)
EMAIL_MAX = 254


class SignInPaused(CompoundError):
    """Password attempts are refused for a while, the right password included: this address
    is locked, or this server has seen too many wrong passwords. Not a NotAuthenticated,
    so no edge can mistake it for a wrong password and answer as if the check had run."""

    code = "SIGN_IN_PAUSED"

    def __init__(self, message: str, *, retry_after: timedelta) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def failure_address(email: str) -> str:
    """The key failures are counted under: the normalized address, or for text that is not
    one, that text (cleaned so the database takes it): failures count either way."""
    try:
        return normalize_email(email[:EMAIL_MAX], field="email")
    except ValidationFailed:
        text = email.strip().lower().encode("utf-8", "replace").decode("utf-8")
        return "".join(ch for ch in text if ch >= " " and ch != "\x7f")[:EMAIL_MAX]


def _in_words(wait: timedelta, unit: str, seconds_per_unit: int) -> str:
    count = max(1, math.ceil(wait.total_seconds() / seconds_per_unit))
    return f"{count} {unit}" + ("s" if count != 1 else "")


async def refuse_if_locked(session: AsyncSession, address: str) -> None:
    """SignInPaused while the address is locked. The row stays locked (FOR UPDATE) until the
    caller's transaction ends, so parallel guesses at one address are counted one by one."""
    record = await session.get(
        SignInFailures, address, with_for_update=True, populate_existing=True
    )
    now = utcnow()
    if record is not None and record.locked_until is not None and record.locked_until > now:
        wait = record.locked_until - now
        raise SignInPaused(
            "too many failed sign-ins for this address: try again in "
            + _in_words(wait, "minute", 60),
            retry_after=wait,
        )


async def count_failure(session: AsyncSession, address: str) -> None:
    """One more failure for the address; the fifth locks it for LOCK_DURATION."""
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


async def clear_failures(session: AsyncSession, address: str) -> None:
    record = await session.get(SignInFailures, address)
    if record is not None:
        await session.delete(record)
        await session.flush()


class FailureBudget:
    """A token bucket of wrong passwords for one process: `per_minute` of them, refilled
    evenly. While it is empty every password attempt is refused unchecked, so guessing one
    password at many addresses (which no per-address lock stops) gets no faster than this."""

    def __init__(self, per_minute: int, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.capacity = float(per_minute)
        self.per_second = per_minute / 60.0
        self._clock = clock
        self._tokens = self.capacity
        self._updated = clock()
        # Worker processes run several threads, each with its own event loop.
        self._lock = threading.Lock()

    def _refill(self) -> None:
        now = self._clock()
        self._tokens = min(self.capacity, self._tokens + (now - self._updated) * self.per_second)
        self._updated = now

    def refuse_if_spent(self) -> None:
        with self._lock:
            self._refill()
            if self._tokens >= 1.0:
                return
            wait = timedelta(seconds=(1.0 - self._tokens) / self.per_second)
        raise SignInPaused(
            "too many failed sign-ins on this server: try again in " + _in_words(wait, "second", 1),
            retry_after=wait,
        )

    def spend(self) -> None:
        with self._lock:
            self._refill()
            self._tokens = max(0.0, self._tokens - 1.0)


_budget: FailureBudget | None = None
_budget_lock = threading.Lock()


def failure_budget() -> FailureBudget:
    """This process's budget, sized by COMPOUND_PASSWORD_FAILURES_PER_MINUTE."""
    global _budget
    with _budget_lock:
        if _budget is None:
            _budget = FailureBudget(get_settings().password_failures_per_minute)
        return _budget
