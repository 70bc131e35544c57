"""`setAutonomyGate`, `promoteAutonomy` and `demoteAutonomy`: OWNER or ENGINEER only.

Bad input is BAD_USER_INPUT naming the field (`minAcceptanceRate`, `toLevel`, …) and changes
nothing; an unknown workflow is NOT_FOUND naming `workflowKey`. A promotion the gate does not
allow is not an error: it answers `promoted: false` with the readiness, and is recorded.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Annotated, Any

import strawberry

from app.domain.gates import GateSpec, InvalidGate
from app.services.gates import autonomy
from app.services.gates import definitions as gates
from app.services.ingest.errors import FieldError
from app.services.tenancy import catalog
from graphql_schema.context import Info
from graphql_schema.costs.inputs import WorkflowKeyArg
from graphql_schema.errors import BadUserInput, NotFound
from graphql_schema.gates.convert import gate_type, readiness_type
from graphql_schema.ingest.inputs import GateInput
from graphql_schema.ingest.types import PromotionResult
from graphql_schema.permissions import CanConfigure
from graphql_schema.readiness.types import AutonomyGate
from graphql_schema.workflows.types import Workflow


@contextmanager
def _field_errors() -> Iterator[None]:
    try:
        yield
    except (InvalidGate, FieldError) as exc:
        raise BadUserInput(str(exc), field=exc.field) from None
    except gates.WorkflowNotFound as exc:
        raise NotFound(str(exc), field=exc.field) from None


def _spec(input: GateInput) -> GateSpec:
    return GateSpec(
        target_level=input.target_level,
        min_acceptance_rate=input.min_acceptance_rate,
        min_sample_size=input.min_sample_size,
        confidence=0.95 if input.confidence is None else input.confidence,
        max_cost_per_outcome=input.max_cost_per_outcome,
        max_drift_pct=10.0 if input.max_drift_pct is None else input.max_drift_pct,
        window_days=30 if input.window_days is None else input.window_days,
        auto_demote_after=input.auto_demote_after,
    )


async def _decided(
    info: Info,
    decide: Callable[..., Awaitable[autonomy.PromotionOutcome]],
    workflow_key: str,
    **arguments: Any,
) -> PromotionResult:
    """`decide` (promote or demote) taken by the caller now, and the answer with the workflow
    as committed (a fresh read: the request's loaders may hold it from before the decision)."""
    with _field_errors():
        outcome = await info.context.call(
            decide,
            workflow_key=workflow_key,
            actor=info.context.principal.subject,
            now=info.context.now,
            **arguments,
        )
    found = await info.context.call(catalog.workflows_by_key, keys=[workflow_key])
    row = found.get(workflow_key)
    return PromotionResult(
        promoted=outcome.promoted,
        level=outcome.level,
        readiness=readiness_type(outcome.readiness),
        workflow=Workflow.from_row(row) if row is not None else None,
    )


@strawberry.type
class GateMutations:
    @strawberry.mutation(
        permission_classes=[CanConfigure],
        description="Define what a workflow must prove to reach targetLevel. Each call stores a "
        "new version; earlier versions stay in Workflow.gateHistory.",
    )
    async def set_autonomy_gate(
        self, info: Info, input: Annotated[GateInput, strawberry.argument(description="The gate.")]
    ) -> AutonomyGate:
        with _field_errors():
            spec = _spec(input)
            row = await info.context.call(
                gates.set_gate,
                workflow_key=input.workflow_key,
                spec=spec,
                actor=info.context.principal.subject,
                now=info.context.now,
            )
        return gate_type(row)

    @strawberry.mutation(
        permission_classes=[CanConfigure],
        description="Raise the workflow's autonomy level by one (toLevel = current + 1) if its "
        "gate for toLevel is green; otherwise promoted is false and readiness says why. Every "
        "decision is recorded in Workflow.autonomyHistory.",
    )
    async def promote_autonomy(
        self,
        info: Info,
        workflow_key: WorkflowKeyArg,
        to_level: Annotated[int, strawberry.argument(description="The current level + 1.")],
    ) -> PromotionResult:
        return await _decided(info, autonomy.promote, workflow_key, to_level=to_level)

    @strawberry.mutation(
        permission_classes=[CanConfigure],
        description="Lower the workflow's autonomy level to toLevel (any lower level), with an "
        "optional reason; recorded in Workflow.autonomyHistory. readiness is for the level "
        "above the new one.",
    )
    async def demote_autonomy(
        self,
        info: Info,
        workflow_key: WorkflowKeyArg,
        to_level: Annotated[
            int, strawberry.argument(description="Any level below the current one.")
        ],
        reason: Annotated[
            str | None, strawberry.argument(description="Why, recorded with the decision.")
        ] = None,
    ) -> PromotionResult:
        return await _decided(info, autonomy.demote, workflow_key, to_level=to_level, reason=reason)
