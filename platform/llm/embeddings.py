"""Embeddings from an OpenAI-compatible endpoint (text-embedding-3-small, 384 dimensions)."""

from __future__ import annotations

from collections.abc import Sequence

from openai import OpenAIError
from pydantic import SecretStr

from compound.platform.errors import ServiceUnavailable
from compound.platform.llm.endpoint import openai_client
from compound.platform.models import EMBEDDING_DIMENSIONS


class OpenAIEmbedder:
    """Asks the endpoint for 384-dimension vectors so they share columns with the local model."""

    name = "openai"

    def __init__(self, *, base_url: SecretStr | str | None, api_key: str, model: str) -> None:
        self._client = openai_client(base_url, api_key, timeout=30.0, max_retries=2)
        self._model = model

    def warm_up(self) -> None:
        """Nothing to load: the model runs at the endpoint."""

    async def embed(self, texts: Sequence[str]) -> list[list[float]]:
        if not texts:
            return []
        try:
            response = await self._client.embeddings.create(
                model=self._model, input=list(texts), dimensions=EMBEDDING_DIMENSIONS
            )
            vectors = [
                item.embedding for item in sorted(response.data or [], key=lambda item: item.index)
            ]
        except (OpenAIError, ValueError, TypeError, AttributeError, KeyError) as error:
            # The client raises ValueError for a body without vectors; a broken server
            # can produce any of these while the response is parsed.
            raise ServiceUnavailable(
                f"the embeddings endpoint failed: {type(error).__name__}: {error}"
            ) from error
        if len(vectors) != len(texts) or any(len(v) != EMBEDDING_DIMENSIONS for v in vectors):
            raise ServiceUnavailable(
                f"the embeddings endpoint returned {len(vectors)} vectors for {len(texts)} texts, "
                f"or vectors that are not {EMBEDDING_DIMENSIONS}-dimensional"
            )
        return vectors
