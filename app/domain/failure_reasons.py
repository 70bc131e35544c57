"""Why runs fail, in money: failure cost by status and normalised reason, top reasons first.

A failed run's reason is the free text of the label that gave it its failure status. Reasons
are grouped by their **code**: the text trimmed, inner whitespace collapsed to one space and
case-folded (``"  Price   Objection"`` → ``"price objection"``). A tenant may declare codes
with a label of their own; a reason whose code is declared is reported with that label, any
other code is still reported (``declared = False``): nothing is dropped. A run without a reason
has code ``None``.

Money is Decimal; shares are floats relative to the cohort's total spend (the same total as
`app.domain.failure_share`), so the rows of one status add up to that status's cost exactly.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from app.domain.enums import FAILURE_STATUSES, RunStatus
from app.domain.money import share, sum_money

MAX_CODE_LENGTH = 200


def normalize_reason(text: str | None) -> str | None:
    """The code of a reason: trimmed, whitespace collapsed, case-folded, at most 200 characters;
    ``None`` for absent or blank text."""
    if text is None:
        return None
    code = " ".join(text.split()).casefold()[:MAX_CODE_LENGTH]
    return code or None


@dataclass(frozen=True)
class ReasonRuns:
    """What SQL counts: failed runs of one status with one raw reason text, and their cost."""

    status: RunStatus
    reason: str | None
    runs: int
    cost: Decimal


@dataclass(frozen=True)
class ReasonCost:
    """One (status, reason code) row. ``example`` is the commonest raw text of the code (ties:
    the alphabetically first); ``label`` the tenant's label when the code is declared."""

    status: RunStatus
    code: str | None
    label: str | None
    declared: bool
    example: str | None
    runs: int
    cost: Decimal
    share: float | None


@dataclass(frozen=True)
class FailureReasons:
    """Every (status, code) row, ranked by cost (descending), then status order, then code."""

    total_cost: Decimal
    failed_cost: Decimal
    reasons: list[ReasonCost]


def failure_reasons(
    rows: Iterable[ReasonRuns], *, total_cost: Decimal, declared: Mapping[str, str] | None = None
) -> FailureReasons:
    """Group ``rows`` by (status, code) and rank them by money lost.

    ``declared`` maps declared codes (already normalised) to their labels. Rows of non-failure
    statuses are ignored. ``share = cost / total_cost`` (``None`` when the total is 0). Raises
    :class:`ValueError` for a negative run count.
    """
    labels = declared or {}
    grouped: dict[tuple[RunStatus, str | None], list[ReasonRuns]] = {}
    for row in rows:
        if row.runs < 0:
            raise ValueError(f"run count must be >= 0, got {row.runs}")
        if row.status not in FAILURE_STATUSES:
            continue
        grouped.setdefault((row.status, normalize_reason(row.reason)), []).append(row)
    reasons: list[ReasonCost] = []
    for (status, code), members in grouped.items():
        cost = sum_money(m.cost for m in members)
        texts = [m for m in members if normalize_reason(m.reason) is not None]
        example = min(texts, key=lambda m: (-m.runs, m.reason or "")).reason if texts else None
        reasons.append(
            ReasonCost(
                status=status,
                code=code,
                label=labels.get(code) if code is not None else None,
                declared=code is not None and code in labels,
                example=None if example is None else example.strip(),
                runs=sum(m.runs for m in members),
                cost=cost,
                share=share(cost, total_cost),
            )
        )
    reasons.sort(
        key=lambda r: (-r.cost, FAILURE_STATUSES.index(r.status), r.code is None, r.code or "")
    )
    return FailureReasons(
        total_cost=total_cost,
        failed_cost=sum_money(r.cost for r in reasons),
        reasons=reasons,
    )
