"""GraphQL enums, exposed over the Python enums the domain and services already define.

CheckStatus and WindowStatus belong to gates and ROI windows, which have no domain module yet;
they are defined here until those land (then they move next to their arithmetic).
"""

from __future__ import annotations

import enum

import strawberry

from app.domain.enums import RunStatus, UsageKind
from app.services.costs.breakdown import CostDimension
from app.services.costs.figures import CostBasis

# strawberry.enum registers the class itself (and returns it), so the types stay plain enums.
strawberry.enum(RunStatus)
strawberry.enum(UsageKind)
strawberry.enum(
    CostBasis,
    description="RACK_RATE: priced from the price book. RECONCILED: each provider-month's LLM "
    "costs scaled to its recorded invoice (recordInvoice); the rest stays at rack rate.",
)
strawberry.enum(CostDimension)


@strawberry.enum(description="The outcome of one gate check; not enough data is never a pass.")
class CheckStatus(enum.Enum):
    PASS = "PASS"  # noqa: S105 (a check status, not a password)
    FAIL = "FAIL"
    INSUFFICIENT_DATA = "INSUFFICIENT_DATA"


@strawberry.enum(description="OPEN until the 30-day attribution window has passed, then FINAL.")
class WindowStatus(enum.Enum):
    OPEN = "OPEN"
    FINAL = "FINAL"


__all__ = ["CheckStatus", "CostBasis", "CostDimension", "RunStatus", "UsageKind", "WindowStatus"]
