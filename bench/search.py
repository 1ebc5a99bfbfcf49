"""Benchmark: latency and recall@10 of the product's HNSW company search over 100k embeddings."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import psycopg
from harness import percentile, run_bench, say  # bench/harness.py
from pgvector.psycopg import register_vector
from sqlalchemy import event

from compound.platform import migrations
from compound.platform.config import Settings
from compound.platform.database import Database
from compound.platform.embedded_postgres import libpq_url, start_embedded_postgres
from compound.platform.models import EMBEDDING_DIMENSIONS
from compound.platform.records.models import Company
from compound.platform.records.search import nearest

INDEX_NAME = "ix_company_embedding_hnsw"
TOP_K = 10
P95_TARGET_MS = 50.0
RECALL_TARGET = 0.95
Matrix = npt.NDArray[np.float32]


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--clusters", type=int, default=300, help="Gaussian clusters in the data")
    parser.add_argument(
        "--cluster-rank",
        type=int,
        default=32,
        help="dimensions each cluster spreads along (real embeddings have low intrinsic dimension)",
    )
    parser.add_argument(
        "--ef-search",
        type=int,
        default=None,
        help="default: COMPOUND_SEARCH_EF_SEARCH / Settings().search_ef_search",
    )
    parser.add_argument(
        "--sweep",
        default="40,100,200",
        help="comma-separated ef_search values also measured; empty to skip",
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--time-limit", type=int, default=1500, help="abort the run after seconds")
    parser.add_argument("--keep-data", action="store_true", help="leave the data folder behind")
    return parser.parse_args(argv)


# --- vectors --------------------------------------------------------------------------


class ClusteredSpace:
    """A mixture of Gaussian clusters on the unit sphere, each spread along its own subspace.

    Isotropic noise in 384 dimensions makes every point nearly equidistant from every other
    (no real neighbours, so recall means nothing); text embeddings instead vary along few
    directions per topic, which a low-rank spread per cluster imitates.
    """

    def __init__(self, rng: np.random.Generator, clusters: int, rank: int) -> None:
        centers = rng.standard_normal((clusters, EMBEDDING_DIMENSIONS)).astype(np.float32)
        self.centers = centers / np.linalg.norm(centers, axis=1, keepdims=True)
        # Per-cluster directions, scaled so that a cluster's spread is about as large as the
        # distance between its members and the center (cosine to center ≈ 0.7 on average).
        self.bases = rng.standard_normal((clusters, rank, EMBEDDING_DIMENSIONS)).astype(np.float32)
        self.bases *= 1.0 / np.sqrt(rank * EMBEDDING_DIMENSIONS)
        self.rank = rank

    def sample(self, rng: np.random.Generator, count: int) -> Matrix:
        labels = rng.integers(0, len(self.centers), size=count)
        weights = rng.standard_normal((count, self.rank)).astype(np.float32)
        spread = np.einsum("nr,nrd->nd", weights, self.bases[labels], optimize=True)
        noise = rng.standard_normal((count, EMBEDDING_DIMENSIONS)).astype(np.float32) * 0.01
        points = self.centers[labels] + spread + noise
        normalized: Matrix = points / np.linalg.norm(points, axis=1, keepdims=True)
        return normalized.astype(np.float32)


def sample_in_batches(
    space: ClusteredSpace, rng: np.random.Generator, count: int, batch: int = 10_000
) -> Matrix:
    # einsum over (batch, rank, 384) gathered bases: batches keep that below ~500 MB.
    parts = [space.sample(rng, min(batch, count - start)) for start in range(0, count, batch)]
    return np.concatenate(parts)


def exact_top_k(data: Matrix, queries: Matrix, k: int) -> npt.NDArray[np.int64]:
    """Row numbers of the k most cosine-similar rows per query (rows are unit vectors)."""
    similarity = queries @ data.T
    candidates = np.argpartition(-similarity, k, axis=1)[:, :k]
    order = np.argsort(-np.take_along_axis(similarity, candidates, axis=1), axis=1)
    top: npt.NDArray[np.int64] = np.take_along_axis(candidates, order, axis=1)
    return top


# --- loading and indexing -------------------------------------------------------------


def load_companies(url: str, ids: Sequence[uuid.UUID], vectors: Matrix) -> dict[str, Any]:
    """COPY the rows in without the HNSW index, then build it once; return the timings."""
    with psycopg.connect(libpq_url(url), autocommit=True) as connection:
        register_vector(connection)
        definition = connection.execute(
            "SELECT indexdef FROM pg_indexes WHERE indexname = %s", (INDEX_NAME,)
        ).fetchone()
        if definition is None:
            raise RuntimeError(f"the migration did not create {INDEX_NAME}")
        index_sql: str = definition[0]
        # Inserting 100k rows into a live HNSW graph is many times slower than one build.
        connection.execute(f"DROP INDEX {INDEX_NAME}")
        started = time.monotonic()
        with (
            connection.transaction(),
            connection.cursor() as cursor,
            cursor.copy(
                "COPY company (id, name, domain, embedding) FROM STDIN (FORMAT BINARY)"
            ) as copy,
        ):
            copy.set_types(["uuid", "varchar", "varchar", "vector"])
            for number, (company_id, vector) in enumerate(zip(ids, vectors, strict=True)):
                copy.write_row((company_id, f"Company {number}", f"c{number}.example.com", vector))
        load_s = time.monotonic() - started
        say(f"copied {len(ids)} rows in {load_s:.1f} s; building the HNSW index")
        connection.execute("SET maintenance_work_mem = '1GB'")
        # One helper plus the leader: both cores, leaving nothing else starved for long.
        connection.execute("SET max_parallel_maintenance_workers = 1")
        started = time.monotonic()
        # The definition read back from the migrated database: identical by construction.
        connection.execute(index_sql)
        build_s = time.monotonic() - started
        connection.execute("ANALYZE company")
        size = connection.execute("SELECT pg_relation_size(%s)", (INDEX_NAME,)).fetchone()
    return {
        "load_s": round(load_s, 1),
        "index_build_s": round(build_s, 1),
        "index_mb": round((size[0] if size else 0) / 2**20, 1),
        "index_definition": index_sql,
    }


# --- querying -------------------------------------------------------------------------


async def run_queries(
    database: Database, queries: Matrix, ef_search: int
) -> tuple[list[float], list[list[uuid.UUID]]]:
    """Each query in its own unit of work, as a request would run it; wall time in ms."""
    latencies: list[float] = []
    results: list[list[uuid.UUID]] = []
    for vector in queries:
        as_list = [float(value) for value in vector]
        started = time.perf_counter()
        async with database.session() as session:
            hits = await nearest(session, Company, as_list, limit=TOP_K, ef_search=ef_search)
        latencies.append((time.perf_counter() - started) * 1000)
        results.append([record_id for record_id, _ in hits])
    return latencies, results


async def explain_product_query(database: Database, vector: Matrix, ef_search: int) -> str:
    """EXPLAIN of the exact SQL nearest() sends, captured from the engine, to show the plan."""
    captured: list[tuple[str, Any]] = []

    def capture(
        connection: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool
    ) -> None:
        if "ORDER BY" in statement:
            captured.append((statement, parameters))

    engine = database.engine.sync_engine
    event.listen(engine, "before_cursor_execute", capture)
    try:
        async with database.session() as session:
            as_list = [float(value) for value in vector]
            await nearest(session, Company, as_list, limit=TOP_K, ef_search=ef_search)
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    statement, parameters = captured[-1]
    async with database.session() as session:
        connection = await session.connection()
        raw = await connection.get_raw_connection()
        driver: Any = raw.driver_connection
        async with driver.cursor() as cursor:
            await cursor.execute(f"SET LOCAL hnsw.ef_search = {ef_search}")
            await cursor.execute("EXPLAIN " + statement, parameters)
            rows = await cursor.fetchall()
    return "\n".join(row[0] for row in rows)


def recall_at_k(
    found: Sequence[Sequence[uuid.UUID]], exact: npt.NDArray[np.int64], ids: Sequence[uuid.UUID]
) -> float:
    hits = 0
    for returned, truth in zip(found, exact, strict=True):
        hits += len(set(returned) & {ids[row] for row in truth})
    return hits / (len(found) * TOP_K)


async def measure(
    url: str,
    queries: Matrix,
    exact: npt.NDArray[np.int64],
    ids: Sequence[uuid.UUID],
    efs: list[int],
) -> tuple[dict[int, dict[str, float]], str]:
    database = Database.connect(url, pool_size=2)
    try:
        # Warm-up: the first queries read the index from the page cache into shared buffers.
        await run_queries(database, queries[: min(20, len(queries))], efs[0])
        plan = await explain_product_query(database, queries[0], efs[0])
        figures: dict[int, dict[str, float]] = {}
        for ef_search in efs:
            latencies, found = await run_queries(database, queries, ef_search)
            figures[ef_search] = {
                "p50_ms": round(percentile(latencies, 50), 2),
                "p95_ms": round(percentile(latencies, 95), 2),
                "recall_at_10": round(recall_at_k(found, exact, ids), 4),
            }
            say(f"ef_search={ef_search}: {json.dumps(figures[ef_search])}")
        return figures, plan
    finally:
        await database.dispose()


# --- the run --------------------------------------------------------------------------


def run(args: argparse.Namespace, data_dir: Path) -> dict[str, Any]:
    ef_default = args.ef_search or Settings().search_ef_search
    sweep = [int(value) for value in args.sweep.split(",") if value.strip()]
    efs = [ef_default] + [value for value in sweep if value != ef_default]

    rng = np.random.default_rng(args.seed)
    started = time.monotonic()
    space = ClusteredSpace(rng, args.clusters, args.cluster_rank)
    vectors = sample_in_batches(space, rng, args.rows)
    # Fresh draws from the same clusters: near the data, never identical to a stored row.
    queries = space.sample(np.random.default_rng(args.seed + 1), args.queries)
    exact = exact_top_k(vectors, queries, TOP_K)
    # How tight the neighbourhoods are, to compare with real embeddings of company texts.
    neighbour_cosine = np.einsum("qd,qkd->qk", queries, vectors[exact])
    say(
        f"generated {args.rows} vectors and exact top-{TOP_K} in {time.monotonic() - started:.1f} s"
    )

    say(f"data folder {data_dir}; starting the embedded Postgres")
    url = start_embedded_postgres(data_dir / "pgdata")
    migrations.upgrade(url)
    ids = [uuid.uuid4() for _ in range(args.rows)]
    loading = load_companies(url, ids, vectors)
    say(f"index built in {loading['index_build_s']} s ({loading['index_mb']} MB)")

    figures, plan = asyncio.run(measure(url, queries, exact, ids, efs))
    default = figures[ef_default]
    meeting = [
        ef
        for ef in sorted(figures)
        if figures[ef]["recall_at_10"] >= RECALL_TARGET and figures[ef]["p95_ms"] <= P95_TARGET_MS
    ]
    return {
        "rows": args.rows,
        "queries": args.queries,
        "p50_ms": default["p50_ms"],
        "p95_ms": default["p95_ms"],
        "recall_at_10": default["recall_at_10"],
        "ef_search": ef_default,
        "index_build_s": loading["index_build_s"],
        "index_mb": loading["index_mb"],
        "load_s": loading["load_s"],
        "sweep": {str(ef): figures[ef] for ef in sorted(figures)},
        "smallest_ef_search_meeting_targets": meeting[0] if meeting else None,
        "plan_uses_hnsw": INDEX_NAME in plan,
        "vectors": "synthetic clustered",
        "clusters": args.clusters,
        "cluster_rank": args.cluster_rank,
        "mean_cosine_to_exact_neighbour": {
            "1st": round(float(neighbour_cosine[:, 0].mean()), 3),
            "10th": round(float(neighbour_cosine[:, -1].mean()), 3),
        },
        "timed": "one unit of work per query: session, SET LOCAL, SELECT, commit",
        "targets": {"p95_ms": P95_TARGET_MS, "recall_at_10": RECALL_TARGET},
        "targets_met": default["p95_ms"] <= P95_TARGET_MS
        and default["recall_at_10"] >= RECALL_TARGET,
        "cpus": os.cpu_count(),
        "load_average_at_start": round(os.getloadavg()[0], 2),
    }


def main(argv: Sequence[str] | None = None) -> int:
    return run_bench(run, parse_args(argv), prefix="cs-")


if __name__ == "__main__":
    raise SystemExit(main())
