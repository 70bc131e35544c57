"""`findings`: what to fix first and what it is worth; `findingThresholds` and their setter."""

from __future__ import annotations

import asyncio
import enum
from decimal import Decimal
from typing import Annotated

import strawberry

from app.db.tables import Workflow as WorkflowRow
from app.domain import finding_thresholds as limits
from app.domain import findings as rules
from app.domain import usage_findings as usage_rules
from app.domain.effort import TierTotals, compare_tiers
from app.domain.failure_reasons import failure_reasons
from app.services.costs.cohorts import CohortQuestion
from app.services.costs.scope import CostScope
from app.services.decisions import findings as reads
from app.services.tenancy import catalog
from graphql_schema.context import Info
from graphql_schema.costs.loaders import CohortKey
from graphql_schema.decisions.args import RangeArg
from graphql_schema.errors import field_errors
from graphql_schema.loaders import loaders, require_workflow
from graphql_schema.permissions import CanConfigure, CanRead
from graphql_schema.shaping import copy_fields


@strawberry.enum(description="A cost-bloat pattern (docs/numbers.md, Findings).")
class FindingPattern(enum.Enum):
    HIGH_EFFORT_LOW_VALUE = strawberry.enum_value(
        "HIGH_EFFORT_LOW_VALUE",
        description="A dearer reasoning-effort tier with no proven quality lift.",
    )
    RESENT_CONTEXT = strawberry.enum_value(
        "RESENT_CONTEXT", description="Large inputs re-sent with a near-zero cache hit share."
    )
    LONG_CONTEXT = strawberry.enum_value(
        "LONG_CONTEXT", description="Calls far above the long-context threshold."
    )
    UNPLACED_SPEND = strawberry.enum_value(
        "UNPLACED_SPEND", description="Spend carrying no step: nobody can place it."
    )
    FAILURE_WASTE = strawberry.enum_value(
        "FAILURE_WASTE", description="Money spent on failed runs: pure cost, zero output."
    )


@strawberry.type(description="One figure behind a finding.")
class FindingEvidence:
    name: str = strawberry.field(description="What the figure is.")
    value: str = strawberry.field(description="Its value, as text (money, count or share).")


@strawberry.type(description="A cost-bloat pattern found in a workflow, priced.")
class Finding:
    pattern: FindingPattern = strawberry.field(description="Which pattern fired.")
    workflow_key: str = strawberry.field(description="The workflow it fired in.")
    money_at_stake_per_month: Decimal = strawberry.field(
        description="What the pattern cost over the range, scaled to 30 days."
    )
    summary: str = strawberry.field(description="What was found, in one sentence.")
    suggested_change: str = strawberry.field(description="What to change.")
    evidence: list[FindingEvidence] = strawberry.field(description="The figures behind it.")
    runs: list[str] = strawberry.field(
        description="Correlation ids of the runs behind it (at most 5, costliest first)."
    )
    calls: list[str] = strawberry.field(
        description="Event ids of the calls behind it (at most 5, costliest first)."
    )

    @classmethod
    def of(cls, found: rules.Finding) -> Finding:
        return copy_fields(
            cls,
            found,
            pattern=FindingPattern(found.pattern.value),
            evidence=[copy_fields(FindingEvidence, e) for e in found.evidence],
        )


@strawberry.type(description="A findings threshold: its value in force, default and meaning.")
class FindingThreshold:
    name: str = strawberry.field(description="The threshold's name.")
    value: Decimal = strawberry.field(description="The value in force for the tenant.")
    default: Decimal = strawberry.field(description="The value when the tenant sets none.")
    description: str = strawberry.field(description="What it decides.")


def _threshold(spec: limits.Threshold, values: dict[str, Decimal]) -> FindingThreshold:
    return FindingThreshold(
        name=spec.name,
        value=values.get(spec.name, spec.default),
        default=spec.default,
        description=spec.description,
    )


async def _findings_of(
    info: Info, workflows: list[WorkflowRow], key_range: RangeArg
) -> list[rules.Finding]:
    span = key_range.to_range()
    seconds = max(1, int((span.end - span.start).total_seconds()))
    ids = [w.workflow_id for w in workflows]
    async with info.context.transaction() as tx:
        thresholds = limits.Thresholds(await tx.call(reads.tenant_thresholds))
        usage = await tx.call(
            reads.usage_figures,
            workflow_ids=ids,
            time_range=span,
            long_context_tokens=thresholds.count("long_context_input_tokens"),
        )
        failed_runs = await reads.costliest_failed_runs(
            session=tx.session,
            question=CohortQuestion(tx.tenant_id, ids, span, CostScope(), info.context.now),
        )
    keys = [CohortKey(w.workflow_id, span, CostScope()) for w in workflows]
    found = loaders(info)
    tiers, cohorts, reasons, declared = await asyncio.gather(
        found.decisions.by_effort.load_many(keys),
        found.cohort.load_many(keys),
        found.decisions.by_reason.load_many(keys),
        found.decisions.reason_codes.load(None),
    )
    results: list[rules.Finding | None] = []
    for w, slices, cohort, reason_rows in zip(workflows, tiers, cohorts, reasons, strict=True):
        economics = compare_tiers(
            [TierTotals(s.value, s.totals) for s in slices],
            min_finished=thresholds.count("effort_min_finished"),
        )
        results.append(
            rules.high_effort_low_value(
                w.key, economics, thresholds=thresholds, range_seconds=seconds
            )
        )
        figures = usage.get(w.workflow_id)
        if figures is not None:
            for detect in (usage_rules.resent_context, usage_rules.long_context):
                results.append(
                    detect(w.key, figures.context, thresholds=thresholds, range_seconds=seconds)
                )
            results.append(
                usage_rules.unplaced_spend(
                    w.key, figures.placement, thresholds=thresholds, range_seconds=seconds
                )
            )
        ranked = failure_reasons(reason_rows, total_cost=cohort.total_cost, declared=declared)
        top = ranked.reasons[0] if ranked.reasons else None
        results.append(
            rules.failure_waste(
                w.key,
                rules.FailureStats(
                    finished=cohort.finished,
                    failed_runs=sum(runs for runs, _ in cohort.by_status.values()),
                    failed_cost=cohort.failed_cost,
                    total_cost=cohort.total_cost,
                    top_reason=None if top is None else (top.label or top.code),
                    top_reason_cost=None if top is None else top.cost,
                    sample_runs=failed_runs.get(w.workflow_id, []),
                ),
                thresholds=thresholds,
                range_seconds=seconds,
            )
        )
    return rules.rank_findings(results)


@strawberry.type
class FindingQueries:
    @strawberry.field(
        permission_classes=[CanRead],
        description="Every cost-bloat pattern found in range (tenant-wide, or in one workflow), "
        "with its evidence, money at stake per month and a suggested change, most money first. "
        "Not enough data is never a finding.",
    )
    async def findings(
        self,
        info: Info,
        time_range: RangeArg,
        workflow_key: Annotated[
            str | None,
            strawberry.argument(description="Only this workflow; every workflow when absent."),
        ] = None,
    ) -> list[Finding]:
        if workflow_key is not None:
            workflows = [await require_workflow(info, workflow_key)]
        else:
            workflows = await info.context.call(catalog.list_workflows)
        if not workflows:
            return []
        return [Finding.of(f) for f in await _findings_of(info, workflows, time_range)]

    @strawberry.field(
        permission_classes=[CanRead],
        description="Every findings threshold with the value in force for the tenant.",
    )
    async def finding_thresholds(self, info: Info) -> list[FindingThreshold]:
        values = await info.context.call(reads.tenant_thresholds)
        return [_threshold(spec, values) for spec in limits.THRESHOLDS]


@strawberry.type
class FindingMutations:
    @strawberry.mutation(
        permission_classes=[CanConfigure],
        description="Set a findings threshold for the tenant; value null restores the default.",
    )
    async def set_finding_threshold(
        self,
        info: Info,
        name: Annotated[str, strawberry.argument(description="The threshold (findingThresholds).")],
        value: Annotated[
            Decimal | None, strawberry.argument(description="The new value; null: the default.")
        ] = None,
    ) -> FindingThreshold:
        with field_errors():
            async with info.context.transaction() as tx:
                await tx.call(reads.set_threshold, name=name, value=value)
                values = await tx.call(reads.tenant_thresholds)
        return _threshold(limits.BY_NAME[name], values)
