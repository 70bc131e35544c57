"""Hypothesis settings for properties that write to the database on every example."""

from __future__ import annotations

from hypothesis import HealthCheck, settings


def database_settings(max_examples: int) -> settings:
    """No deadline, and the function-scoped fixtures (the tenant) and slow examples such a
    property always has are expected, not health problems."""
    return settings(
        max_examples=max_examples,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
