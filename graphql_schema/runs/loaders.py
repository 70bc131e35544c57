"""Loaders of per-run cost and usage, keyed by correlation id: one query per batch of runs."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from strawberry.dataloader import DataLoader

from app.db.tables import UsageEvent as UsageEventRow
from app.services.costs import run_reads

if TYPE_CHECKING:
    from graphql_schema.context import Context

RunCost = DataLoader[str, Decimal]
RunUsage = DataLoader[str, list[UsageEventRow]]


def run_cost(context: Context) -> RunCost:
    async def load(correlation_ids: list[str]) -> list[Decimal]:
        found = await context.call(run_reads.run_costs, correlation_ids=correlation_ids)
        return [found[cid] for cid in correlation_ids]

    return DataLoader(load_fn=load)


def run_usage(context: Context) -> RunUsage:
    async def load(correlation_ids: list[str]) -> list[list[UsageEventRow]]:
        found = await context.call(run_reads.run_usage, correlation_ids=correlation_ids)
        return [found[cid] for cid in correlation_ids]

    return DataLoader(load_fn=load)
