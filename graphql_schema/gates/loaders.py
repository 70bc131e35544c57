"""Loaders of gates, readiness and gate history: one query (or one window group) per batch.

`readiness` batches every workflow of a request: the workflows from the request's
`workflow_by_id` loader (no query after `workflows`, which primes it), gates in force in one
query, then one statement per distinct window length (see `app.services.gates.readiness`), so a list
of workflows asking `readiness` costs a bounded number of queries. The history loaders are keyed by
(workflow, first) and run one ranked query per distinct `first`.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

from strawberry.dataloader import DataLoader

from app.db.tables import AutonomyEvent as EventRow
from app.db.tables import AutonomyGate as GateRow
from app.db.tables import GateEvaluation as EvaluationRow
from app.domain.readiness import Readiness
from app.services.gates.autonomy import autonomy_history
from app.services.gates.definitions import gate_history, gates_in_force
from app.services.gates.evaluations import recent_evaluations
from app.services.gates.readiness import readiness_of
from graphql_schema.batching import keyed_loader

if TYPE_CHECKING:
    from graphql_schema.context import Context

T = TypeVar("T")
PageKey = tuple[uuid.UUID, int]  # (workflow id, first)


@dataclass
class GateLoaders:
    in_force: DataLoader[uuid.UUID, dict[int, GateRow]]
    history: DataLoader[uuid.UUID, list[GateRow]]
    readiness: DataLoader[uuid.UUID, Readiness]
    evaluations: DataLoader[PageKey, list[EvaluationRow]]
    events: DataLoader[PageKey, list[EventRow]]


def _paged(
    context: Context, query: Callable[..., Awaitable[dict[uuid.UUID, list[T]]]]
) -> DataLoader[PageKey, list[T]]:
    async def load(keys: list[PageKey]) -> list[list[T]]:
        groups: dict[int, list[uuid.UUID]] = defaultdict(list)
        for workflow_id, first in keys:
            groups[first].append(workflow_id)
        found: dict[PageKey, list[T]] = {}
        async with context.transaction() as tx:
            for first, ids in groups.items():
                pages = await tx.call(query, workflow_ids=list(dict.fromkeys(ids)), first=first)
                found.update({(wid, first): rows for wid, rows in pages.items()})
        return [found[key] for key in keys]

    return DataLoader(load_fn=load)


def _readiness(context: Context) -> DataLoader[uuid.UUID, Readiness]:
    async def load(ids: list[uuid.UUID]) -> list[Readiness]:
        # The request's workflow loader: no query when `workflows` already read them.
        rows = await context.loaders.workflow_by_id.load_many(ids)
        found = await context.call(
            readiness_of, workflows=[row for row in rows if row is not None], now=context.now
        )
        return [found[wid] for wid in ids]

    return DataLoader(load_fn=load)


def build(context: Context) -> GateLoaders:
    return GateLoaders(
        in_force=keyed_loader(context, gates_in_force, argument="workflow_ids"),
        history=keyed_loader(context, gate_history, argument="workflow_ids"),
        readiness=_readiness(context),
        evaluations=_paged(context, recent_evaluations),
        events=_paged(context, autonomy_history),
    )
