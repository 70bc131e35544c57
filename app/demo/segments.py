"""The demo's ICP segment: a run dimension every outreach run carries, with a story by design.

Each outreach run's segment follows from its correlation id alone (a CRC, no draw from the
generator's random stream, so every other demo figure is unchanged by it). Its outreach ladder
(reply → positive reply → deal → closed won) then climbs at the profile's rates scaled per rung:

- `startup` replies most often (2.5x the reply rate) and never opens a deal, so never closes;
- `mid-market` converts best past the reply (positive reply 1.3x, deal 1.8x, closed won 1.6x),
  at the same cost per run as the others: the cheapest deals by construction;
- `enterprise` replies less often (0.7x), `smb` at the profile's rates.

`declare_segment` declares the dimension in the demo tenant (allowed values: SEGMENTS).
"""

from __future__ import annotations

import uuid
import zlib

from sqlalchemy.ext.asyncio import AsyncSession

from app.services.decisions.dimensions import declare_dimension

KEY = "segment"
WORKFLOW = "outreach"
SEGMENTS = ("enterprise", "mid-market", "smb", "startup")
_WEIGHTS = (2, 3, 3, 2)  # of 10 outreach runs
NEVER_CLOSES = "startup"
CHEAPEST_DEALS = "mid-market"
RUNG_FACTORS: dict[str, dict[str, float]] = {
    "enterprise": {"reply": 0.7},
    "mid-market": {"positive-reply": 1.3, "deal": 1.8, "closed-won": 1.6},
    "smb": {},
    "startup": {"reply": 2.5, "deal": 0.0},
}


def segment_of(workflow_key: str, correlation_id: str) -> str | None:
    """The run's segment (outreach runs only; None for the other workflows)."""
    if workflow_key != WORKFLOW:
        return None
    slot = zlib.crc32(correlation_id.encode()) % sum(_WEIGHTS)
    for segment, weight in zip(SEGMENTS, _WEIGHTS, strict=True):
        if slot < weight:
            return segment
        slot -= weight
    raise AssertionError("unreachable: the slot is below the weights' sum")


def rung_factor(workflow_key: str, correlation_id: str, rung: str) -> float:
    """How the run's segment scales the rate of reaching `rung` (1.0 outside outreach)."""
    segment = segment_of(workflow_key, correlation_id)
    return 1.0 if segment is None else RUNG_FACTORS[segment].get(rung, 1.0)


def closes(workflow_key: str, correlation_id: str) -> bool:
    """False for the segment that never opens a deal (the ladder fallbacks respect it too)."""
    return segment_of(workflow_key, correlation_id) != NEVER_CLOSES


async def declare_segment(*, session: AsyncSession, tenant_id: uuid.UUID) -> None:
    await declare_dimension(
        session=session,
        tenant_id=tenant_id,
        key=KEY,
        description="ICP segment of the outreach lead",
        allowed=SEGMENTS,
    )
