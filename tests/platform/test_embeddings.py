"""Embeddings: the local MiniLM model offline, and the real openai client against a local server."""

from __future__ import annotations

import math

import pytest

from compound.platform.embeddings import LocalEmbedder
from compound.platform.errors import ServiceUnavailable
from compound.platform.llm.embeddings import OpenAIEmbedder
from tests.llm_server import Scripted, running_llm_server


async def test_local_model_gives_unit_vectors_of_384_dimensions() -> None:
    embedder = LocalEmbedder()
    vectors = await embedder.embed(["warehouse robots", "autonomous forklifts", "tax accounting"])
    assert [len(v) for v in vectors] == [384, 384, 384]
    assert all(math.isclose(sum(x * x for x in v), 1.0, rel_tol=1e-3) for v in vectors)

    def cosine(a: list[float], b: list[float]) -> float:
        return sum(x * y for x, y in zip(a, b, strict=True))

    assert cosine(vectors[0], vectors[1]) > cosine(vectors[0], vectors[2])
    assert await embedder.embed([]) == []


async def test_local_model_accepts_huge_and_odd_text() -> None:
    vectors = await LocalEmbedder().embed(["x" * 1_000_000, "", "😀 \u202e rtl \x00"])
    assert [len(v) for v in vectors] == [384, 384, 384]


async def test_openai_embedder_asks_for_384_dimensions() -> None:
    with running_llm_server() as server:
        embedder = OpenAIEmbedder(
            base_url=server.url, api_key="test-key", model="text-embedding-3-small"
        )
        vectors = await embedder.embed(["one", "two"])
    assert [len(v) for v in vectors] == [384, 384]
    path, request = server.requests[0]
    assert path == "/v1/embeddings"
    assert request["dimensions"] == 384 and request["model"] == "text-embedding-3-small"


async def test_openai_embedder_retries_a_429_then_succeeds() -> None:
    with running_llm_server() as server:
        server.script.append(Scripted(status=429, body={"error": {"message": "slow down"}}))
        embedder = OpenAIEmbedder(base_url=server.url, api_key="k", model="m")
        vectors = await embedder.embed(["retry me"])
    assert len(vectors[0]) == 384
    assert len(server.requests) == 2


@pytest.mark.parametrize(
    "body",
    [
        {
            "data": [{"index": 0, "embedding": [0.1, 0.2, 0.3]}],
            "model": "m",
            "object": "list",
            "usage": {"prompt_tokens": 1, "total_tokens": 1},
        },
        {
            "data": [],
            "model": "m",
            "object": "list",
            "usage": {"prompt_tokens": 1, "total_tokens": 1},
        },
        {"unexpected": "shape"},
    ],
)
async def test_malformed_endpoint_answers_are_a_clear_error(body: dict[str, object]) -> None:
    with running_llm_server() as server:
        server.script.append(Scripted(body=body))
        embedder = OpenAIEmbedder(base_url=server.url, api_key="k", model="m")
        with pytest.raises(ServiceUnavailable, match="embeddings endpoint"):
            await embedder.embed(["text"])


async def test_endpoint_down_is_a_clear_error() -> None:
    with running_llm_server() as server:
        server.script.extend(
            Scripted(status=500, body={"error": {"message": "boom"}}) for _ in range(5)
        )
        embedder = OpenAIEmbedder(base_url=server.url, api_key="k", model="m")
        with pytest.raises(ServiceUnavailable, match="embeddings endpoint"):
            await embedder.embed(["text"])
