"""GraphQL enums, exposed over the Python enums the domain and services already define.

CheckStatus and WindowStatus belong to gates and ROI windows, which have no domain module yet;
they are defined here until those land (then they move next to their arithmetic).
"""

from __future__ import annotations

import enum
from typing import Any, TypeVar

import strawberry

from app.domain.enums import RunStatus, UsageKind
from app.services.costs.breakdown import CostDimension
from app.services.costs.figures import CostBasis
from app.services.costs.slices import split_dimension

E = TypeVar("E", bound=type[enum.Enum])


def described(cls: E, description: str, values: dict[str, str]) -> E:
    """Register a Python enum with strawberry (the class itself stays a plain enum), with a
    description for the type and one for every value (a value left out is a KeyError)."""
    strawberry.enum(cls, description=description)
    for value in cls.__strawberry_definition__.values:  # type: ignore[attr-defined]
        value.description = values[value.name]
    return cls


described(
    RunStatus,
    "Status of one task attempt. RUNNING first; the others are set by a reviewer or a system "
    "signal. Only ACCEPTED can become an outcome; the other five are failures.",
    {
        "RUNNING": "Started, not labelled yet.",
        "ACCEPTED": "Accepted (provisional while inside the workflow's acceptance hold).",
        "REJECTED": "A reviewer or signal rejected the output.",
        "ABANDONED": "Given up before an output.",
        "TIMED_OUT": "Ran out of time.",
        "TOOL_ERROR": "A tool call failed.",
        "ESCALATED": "Handed to a human.",
    },
)
described(
    UsageKind,
    "What a usage event metered.",
    {
        "LLM": "A model call, priced from the price book unless a cost is reported.",
        "TOOL": "A tool call.",
        "RETRIEVAL": "A retrieval (search, vector lookup).",
        "THIRD_PARTY": "A third-party fee (data credits, email verification); cost reported.",
        "INFRA": "An infrastructure allocation; cost reported.",
    },
)
described(
    CostBasis,
    "RACK_RATE: priced from the price book. RECONCILED: each provider-month's LLM costs scaled "
    "to its recorded invoice (recordInvoice); the rest stays at rack rate.",
    {
        "RACK_RATE": "Token math at the tenant's price book.",
        "RECONCILED": "LLM costs scaled to the provider's recorded invoice for the month.",
    },
)
described(
    CostDimension,
    "A dimension spend can be broken down or sliced by.",
    {
        "WORKFLOW": "The workflow's key.",
        "CLIENT": "The run's client (its UUID).",
        "MODEL": "The model of an LLM call.",
        "PROVIDER": "The model or tool provider.",
        "STEP": "The step or role (planner, drafter…).",
        "KIND": "The usage kind (LLM, TOOL…).",
        "CAMPAIGN": "The run's campaign.",
        "CHANNEL": "The run's channel.",
        "VARIANT": "The run's variant.",
        "TEAM": "The team.",
        "DAY": "The UTC day the usage occurred.",
        "EFFORT": "The reasoning effort tier of an LLM call, trimmed and lower-cased (null when "
        "the call reported none).",
        "CUSTOM": "One of the tenant's own run dimensions (declareRunDimension), named by the "
        "field's dimensionKey argument or input field.",
    },
)


class CheckStatus(enum.Enum):
    PASS = "PASS"  # noqa: S105 (a check status, not a password)
    FAIL = "FAIL"
    INSUFFICIENT_DATA = "INSUFFICIENT_DATA"


class WindowStatus(enum.Enum):
    OPEN = "OPEN"
    FINAL = "FINAL"


described(
    CheckStatus,
    "The outcome of one gate check; not enough data is never a pass.",
    {
        "PASS": "The confidence bound clears the threshold.",
        "FAIL": "Enough data, and the bound does not clear the threshold.",
        "INSUFFICIENT_DATA": "Too few runs to decide; never a pass.",
    },
)
described(
    WindowStatus,
    "OPEN until the 30-day attribution window has passed, then FINAL.",
    {
        "OPEN": "Revenue may still be attributed to the window's runs.",
        "FINAL": "The window has passed; late data revises it (revision + 1).",
    },
)


def dimension_key_field() -> Any:
    """The `dimensionKey` beside a `dimension` field (see dimension_fields)."""
    return strawberry.field(
        description="The run dimension's key when dimension is CUSTOM; null otherwise."
    )


def dimension_fields(stored: str) -> dict[str, Any]:
    """The `dimension` and `dimension_key` fields of a type showing a stored dimension
    (a built-in name, or "CUSTOM:<key>" for a run dimension of the tenant)."""
    name, key = split_dimension(stored)
    return {"dimension": CostDimension(name), "dimension_key": key}


__all__ = ["CheckStatus", "CostBasis", "CostDimension", "RunStatus", "UsageKind", "WindowStatus"]
