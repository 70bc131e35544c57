"""Configuration and ingest mutations: authorize, call the service, shape the answer.

Configuration (createClient, upsertWorkflow, setModelPrice) needs the `configure` scope and
raises BAD_USER_INPUT naming the field. Ingest (startRuns, ingestUsage, labelRuns,
recordOutcomes, recordRevenue) needs `ingest` and returns semantic problems as data in
IngestResult.errors; a batch over `max_batch_records` is BAD_USER_INPUT before any work, and a
batch the tenant's ingest rate limit cannot take (the bucket /v1/events uses, one token per record)
is RATE_LIMITED with `retryAfter` seconds, nothing written. Every answer is given after commit.
"""

from __future__ import annotations

import inspect
from typing import Annotated, Any

import strawberry
from sqlalchemy.exc import IntegrityError

from app.ingest.rate_limit import check_tenant_rate, rate_limited_message
from app.services.ingest import BatchTooLarge, ingest_records
from app.services.pricing.prices import make_price, set_model_price
from app.services.tenancy.tenants import create_client
from app.services.tenancy.workflows import upsert_workflow
from graphql_schema.clients.types import Client
from graphql_schema.context import Info
from graphql_schema.errors import BadUserInput, RateLimited, field_errors
from graphql_schema.ingest.convert import record_of
from graphql_schema.ingest.inputs import (
    ClientInput,
    ModelPriceInput,
    OutcomeInput,
    RevenueInput,
    RunInput,
    RunLabelInput,
    UsageEventInput,
    WorkflowInput,
)
from graphql_schema.ingest.types import IngestResult, ModelPrice, SetModelPricePayload
from graphql_schema.permissions import CanConfigure, CanIngest
from graphql_schema.workflows.types import Workflow
from workers.jobs.repricing import enqueue_reprice
from workers.jobs.roi import enqueue_recompute

CLIENT_NAME_LENGTH = 200


@strawberry.type
class ConfigMutations:
    @strawberry.mutation(permission_classes=[CanConfigure], description="Add a client.")
    async def create_client(
        self,
        info: Info,
        input: Annotated[ClientInput, strawberry.argument(description="The new client.")],
    ) -> Client:
        name = input.name.strip()
        if not name or len(name) > CLIENT_NAME_LENGTH:
            raise BadUserInput(f"name must be 1 to {CLIENT_NAME_LENGTH} characters.", field="name")
        try:
            row = await info.context.call(create_client, name=name)
        except IntegrityError:
            raise BadUserInput(f"A client named {name!r} already exists.", field="name") from None
        return Client.from_row(row)

    @strawberry.mutation(
        permission_classes=[CanConfigure],
        description="Create a workflow, or update the one with this key (autonomy level kept).",
    )
    async def upsert_workflow(
        self,
        info: Info,
        input: Annotated[WorkflowInput, strawberry.argument(description="The workflow, by key.")],
    ) -> Workflow:
        ladder = [(r.key, r.name) for r in input.ladder] if input.ladder is not None else None
        with field_errors():
            row = await info.context.call(
                upsert_workflow,
                key=input.key,
                name=input.name,
                division=input.division,
                acceptance_hold_hours=input.acceptance_hold_hours or 0,
                ladder=ladder,
            )
        return Workflow.from_row(row)

    @strawberry.mutation(
        permission_classes=[CanConfigure],
        description="Set a model's price (USD per million tokens) from effectiveFrom on; "
        "replaces the price with the same provider, model and effectiveFrom.",
    )
    async def set_model_price(
        self,
        info: Info,
        input: Annotated[ModelPriceInput, strawberry.argument(description="The price.")],
    ) -> SetModelPricePayload:
        with field_errors():
            price = make_price(**vars(input))  # the input's fields are make_price's arguments
            stored = await info.context.call(set_model_price, price=price)
        # Committed: reprice the model's priced usage in the background (best effort).
        await enqueue_reprice(
            info.context.arq, info.context.principal.tenant_id, price.provider, price.model
        )
        return SetModelPricePayload(model_price=ModelPrice.from_price(stored))


def ingest_mutation(
    kind: str, item: type, *, argument: str, argument_description: str, description: str
) -> Any:
    """An ingest mutation (ingest scope): a list of `item` inputs in `argument`, stored as
    records of `kind` by `_ingest`, whose batch errors name `argument`."""

    async def resolver(info: Info, **arguments: list[Any]) -> IngestResult:
        return await _ingest(info, argument, [record_of(kind, i) for i in arguments[argument]])

    # strawberry reads a resolver's arguments from its signature; this one names `argument`.
    items = Annotated[
        list[item],  # type: ignore[valid-type]
        strawberry.argument(description=argument_description),
    ]
    resolver.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [
            inspect.Parameter("info", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=Info),
            inspect.Parameter(argument, inspect.Parameter.KEYWORD_ONLY, annotation=items),
        ],
        return_annotation=IngestResult,
    )
    return strawberry.mutation(
        resolver=resolver, permission_classes=[CanIngest], description=description
    )


@strawberry.type
class IngestMutations:
    start_runs = ingest_mutation(
        "run",
        RunInput,
        argument="runs",
        argument_description="The runs, at most the batch limit.",
        description="Start runs; idempotent by correlationId.",
    )
    ingest_usage = ingest_mutation(
        "usage",
        UsageEventInput,
        argument="events",
        argument_description="The events, at most the batch limit.",
        description="Record usage; idempotent by eventId.",
    )
    label_runs = ingest_mutation(
        "label",
        RunLabelInput,
        argument="labels",
        argument_description="The labels, at most the batch limit.",
        description="Label runs; idempotent by (correlationId, at, status). Each touched run's "
        "status is recomputed from its whole label history and its workflow's acceptance hold.",
    )
    record_outcomes = ingest_mutation(
        "outcome",
        OutcomeInput,
        argument="outcomes",
        argument_description="The outcomes, at most the batch limit.",
        description="Record that subjects (or runs) reached ladder rungs; idempotent by eventId. "
        'The rung must be active in the workflow\'s ladder and not "accepted" (derived from run '
        "labels); give a subject, a correlationId, or both.",
    )
    record_revenue = ingest_mutation(
        "revenue",
        RevenueInput,
        argument="events",
        argument_description="The revenue events, at most the batch limit.",
        description="Record revenue of clients; idempotent by eventId. amount is exact, in whole "
        "cents; negative for refunds and corrections. Attributed to accepted runs that finished "
        "in the 30 days before it (see docs/numbers.md).",
    )


async def _ingest(info: Info, argument: str, records: list[dict[str, Any]]) -> IngestResult:
    limit = info.context.settings.max_batch_records
    if len(records) > limit:
        raise BadUserInput(
            f"A batch holds at most {limit} records; got {len(records)}.", field=argument
        )
    context = info.context
    decision = await check_tenant_rate(
        context.settings, context.arq, context.principal.tenant_id, len(records)
    )
    if not decision.admitted:
        raise RateLimited(rate_limited_message(decision), retryAfter=decision.retry_after)
    try:
        outcome = await context.call(ingest_records, records=records, max_records=limit)
    except BatchTooLarge as exc:  # the check above makes this unreachable; kept for safety
        raise BadUserInput(str(exc), field=argument) from None
    # Committed: now the ROI recompute may be enqueued (best effort; the cron catches up).
    await enqueue_recompute(context.arq, context.principal.tenant_id, outcome.roi_windows)
    return IngestResult.from_outcome(outcome)
