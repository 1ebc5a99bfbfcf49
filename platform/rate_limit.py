"""Token buckets by key (one per API token), in this process's memory: a sustained rate, a
burst above it, and how long an empty bucket's owner has to wait."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

MAX_KEYS = 100_000
"""Buckets kept at most; full ones go first, then the least recently used."""


@dataclass
class _Bucket:
    tokens: float
    updated: float


class RateLimiter:
    """`take(key)` spends one token of `key`'s bucket, which holds `burst` tokens and gets
    `per_second` back each second. Per process: with N server processes a token gets N
    times the rate at most, which the defaults leave room for."""

    def __init__(
        self,
        per_second: float,
        burst: int,
        *,
        clock: Callable[[], float] = time.monotonic,
        max_keys: int = MAX_KEYS,
    ) -> None:
        self.per_second = per_second
        self.burst = burst
        self._clock = clock
        self._max_keys = max_keys
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()
        self._lock = threading.Lock()  # cheap, and safe should a caller run in a thread

    def take(self, key: str) -> float:
        """0.0 when `key` may go ahead now (a token is spent); otherwise the seconds until
        its bucket holds a token again (nothing is spent)."""
        with self._lock:
            now = self._clock()
            bucket = self._buckets.get(key)
            if bucket is None:
                self._make_room(now)
                bucket = self._buckets[key] = _Bucket(tokens=float(self.burst), updated=now)
            else:
                self._buckets.move_to_end(key)
                bucket.tokens = min(
                    float(self.burst), bucket.tokens + (now - bucket.updated) * self.per_second
                )
                bucket.updated = now
            if bucket.tokens >= 1.0:
                bucket.tokens -= 1.0
                return 0.0
            return (1.0 - bucket.tokens) / self.per_second

    def _make_room(self, now: float) -> None:
        if len(self._buckets) < self._max_keys:
            return
        # A bucket that has refilled says nothing a new one would not: drop those first.
        refill_seconds = self.burst / self.per_second
        for key in [k for k, b in self._buckets.items() if now - b.updated >= refill_seconds]:
            del self._buckets[key]
        while len(self._buckets) >= self._max_keys:
            self._buckets.popitem(last=False)
