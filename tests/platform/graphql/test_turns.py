"""Turns of the event loop: one per iteration, requests in rotation; the loader that takes
them still sends one batch per level, each key once."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Sequence

import pytest

from compound.platform.graphql.turns import TurnTakingLoader, turns


async def test_one_turn_is_handed_out_per_loop_iteration() -> None:
    order: list[str] = []
    owner = object()

    async def waiter(name: str) -> None:
        await turns().take(owner)
        order.append(name)

    async def ticker() -> None:
        for tick in range(6):
            order.append(f"tick{tick}")
            await asyncio.sleep(0)

    await asyncio.gather(ticker(), *(waiter(name) for name in "abc"))
    # Between two turns the loop ran something else: the turns never came back to back.
    turned = [index for index, entry in enumerate(order) if not entry.startswith("tick")]
    assert [order[index] for index in turned] == ["a", "b", "c"]
    assert all(later - earlier > 1 for earlier, later in itertools.pairwise(turned))


async def test_a_small_request_is_not_queued_behind_a_big_one() -> None:
    big, small = object(), object()
    done: list[str] = []

    async def take(owner: object, name: str) -> None:
        await turns().take(owner)
        done.append(name)

    big_waiters = [asyncio.create_task(take(big, f"big{index}")) for index in range(50)]
    await asyncio.sleep(0)  # the big request queues its fifty turns first
    await take(small, "small")
    await asyncio.gather(*big_waiters)
    assert done.index("small") <= 2


async def test_the_loader_sends_one_batch_per_level_and_each_key_once() -> None:
    owner = object()
    batches: list[list[int]] = []

    async def load(keys: list[int]) -> Sequence[int]:
        batches.append(keys)
        return [key * 10 for key in keys]

    loader: TurnTakingLoader[int, int] = TurnTakingLoader(load, owner=owner)

    async def resolve(key: int) -> int:
        # The next level's keys are asked for only once this one's value is back, each in
        # its own turn and a task started later, as graphql-core does it.
        value = await loader.load(key)
        children = [asyncio.ensure_future(loader.load(value + child)) for child in (1, 2)]
        return value + sum(await asyncio.gather(*children))

    results = await asyncio.gather(*(resolve(key) for key in (1, 2, 3, 1)))
    assert results == [10 + 110 + 120, 20 + 210 + 220, 30 + 310 + 320, 10 + 110 + 120]
    assert batches == [[1, 2, 3], [11, 12, 21, 22, 31, 32]]


async def test_a_failed_batch_fails_each_of_its_callers() -> None:
    async def load(keys: list[int]) -> Sequence[int]:
        raise ValueError("the database went away")

    loader: TurnTakingLoader[int, int] = TurnTakingLoader(load, owner=object())
    outcomes = await asyncio.gather(loader.load(1), loader.load(2), return_exceptions=True)
    assert [str(outcome) for outcome in outcomes] == ["the database went away"] * 2


async def test_a_batch_with_a_value_missing_fails_instead_of_shifting_values() -> None:
    async def load(keys: list[int]) -> Sequence[int]:
        return keys[1:]

    loader: TurnTakingLoader[int, int] = TurnTakingLoader(load, owner=object())
    with pytest.raises(RuntimeError, match="loaded 1 values for 2 keys"):
        await asyncio.gather(loader.load(1), loader.load(2))
