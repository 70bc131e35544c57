"""Writes: configuration (clients, workflows, prices) and ingest (runs, usage, labels)."""
