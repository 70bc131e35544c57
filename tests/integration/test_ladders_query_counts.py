"""No N+1 in ladder figures: a list of 5 or of 50 workflows costs the same few statements."""

from __future__ import annotations

from typing import Any

from tests.integration.ladder_factories import outcome
from tests.integration.query_counting import counting, tenant_of_workflows
from tests.integration.reads_factories import day, run, rung, usage

RANGE = '{from: "2026-03-01T00:00:00Z", to: "2026-04-01T00:00:00Z"}'
LADDER_FIGURES = f"""
{{
  workflows {{
    key
    costPerOutcome(range: {RANGE}) {{ totalCost }}
    ladderCosts(range: {RANGE}) {{ rung count costPerRung }}
    ladderSeries(range: {RANGE}, bucket: "P7D", rung: "reply") {{ count costPerRung }}
    risingSlices(range: {RANGE}, rung: "reply", dimension: CHANNEL) {{ value }}
  }}
}}
"""
# Measured: 16 at 5 and at 50 workflows — five transactions, each opened by its set_config: the
# list; the ladders; the cohort totals (shared with costPerOutcome: `SET LOCAL jit = off`, the
# totals); the rung counts (from the `ladder_reach` rollup: its backlog check, `SET LOCAL
# plan_cache_mode`, `SET LOCAL jit = off`, the count); and the slices, one batch for every
# workflow: one statement for the weekly series and one per window for the rising slices.
BOUND = 16


def ladder_rows(t, wf, i: int) -> list[Any]:
    return [
        rung(t, wf, "accepted", 0),
        rung(t, wf, "reply", 1),
        run(t, wf, f"a-{i}", started_at=day(1), status="ACCEPTED", channel="email"),
        usage(t, wf, "3", correlation_id=f"a-{i}", occurred_at=day(1)),
        outcome(t, wf, "reply", correlation_id=f"a-{i}"),
    ]


async def test_ladder_figures_cost_the_same_few_queries_for_5_or_50(app, make_tenant, sessions):
    five = await tenant_of_workflows(make_tenant, sessions, 5, ladder_rows)
    fifty = await tenant_of_workflows(make_tenant, sessions, 50, ladder_rows)

    counts = []
    for tenant in (five, fifty):
        # The first request of a tenant's token also checks that the tenant exists (one
        # transaction, then cached): counted here are the statements of the figures themselves.
        await tenant.gql("{ viewer { role } }")
        with counting(app) as statements:
            body = await tenant.gql(LADDER_FIGURES)
        assert "errors" not in body, body
        first = body["data"]["workflows"][0]
        assert [c["costPerRung"] for c in first["ladderCosts"]] == ["3.0000000000"] * 2
        assert first["ladderSeries"][0] == {"count": 1, "costPerRung": "3.0000000000"}
        counts.append(len(statements))

    assert counts[0] == counts[1] <= BOUND, counts
