"""No N+1: the number of SQL statements of a list query does not grow with the list.

Statements are counted with SQLAlchemy's `before_cursor_execute` on the application engine
(each transaction's `set_config` included), for the same query over 5 and over 50 items.
"""

from __future__ import annotations

from typing import Any

from tests.integration.query_counting import statements_for, tenant_of_workflows
from tests.integration.reads_factories import day, run, rung, usage

WORKFLOW_FIGURES = """
{
  workflows {
    key
    ladder { key }
    costPerOutcome(range: {from: "2026-03-01T00:00:00Z", to: "2026-04-01T00:00:00Z"}) {
      attempts acceptedOutcomes totalCost costPerOutcome successRate
    }
    failureCostShare(range: {from: "2026-03-01T00:00:00Z", to: "2026-04-01T00:00:00Z"}) {
      share byStatus { status cost }
    }
    runCostStats(range: {from: "2026-03-01T00:00:00Z", to: "2026-04-01T00:00:00Z"}) { p50 }
  }
}
"""

RUN_PAGE = """
{ runs(first: 100) { edges { node { correlationId workflowKey cost usage { cost } } } } }
"""

# Measured: 9 for workflow figures and 8 for a page of runs, at 5 and at 50 workflows. Workflow
# figures: four transactions (the list, the ladders, the cohort totals shared by costPerOutcome
# and failureCostShare, the per-run costs), each a set_config and one SELECT, and the cohort
# totals' `SET LOCAL jit = off`. A page of runs: the page, workflow keys, costs, usage.
BOUND = 9
RUNS_BOUND = 8


def workflow_rows(t, wf, i: int) -> list[Any]:
    return [
        rung(t, wf, "accepted", 0),
        run(t, wf, f"ok-{i}", started_at=day(1), status="ACCEPTED"),
        run(t, wf, f"no-{i}", started_at=day(1), status="REJECTED"),
        usage(t, wf, "1", correlation_id=f"ok-{i}", occurred_at=day(1)),
        usage(t, wf, "2", correlation_id=f"no-{i}", occurred_at=day(1)),
    ]


async def test_workflow_figures_cost_the_same_few_queries_for_5_or_50(app, make_tenant, sessions):
    five = await tenant_of_workflows(make_tenant, sessions, 5, workflow_rows)
    fifty = await tenant_of_workflows(make_tenant, sessions, 50, workflow_rows)

    small = await statements_for(app, five, WORKFLOW_FIGURES)
    large = await statements_for(app, fifty, WORKFLOW_FIGURES)

    assert len(small) == len(large) <= BOUND, (len(small), len(large))


async def test_a_page_of_runs_costs_the_same_few_queries_for_10_or_100(app, make_tenant, sessions):
    ten = await tenant_of_workflows(make_tenant, sessions, 5, workflow_rows)  # 10 runs
    hundred = await tenant_of_workflows(make_tenant, sessions, 50, workflow_rows)  # 100 runs

    small = await statements_for(app, ten, RUN_PAGE)
    large = await statements_for(app, hundred, RUN_PAGE)

    assert len(small) == len(large) <= RUNS_BOUND, (len(small), len(large))


async def test_readiness_of_listed_workflows_reads_the_workflows_once(app, make_tenant, sessions):
    # The `workflows` list primes the request's workflow loader; readiness takes its rows from
    # there instead of reading the same workflows again.
    tenant = await tenant_of_workflows(make_tenant, sessions, 5, workflow_rows)

    statements = await statements_for(app, tenant, "{ workflows { key readiness { ready } } }")

    workflow_reads = [s for s in statements if s.lstrip().startswith("SELECT workflows.")]
    assert len(workflow_reads) == 1, workflow_reads
