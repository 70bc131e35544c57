"""One gate definition for the tests; each file overrides only what its checks are about."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from app.domain.gates import GateSpec

DEFAULTS: dict[str, Any] = {
    "target_level": 1,
    "min_acceptance_rate": 0.8,
    "min_sample_size": 50,
    "confidence": 0.95,
    "max_cost_per_outcome": Decimal("5.00"),
    "max_drift_pct": 10.0,
    "window_days": 30,
}


def gate_spec(**overrides: Any) -> GateSpec:
    """A GateSpec with the defaults above, `overrides` taking precedence."""
    return GateSpec(**{**DEFAULTS, **overrides})
