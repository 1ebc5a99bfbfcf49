"""Durable background jobs: dramatiq actors on a broker that keeps its queue in Postgres."""
