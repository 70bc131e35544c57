"""Assemble the strawberry schema from the domain packages, with limits and error codes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import strawberry
from graphql.validation import NoSchemaIntrospectionCustomRule
from strawberry.extensions import (
    AddValidationRules,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    ValidationCache,
)
from strawberry.schema.config import StrawberryConfig
from strawberry.tools import merge_types

from app.settings import Settings
from graphql_schema.clients.queries import ClientQueries
from graphql_schema.costs.queries import CostQueries
from graphql_schema.decisions.dimensions import RunDimensionMutations, RunDimensionQueries
from graphql_schema.decisions.failures import FailureReasonMutations, FailureReasonQueries
from graphql_schema.decisions.findings import FindingMutations, FindingQueries
from graphql_schema.decisions.roadmap import RoadmapQueries
from graphql_schema.errors import ErrorCodes, LedgerSchema
from graphql_schema.executor import LeafShortcutExecutor
from graphql_schema.gates.mutations import GateMutations
from graphql_schema.health.queries import HealthQueries
from graphql_schema.identity.mutations import IdentityMutations
from graphql_schema.identity.queries import IdentityQueries
from graphql_schema.ingest.mutations import ConfigMutations, IngestMutations
from graphql_schema.ladders.ceilings import CeilingMutations, CeilingQueries
from graphql_schema.limits import query_cost_rule
from graphql_schema.nodes.queries import NodeQueries
from graphql_schema.readiness.queries import ReadinessQueries
from graphql_schema.reconciliation.mutations import ReconciliationMutations
from graphql_schema.reconciliation.queries import ReconciliationQueries
from graphql_schema.roi.mutations import RoiMutations
from graphql_schema.runs.queries import RunQueries
from graphql_schema.scalars import SCALAR_MAP
from graphql_schema.viewer.queries import ViewerQueries
from graphql_schema.workflows.queries import WorkflowQueries

QUERIES: tuple[type, ...] = (
    ViewerQueries,
    WorkflowQueries,
    ClientQueries,
    RunQueries,
    CostQueries,
    ReadinessQueries,
    CeilingQueries,
    ReconciliationQueries,
    HealthQueries,
    FailureReasonQueries,
    RunDimensionQueries,
    RoadmapQueries,
    FindingQueries,
    NodeQueries,
    IdentityQueries,
)
MUTATIONS: tuple[type, ...] = (
    ConfigMutations,
    IngestMutations,
    ReconciliationMutations,
    CeilingMutations,
    GateMutations,
    RoiMutations,
    FailureReasonMutations,
    RunDimensionMutations,
    FindingMutations,
    IdentityMutations,
)

Query = merge_types("Query", QUERIES)
Query.__strawberry_definition__.description = (  # type: ignore[attr-defined]
    "Reads, every one scoped to the caller's tenant (client viewers: their own client)."
)
Mutation = merge_types("Mutation", MUTATIONS)
Mutation.__strawberry_definition__.description = (  # type: ignore[attr-defined]
    "Writes: configuration, ingest, gates; each answers after commit with what it changed."
)


def build_schema(settings: Settings, *, introspection: bool = True) -> strawberry.Schema:
    # The validation rule classes are made once per schema, not per request: ValidationCache
    # keys on (schema, document, rules), so per-request classes (QueryDepthLimiter and
    # MaxAliasesLimiter build a new class in __init__) made every request a cache miss and
    # re-ran the whole validation (~3 ms for the dashboard query). The classes hold no state.
    rules = [
        *QueryDepthLimiter(max_depth=settings.max_query_depth).validation_rules,
        *MaxAliasesLimiter(max_alias_count=settings.max_aliases).validation_rules,
        query_cost_rule(
            max_cost=settings.max_query_cost,
            default_list_cost=settings.default_list_cost,
            max_page_size=settings.max_page_size,
        ),
    ]
    if not introspection:
        rules.append(NoSchemaIntrospectionCustomRule)
    extensions: list[Callable[[], Any] | type] = [
        ErrorCodes,
        lambda: MaxTokensLimiter(max_token_count=settings.max_query_tokens),
        lambda: AddValidationRules(rules),
        ParserCache,
        ValidationCache,
    ]
    return LedgerSchema(
        query=Query,
        mutation=Mutation,
        extensions=extensions,
        execution_context_class=LeafShortcutExecutor if settings.fast_executor else None,
        config=StrawberryConfig(auto_camel_case=True, scalar_map=SCALAR_MAP),
    )


def sdl(settings: Settings | None = None) -> str:
    return build_schema(settings or Settings()).as_str()
