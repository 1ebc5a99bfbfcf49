"""Token buckets per key: a burst, then the rate; the wait says when; keys do not share."""

from __future__ import annotations

import pytest

from compound.platform.rate_limit import RateLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_burst_goes_through_then_the_next_request_waits() -> None:
    clock = Clock()
    limiter = RateLimiter(per_second=2.0, burst=3, clock=clock)
    assert [limiter.take("token") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert limiter.take("token") == pytest.approx(0.5)
    clock.now += 0.5
    assert limiter.take("token") == 0.0
    assert limiter.take("token") == pytest.approx(0.5)


def test_a_refused_request_spends_nothing() -> None:
    clock = Clock()
    limiter = RateLimiter(per_second=1.0, burst=1, clock=clock)
    assert limiter.take("token") == 0.0
    for _ in range(10):
        assert limiter.take("token") > 0
    clock.now += 1.0
    assert limiter.take("token") == 0.0


def test_the_bucket_refills_to_the_burst_and_no_further() -> None:
    clock = Clock()
    limiter = RateLimiter(per_second=10.0, burst=2, clock=clock)
    limiter.take("token")
    clock.now += 3600
    assert [limiter.take("token") for _ in range(3)] == [0.0, 0.0, pytest.approx(0.1)]


def test_each_key_has_its_own_bucket() -> None:
    limiter = RateLimiter(per_second=1.0, burst=1, clock=Clock())
    assert limiter.take("one") == 0.0
    assert limiter.take("one") > 0
    assert limiter.take("two") == 0.0


def test_memory_is_bounded_and_a_busy_key_keeps_its_bucket() -> None:
    clock = Clock()
    limiter = RateLimiter(per_second=1.0, burst=1, clock=clock, max_keys=100)
    limiter.take("busy")
    for index in range(1000):
        limiter.take(f"random-{index}")
        if index % 50 == 0:
            assert limiter.take("busy") > 0  # still empty: its bucket was not forgotten
    assert len(limiter._buckets) <= 100
