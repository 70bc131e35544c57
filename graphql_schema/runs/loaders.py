"""Loaders of per-run cost and usage, keyed by correlation id: one query per batch of runs."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from strawberry.dataloader import DataLoader

from app.db.tables import UsageEvent as UsageEventRow
from app.services.costs import run_reads
from graphql_schema.batching import keyed_loader

if TYPE_CHECKING:
    from graphql_schema.context import Context

RunCost = DataLoader[str, Decimal]
RunUsage = DataLoader[str, list[UsageEventRow]]


def run_cost(context: Context) -> RunCost:
    return keyed_loader(context, run_reads.run_costs, argument="correlation_ids")


def run_usage(context: Context) -> RunUsage:
    return keyed_loader(context, run_reads.run_usage, argument="correlation_ids")
