"""Reference (pure) implementation of the cost breakdown behind ``costBreakdown``.

Items (usage events, already carrying their cost in Decimal currency units) are grouped by the
values of the requested dimensions. Bucket costs add up to the total of the items exactly.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from app.domain.money import sum_money

NONE_KEY = "(none)"
"""Key value of a dimension an item does not have (absent or ``None``)."""


@dataclass(frozen=True)
class CostItem:
    """One costed usage event with its dimension values (e.g. ``{"MODEL": "gpt-x"}``)."""

    dims: Mapping[str, str | None] = field(hash=False)
    cost: Decimal
    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    reasoning_tokens: int = 0
    cache_write_tokens: int = 0


@dataclass(frozen=True)
class Bucket:
    """One group: ``key`` holds one value per ``group_by`` dimension, in order."""

    key: tuple[str, ...]
    cost: Decimal
    events: int
    input_tokens: int
    output_tokens: int
    cache_read_tokens: int
    reasoning_tokens: int
    cache_write_tokens: int = 0


def bucket_key(dims: Mapping[str, str | None], group_by: Sequence[str]) -> tuple[str, ...]:
    """The bucket key of an item: its value for each dimension, ``"(none)"`` when missing."""
    key: list[str] = []
    for dim in group_by:
        value = dims.get(dim)
        key.append(NONE_KEY if value is None else value)
    return tuple(key)


def breakdown(items: Iterable[CostItem], group_by: Sequence[str]) -> list[Bucket]:
    """Group ``items`` by ``group_by`` and sum cost, event count and tokens per group.

    Sorted by cost descending, then key ascending (so the order is total and deterministic).
    An empty ``group_by`` yields a single bucket with key ``()`` (the grand total); no items
    yield ``[]``. Costs are summed exactly (no rounding).
    """
    groups: dict[tuple[str, ...], list[CostItem]] = {}
    for item in items:
        groups.setdefault(bucket_key(item.dims, group_by), []).append(item)
    buckets = [
        Bucket(
            key=key,
            cost=sum_money(i.cost for i in members),
            events=len(members),
            input_tokens=sum(i.input_tokens for i in members),
            output_tokens=sum(i.output_tokens for i in members),
            cache_read_tokens=sum(i.cache_read_tokens for i in members),
            reasoning_tokens=sum(i.reasoning_tokens for i in members),
            cache_write_tokens=sum(i.cache_write_tokens for i in members),
        )
        for key, members in groups.items()
    ]
    buckets.sort(key=lambda b: b.key)
    buckets.sort(key=lambda b: b.cost, reverse=True)
    return buckets
