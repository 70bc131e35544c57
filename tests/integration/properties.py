"""Hypothesis settings for properties that write to the database on every example."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

# The fuzz tests' examples per test: `LEDGER_FUZZ_EXAMPLES`, default 30 (the CI budget).
FUZZ_EXAMPLES = int(os.environ.get("LEDGER_FUZZ_EXAMPLES", "30"))


def database_settings(max_examples: int, *also_expected: HealthCheck) -> settings:
    """No deadline, and the function-scoped fixtures (the tenant) and slow examples such a
    property always has are expected, not health problems; so is each of `also_expected`
    (large random data, filtered draws for the fuzz tests)."""
    return settings(
        max_examples=max_examples,
        deadline=None,
        suppress_health_check=[
            HealthCheck.function_scoped_fixture,
            HealthCheck.too_slow,
            *also_expected,
        ],
    )
