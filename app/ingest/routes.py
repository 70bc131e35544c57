"""HTTP ingest routes (batch events; OTLP traces later)."""

from __future__ import annotations

from starlette.routing import BaseRoute


def ingest_routes() -> list[BaseRoute]:
    return []
