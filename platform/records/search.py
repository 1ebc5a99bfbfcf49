"""Semantic search over companies, people and notes, ranked by cosine similarity (pgvector HNSW)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from compound.platform.embeddings import embed_one
from compound.platform.records.models import Company, Note, Person
from compound.platform.records.rules import required_text

MAX_QUERY_LENGTH = 1000
SearchKind = Literal["company", "person", "note"]
_SEARCHED: tuple[tuple[SearchKind, Any], ...] = (
    ("company", Company),
    ("person", Person),
    ("note", Note),
)


@dataclass(frozen=True)
class SearchHit:
    kind: SearchKind
    id: uuid.UUID
    score: float


async def nearest(
    session: AsyncSession, model: Any, vector: list[float], *, limit: int, ef_search: int
) -> list[tuple[uuid.UUID, float]]:
    """The `limit` rows of `model` nearest to `vector` by cosine distance (HNSW index)."""
    # SET LOCAL lasts to the end of the transaction: each request chooses its own recall.
    await session.execute(text(f"SET LOCAL hnsw.ef_search = {max(int(ef_search), limit)}"))
    distance = model.embedding.cosine_distance(vector)
    rows = await session.execute(
        select(model.id, distance.label("distance"))
        .where(model.embedding.is_not(None))
        .order_by(distance)
        .limit(limit)
    )
    return [(row.id, 1.0 - float(row.distance)) for row in rows]


async def search(
    session: AsyncSession, query: str, *, first: int, ef_search: int
) -> list[SearchHit]:
    """The `first` best matches across companies, people and notes, best first."""
    text_query = required_text(query, field="query", max_length=MAX_QUERY_LENGTH)
    if first == 0:
        return []
    vector = await embed_one(text_query)
    hits: list[SearchHit] = []
    for kind, model in _SEARCHED:
        for record_id, score in await nearest(
            session, model, vector, limit=first, ef_search=ef_search
        ):
            hits.append(SearchHit(kind=kind, id=record_id, score=score))
    hits.sort(key=lambda hit: hit.score, reverse=True)
    return hits[:first]
