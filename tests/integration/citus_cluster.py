"""The Citus test modules' guard: they run on a cluster (LEDGER_CITUS_WORKERS set, DATABASE_URL on
the coordinator; `scripts/citus up`), and are skipped with the reason without one — unless
LEDGER_REQUIRE_CITUS=1 (CI's Citus stage sets it), where a missing cluster is an error."""

from __future__ import annotations

import os

import pytest

from app.db.citus import workers_from_env


def require_cluster() -> None:
    """Call at a Citus test module's top level."""
    if workers_from_env():
        return
    if os.environ.get("LEDGER_REQUIRE_CITUS") == "1":
        raise RuntimeError("LEDGER_REQUIRE_CITUS=1 but LEDGER_CITUS_WORKERS is not set")
    pytest.skip(
        "no Citus cluster: set LEDGER_CITUS_WORKERS (scripts/citus up)", allow_module_level=True
    )
