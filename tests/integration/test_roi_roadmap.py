"""Query.roiRoadmap over HTTP, against hand-computed figures.

Client Acme; runs started 2026-03-02, accepted an hour later (hold 0); revenue on 2026-03-03,
each event linked to one run; ROI windows rebuilt by the workers' code before reading.
  outreach  6 runs costing 1.00 each (reported), claiming 2, 4, 6, 8, 10, 12; baseline 1.00
            per success → lift 42 − 6 = 36, ROI 36 / 6 = 6.0; per-run ROI (r − 1) / 1 =
            1, 3, 5, 7, 9, 11 → median 5 (3rd of 6), 95 % interval ranks (1, 6) = (1, 11)
  support   6 runs costing 1.00 each, priced at input 10.00 / cache read 1.00 per million with
            1,000,000 cache-read tokens each → savings 9.00 a run, 54.00 in all; each claims 8
            (no baseline) → lift 48, ROI 8.0; without the cache 48 / (6 + 54) = 0.8
  idle      no runs → no ROI, ranked last
Ranks with the cache: support 1, outreach 2, idle 3; without: outreach 1, support 2, idle 3.
"""

from __future__ import annotations

from tests.integration.reads_factories import (
    LONG_AGO,
    MARCH,
    client,
    day,
    insert,
    model_price,
    run,
    usage,
    workflow,
)
from tests.integration.roi_helpers import baseline, rebuild, revenue

ROADMAP = """
query($range: TimeRange!) {
  roiRoadmap(range: $range) {
    reordersWithCache
    entries {
      workflowKey rank rankWithoutCache roi roiWithoutCache lift cost cacheSavings complete
      runCost { n median low high }
      runRoi { n median low high }
    }
  }
}
"""


async def seed(sessions, t) -> None:
    acme = client(t)
    outreach, support, idle = workflow(t, "outreach"), workflow(t, "support"), workflow(t, "idle")
    price = model_price(t, "p", "m", LONG_AGO, "10", "20", cache_read_rate="1")
    rows: list = [acme, outreach, support, idle, price, baseline(t, outreach, "1.00")]
    for i in range(6):
        for wf, prefix in ((outreach, "o"), (support, "s")):
            corr = f"{prefix}{i}"
            rows.append(
                run(t, wf, corr, started_at=day(1), status="ACCEPTED", client_id=acme.client_id)
            )
            amount = str(2 * (i + 1)) if wf is outreach else "8"
            rows.append(revenue(t, acme, amount, day(2), correlation_id=corr))
        rows.append(usage(t, outreach, "1.00", correlation_id=f"o{i}", occurred_at=day(1)))
        priced = usage(
            t,
            support,
            "1.00",
            correlation_id=f"s{i}",
            occurred_at=day(1),
            provider="p",
            model="m",
            cache_read_tokens=1_000_000,
            price_effective_from=LONG_AGO,
        )
        priced.cost_source = "priced"
        rows.append(priced)
    await insert(sessions, t, *rows)
    await rebuild(sessions, t)


async def test_workflows_ranked_by_roi_with_and_without_the_cache(make_tenant, sessions) -> None:
    tenant = await make_tenant()
    await seed(sessions, tenant.tenant_id)

    found = (await tenant.data(ROADMAP, {"range": MARCH}))["roiRoadmap"]
    assert found["reordersWithCache"] is True
    support, outreach, idle = found["entries"]
    assert [e["workflowKey"] for e in found["entries"]] == ["support", "outreach", "idle"]
    assert (support["rank"], support["rankWithoutCache"]) == (1, 2)
    assert (outreach["rank"], outreach["rankWithoutCache"]) == (2, 1)
    assert (idle["rank"], idle["rankWithoutCache"]) == (3, 3)
    assert support["roi"] == 8.0 and abs(support["roiWithoutCache"] - 0.8) < 1e-12
    assert support["cacheSavings"] == "54.0000000000"
    assert outreach["roi"] == 6.0 and outreach["roiWithoutCache"] == 6.0
    assert outreach["lift"] == "36.0000000000" and outreach["cost"] == "6.0000000000"
    assert outreach["complete"] is True
    assert outreach["runRoi"] == {"n": 6, "median": 5.0, "low": 1.0, "high": 11.0}
    assert outreach["runCost"] == {
        "n": 6,
        "median": "1.0000000000",
        "low": "1.0000000000",
        "high": "1.0000000000",
    }
    assert support["runRoi"] == {"n": 6, "median": 8.0, "low": 8.0, "high": 8.0}
    assert idle["roi"] is None and idle["runRoi"]["n"] == 0 and idle["runRoi"]["median"] is None


async def test_a_client_viewer_cannot_read_the_roadmap(make_tenant, sessions) -> None:
    from app.auth.principal import Role

    tenant = await make_tenant()
    await seed(sessions, tenant.tenant_id)

    body = await tenant.gql(
        ROADMAP, {"range": MARCH}, role=Role.CLIENT_VIEWER, client_id=tenant.tenant_id
    )

    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert body["data"] is None
