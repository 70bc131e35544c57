"""HTTP ingest routes: batch events and OTLP/HTTP traces."""

from __future__ import annotations

from starlette.routing import BaseRoute, Route

from app.ingest.events import post_events
from app.ingest.otlp import post_traces


def ingest_routes() -> list[BaseRoute]:
    return [
        Route("/v1/events", post_events, methods=["POST"]),
        Route("/v1/traces", post_traces, methods=["POST"]),
    ]
