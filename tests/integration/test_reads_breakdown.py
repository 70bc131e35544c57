"""costBreakdown: every dimension, exact sums, and SQL held to the pure reference breakdown."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from app.auth.principal import Role
from app.domain.breakdown import CostItem, breakdown
from app.domain.enums import UsageKind
from app.services.costs.breakdown import CostDimension, cost_breakdown
from app.services.costs.scope import CostScope, TimeRange
from tests.integration.properties import database_settings
from tests.integration.reads_factories import (
    MARCH,
    T0,
    client,
    day,
    insert,
    run,
    usage,
    workflow,
)

BREAKDOWN = """
query($range: TimeRange!, $groupBy: [CostDimension!]!, $workflowKey: String, $scope: Scope) {
  costBreakdown(range: $range, groupBy: $groupBy, workflowKey: $workflowKey, scope: $scope) {
    key cost events inputTokens outputTokens cacheReadTokens reasoningTokens
  }
}
"""


@dataclass
class Event:
    """A usage event as the test states it, and what the reference needs to know about it."""

    workflow: str
    cost: Decimal
    occurred_at: datetime
    run: str | None = None
    client: str | None = None
    team: str | None = None
    model: str | None = None
    provider: str | None = None
    step: str | None = None
    kind: str = "LLM"
    tokens: tuple[int, int, int, int] = (0, 0, 0, 0)


@dataclass
class RunSpec:
    workflow: str
    client: str | None = None
    dims: dict[str, str | None] = field(default_factory=dict)


@dataclass
class World:
    """Workflows, clients and runs of one tenant, named; rows are built from names."""

    tenant_id: uuid.UUID
    workflows: dict[str, Any]
    clients: dict[str, Any]
    runs: dict[str, RunSpec]

    def rows(self, events: list[Event]) -> list[Any]:
        t = self.tenant_id
        rows: list[Any] = [*self.workflows.values(), *self.clients.values()]
        for cid, spec in self.runs.items():
            rows.append(
                run(
                    t,
                    self.workflows[spec.workflow],
                    cid,
                    started_at=day(-10),
                    client_id=self.client_id(spec.client),
                    **spec.dims,
                )
            )
        for i, e in enumerate(events):
            rows.append(
                usage(
                    t,
                    self.workflows[e.workflow],
                    e.cost,
                    correlation_id=e.run,
                    occurred_at=e.occurred_at,
                    kind=e.kind,
                    event_id=f"e{i}",
                    client_id=self.client_id(e.client),
                    team=e.team,
                    model=e.model,
                    provider=e.provider,
                    step=e.step,
                    input_tokens=e.tokens[0],
                    output_tokens=e.tokens[1],
                    cache_read_tokens=e.tokens[2],
                    reasoning_tokens=e.tokens[3],
                )
            )
        return rows

    def client_id(self, name: str | None) -> uuid.UUID | None:
        return self.clients[name].client_id if name is not None else None

    def item(self, e: Event) -> CostItem:
        """The reference's view of an event: its dimension values, read through its run."""
        spec = self.runs.get(e.run) if e.run is not None else None
        run_dims = spec.dims if spec is not None else {}
        client_name = e.client or (spec.client if spec is not None else None)
        dims = {
            "WORKFLOW": e.workflow,
            "CLIENT": str(self.client_id(client_name)) if client_name else None,
            "MODEL": e.model,
            "PROVIDER": e.provider,
            "STEP": e.step,
            "KIND": e.kind,
            "CAMPAIGN": run_dims.get("campaign"),
            "CHANNEL": run_dims.get("channel"),
            "VARIANT": run_dims.get("variant"),
            "TEAM": e.team or run_dims.get("team"),
            "DAY": e.occurred_at.date().isoformat(),
        }
        i, o, c, r = e.tokens
        return CostItem(
            dims=dims,
            cost=e.cost,
            input_tokens=i,
            output_tokens=o,
            cache_read_tokens=c,
            reasoning_tokens=r,
        )

    def expected(
        self,
        events: list[Event],
        group_by: list[CostDimension],
        time_range: TimeRange,
        keep: Any = lambda item: True,
    ) -> list[Any]:
        items = [self.item(e) for e in events if time_range.start <= e.occurred_at < time_range.end]
        return breakdown([i for i in items if keep(i)], [d.value for d in group_by])


def new_world(tenant_id: uuid.UUID) -> World:
    t = tenant_id
    runs = {
        "r-acme": RunSpec(
            "outreach",
            "acme",
            {"campaign": "spring", "channel": "email", "variant": "A", "team": "red"},
        ),
        "r-globex": RunSpec(
            "outreach", "globex", {"campaign": "spring", "channel": "sms", "variant": "B"}
        ),
        "r-support": RunSpec("support", None, {"team": "blue"}),
    }
    return World(
        tenant_id=t,
        workflows={"outreach": workflow(t, "outreach"), "support": workflow(t, "support")},
        clients={"acme": client(t, "Acme"), "globex": client(t, "Globex")},
        runs=runs,
    )


FIXED_EVENTS = [
    Event(
        "outreach",
        Decimal("1.1000000001"),
        day(0, 1),
        run="r-acme",
        model="gpt-x",
        provider="openai",
        step="drafter",
        tokens=(100, 10, 50, 5),
    ),
    Event(
        "outreach",
        Decimal("2.2"),
        day(1, 3),
        run="r-acme",
        model="gpt-x",
        provider="openai",
        step="verifier",
        team="green",
        tokens=(200, 20, 0, 0),
    ),
    Event(
        "outreach",
        Decimal("0.0000000003"),
        day(1, 4),
        run="r-globex",
        model="claude",
        provider="anthropic",
        step="drafter",
        tokens=(1, 1, 1, 1),
    ),
    Event(
        "outreach", Decimal("4"), day(2), run="r-globex", kind="THIRD_PARTY", client="acme"
    ),  # the event's own client wins over the run's
    Event("support", Decimal("8.5"), day(2, 5), run="r-support", kind="TOOL", step="search"),
    Event("support", Decimal("16"), day(3), kind="INFRA"),  # workflow-level, no run
    Event("outreach", Decimal("0.25"), day(3, 1), run="ghost", kind="RETRIEVAL"),  # names no run
    Event("outreach", Decimal("1000"), day(-2), run="r-acme"),  # before the range
]


async def test_every_dimension_matches_the_reference_and_sums_to_the_total(make_tenant, sessions):
    tenant = await make_tenant()
    world = new_world(tenant.tenant_id)
    await insert(sessions, tenant.tenant_id, *world.rows(FIXED_EVENTS))
    march = TimeRange(T0, day(31))

    total = await tenant.gql(BREAKDOWN, {"range": MARCH, "groupBy": []})
    [whole] = total["data"]["costBreakdown"]
    assert whole["key"] == [] and Decimal(whole["cost"]) == Decimal("32.0500000004")
    assert whole["events"] == 7 and whole["inputTokens"] == 301

    for dimension in CostDimension:
        if dimension is CostDimension.CUSTOM:
            continue  # needs a declared run dimension: test_dimension_figures.py
        data = await tenant.data(BREAKDOWN, {"range": MARCH, "groupBy": [dimension.value]})
        buckets = data["costBreakdown"]
        expected = world.expected(FIXED_EVENTS, [dimension], march)
        assert [(b["key"], Decimal(b["cost"]), b["events"]) for b in buckets] == [
            (list(e.key), e.cost, e.events) for e in expected
        ], dimension
        assert sum(Decimal(b["cost"]) for b in buckets) == Decimal(whole["cost"]), dimension


async def test_dimension_values_read_through_the_run(make_tenant, sessions):
    tenant = await make_tenant()
    world = new_world(tenant.tenant_id)
    await insert(sessions, tenant.tenant_id, *world.rows(FIXED_EVENTS))

    async def keys(*group_by: str, **variables: Any) -> dict[tuple[str, ...], Decimal]:
        body = await tenant.gql(BREAKDOWN, {"range": MARCH, "groupBy": list(group_by), **variables})
        assert "errors" not in body, body
        return {tuple(b["key"]): Decimal(b["cost"]) for b in body["data"]["costBreakdown"]}

    acme = str(world.clients["acme"].client_id)
    assert await keys("TEAM") == {
        ("(none)",): Decimal("20.2500000003"),
        ("blue",): Decimal("8.5"),
        ("red",): Decimal("1.1000000001"),  # from the run
        ("green",): Decimal("2.2"),  # the event's own team wins
    }
    assert (await keys("CLIENT"))[(acme,)] == Decimal("7.3000000001")
    assert await keys("DAY", workflowKey="support") == {
        ("2026-03-03",): Decimal("8.5"),
        ("2026-03-04",): Decimal("16"),
    }
    assert await keys("WORKFLOW", "CAMPAIGN", scope={"campaign": "spring"}) == {
        ("outreach", "spring"): Decimal("7.3000000004"),
    }
    assert await keys("KIND", scope={"clientId": acme, "team": "green"}) == {
        ("LLM",): Decimal("2.2"),
    }


async def test_unknown_workflow_key_is_not_found_and_client_viewers_are_forbidden(make_tenant):
    tenant = await make_tenant()

    unknown = await tenant.gql(BREAKDOWN, {"range": MARCH, "groupBy": [], "workflowKey": "x"})
    viewer = await tenant.gql(
        BREAKDOWN, {"range": MARCH, "groupBy": []}, role=Role.CLIENT_VIEWER, client_id=uuid.uuid4()
    )

    assert unknown["errors"][0]["extensions"] == {"code": "NOT_FOUND", "field": "workflowKey"}
    assert viewer["errors"][0]["extensions"]["code"] == "FORBIDDEN"


# --- property: random events, SQL breakdown == reference breakdown, buckets sum to the total ---

events_strategy = st.lists(
    st.builds(
        Event,
        workflow=st.sampled_from(["outreach", "support"]),
        cost=st.decimals(min_value=0, max_value=10_000, places=10),
        occurred_at=st.sampled_from([day(-1, 23), day(0), day(0, 5), day(1, 12), day(2, 23)]),
        run=st.sampled_from([None, "r-acme", "r-globex", "r-support", "ghost"]),
        client=st.sampled_from([None, "acme", "globex"]),
        team=st.sampled_from([None, "red", "blue"]),
        model=st.sampled_from([None, "m1", "m2"]),
        provider=st.sampled_from([None, "p1"]),
        step=st.sampled_from([None, "drafter", "verifier"]),
        kind=st.sampled_from([k.value for k in UsageKind]),
        tokens=st.tuples(*[st.integers(0, 10**6)] * 4),
    ),
    max_size=12,
)
# CUSTOM (a run dimension of the tenant) has its own property test: test_dimension_figures.py
BUILT_IN = [d for d in CostDimension if d is not CostDimension.CUSTOM]
group_by_strategy = st.lists(st.sampled_from(BUILT_IN), max_size=3)
SCOPES = [CostScope(), CostScope(team="red"), CostScope(campaign="spring")]


def in_scope(scope: CostScope) -> Any:
    def keep(item: CostItem) -> bool:
        if scope.team is not None and item.dims["TEAM"] != scope.team:
            return False
        return scope.campaign is None or item.dims["CAMPAIGN"] == scope.campaign

    return keep


@database_settings(25)
@given(events=events_strategy, group_by=group_by_strategy, scope=st.sampled_from(SCOPES))
async def test_sql_breakdown_equals_the_reference(make_tenant, sessions, events, group_by, scope):
    tenant = await make_tenant()  # one tenant per example
    world = new_world(tenant.tenant_id)
    await insert(sessions, tenant.tenant_id, *world.rows(events))
    time_range = TimeRange(day(0), day(2))

    async with sessions(tenant.tenant_id) as session:
        got = await cost_breakdown(
            session=session,
            tenant_id=tenant.tenant_id,
            time_range=time_range,
            group_by=group_by,
            scope=scope,
        )
        total = await cost_breakdown(
            session=session,
            tenant_id=tenant.tenant_id,
            time_range=time_range,
            group_by=[],
            scope=scope,
        )

    assert got == world.expected(events, group_by, time_range, in_scope(scope))
    assert sum((b.cost for b in got), Decimal(0)) == sum((b.cost for b in total), Decimal(0))
