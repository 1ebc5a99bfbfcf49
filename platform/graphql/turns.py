"""Turns of the event loop for GraphQL work, and the DataLoader that takes them.

Every resolver that got its rows waits for its turn before graphql-core completes them,
and one turn is handed out per loop iteration, taking the requests in rotation.

Why: a DataLoader answers all its callers at once, and graphql-core then completes every
answer (thousands of values) in the same loop iteration, without a pause. Four costly
queries at once held the loop for seconds and `/health` waited behind them. With turns,
one iteration completes one resolver's rows (a few hundred values at most: the lists are
capped), every other request (a health check, a small query) is served between two turns,
and a small query is not queued behind the thousands of turns of a big one.

Completing one resolver's rows is also what asks for the next level's rows, so a loader
sends its batch only once its request has no turns waiting and no new keys came in for a
couple of iterations (graphql-core starts the next level's resolvers in tasks, an
iteration or two after the rows that need them): every key of that level is in the
batch, and the query count stays one per level, as with an ordinary DataLoader.
"""

from __future__ import annotations

import asyncio
import weakref
from collections import OrderedDict, deque
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

K = TypeVar("K")
T = TypeVar("T")
QUIET_ITERATIONS = 2
"""Loop iterations without a new key (and no turn waiting) before a loader sends its batch."""


class Turns:
    """Hands out one turn per event-loop iteration, to the waiting owners in rotation."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._waiting: OrderedDict[int, deque[asyncio.Future[None]]] = OrderedDict()
        self._settling: dict[int, list[asyncio.Future[None]]] = {}
        self._scheduled = False

    async def take(self, owner: object) -> None:
        """Return at the start of a later loop iteration, when it is `owner`'s turn."""
        future: asyncio.Future[None] = self._loop.create_future()
        self._waiting.setdefault(id(owner), deque()).append(future)
        if not self._scheduled:
            self._scheduled = True
            self._loop.call_soon(self._hand_out)
        await future

    def waiting(self, owner: object) -> bool:
        return id(owner) in self._waiting

    async def settled(self, owner: object) -> None:
        """Return once `owner` has no turn waiting (at once when it has none)."""
        if id(owner) not in self._waiting:
            return
        future: asyncio.Future[None] = self._loop.create_future()
        self._settling.setdefault(id(owner), []).append(future)
        await future

    def _hand_out(self) -> None:
        self._scheduled = False
        while self._waiting:
            owner, queue = next(iter(self._waiting.items()))
            self._waiting.move_to_end(owner)
            while queue and queue[0].done():  # its request was cancelled
                queue.popleft()
            if queue:
                queue.popleft().set_result(None)
            if not queue:
                self._drained(owner)
            break
        if self._waiting:
            self._scheduled = True
            self._loop.call_soon(self._hand_out)

    def _drained(self, owner: int) -> None:
        del self._waiting[owner]
        for future in self._settling.pop(owner, []):
            if not future.done():
                future.set_result(None)


_turns: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Turns] = weakref.WeakKeyDictionary()


def turns() -> Turns:
    """The running loop's turns (tests run a loop per test; a server, one per process)."""
    loop = asyncio.get_running_loop()
    existing = _turns.get(loop)
    if existing is None:
        existing = _turns[loop] = Turns(loop)
    return existing


class TurnTakingLoader(Generic[K, T]):
    """A per-request DataLoader: `load(key)` batches keys (each loaded once per request) into
    one call of `load_fn`, sent once the owner's turns have settled; each caller then waits
    for its turn before its value goes back to graphql-core."""

    def __init__(
        self, load_fn: Callable[[list[K]], Awaitable[Sequence[T]]], *, owner: object
    ) -> None:
        self._load_fn = load_fn
        self._owner = owner
        self._cache: dict[K, asyncio.Future[T]] = {}
        self._pending: list[tuple[K, asyncio.Future[T]]] = []
        self._dispatch: asyncio.Task[None] | None = None

    def load(self, key: K) -> Awaitable[T]:
        future = self._cache.get(key)
        if future is None:
            future = self._cache[key] = asyncio.get_running_loop().create_future()
            self._pending.append((key, future))
            if self._dispatch is None:
                self._dispatch = asyncio.create_task(self._send())
        return self._in_turn(future)

    async def _in_turn(self, future: asyncio.Future[T]) -> T:
        value = await asyncio.shield(future)  # a cancelled caller leaves it to the others
        await turns().take(self._owner)
        return value

    async def _send(self) -> None:
        quiet = 0
        while quiet < QUIET_ITERATIONS:
            if turns().waiting(self._owner):
                await turns().settled(self._owner)
                quiet = 0
                continue
            keys = len(self._pending)
            await asyncio.sleep(0)
            quiet = quiet + 1 if len(self._pending) == keys else 0
        batch, self._pending, self._dispatch = self._pending, [], None
        try:
            values = list(await self._load_fn([key for key, _ in batch]))
            if len(values) != len(batch):
                raise RuntimeError(f"loaded {len(values)} values for {len(batch)} keys")
        except Exception as error:  # every caller of the batch gets it
            for _, future in batch:
                if not future.done():
                    future.set_exception(error)
            return
        for (_, future), value in zip(batch, values, strict=True):
            if not future.done():
                future.set_result(value)
