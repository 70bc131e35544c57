"""Running a real arq worker in a test: burst mode, on the test Redis."""

from __future__ import annotations

from typing import Any

from arq.worker import Worker, create_worker


async def run_burst(worker_kwargs: dict[str, Any]) -> Worker:
    """Run a worker built from `worker_kwargs` (workers.settings.worker_settings) until its
    queue is empty, without signal handlers and polling every 50 ms; returns it, closed, for
    its counters (jobs_complete, jobs_failed)."""
    worker = create_worker(worker_kwargs, burst=True, handle_signals=False, poll_delay=0.05)
    try:
        await worker.main()
    finally:
        await worker.close()
    return worker
