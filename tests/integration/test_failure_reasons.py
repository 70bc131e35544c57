"""Workflow.failureReasons and the declared reason codes over HTTP, hand-computed.

Cohort (runs started 2026-03-02; each status set an hour later by a label carrying the reason):
  ESCALATED  3 runs, 2.00 each, reasons "Needs Legal Review", "needs legal  review ",
             "needs legal review" → one code "needs legal review", 6.00
  REJECTED   "off brand" 3.00 (an earlier ESCALATED label said "waiting": not its reason now);
             "Tone" x 2, 1.00 each = 2.00; one run without a reason 0.50
  ACCEPTED   4 runs, 1.00 each; plus a workflow-level event of 1.50
totalCost = 6 + 3 + 2 + 0.5 + 4 + 1.5 = 17.00; failedCost = 11.50; top share 6 / 17.
"""

from __future__ import annotations

from datetime import timedelta

from app.db.tables import RunLabel
from tests.integration.reads_factories import MARCH, day, insert, run, usage, workflow

REASONS = """
query($range: TimeRange!, $top: Int! = 10) {
  workflow(key: "outreach") {
    failureReasons(range: $range, top: $top) {
      totalCost failedCost reasonCount
      reasons { status code label declared example runs cost share }
    }
    failureCostShare(range: $range) { failedCost totalCost }
  }
}
"""

DECLARE = """
mutation($code: String!, $label: String!) {
  declareFailureReason(code: $code, label: $label) { code label }
}
"""


async def seed(sessions, t) -> None:
    wf = workflow(t)
    rows: list = [wf]

    def failed(corr: str, status: str, reason: str | None, cost: str) -> None:
        at = day(1, 1)
        rows.append(run(t, wf, corr, started_at=day(1), status=status, status_at=at))
        rows.append(RunLabel(tenant_id=t, correlation_id=corr, at=at, status=status, reason=reason))
        rows.append(usage(t, wf, cost, correlation_id=corr, occurred_at=day(1)))

    for i, text in enumerate(["Needs Legal Review", "needs legal  review ", "needs legal review"]):
        failed(f"e{i}", "ESCALATED", text, "2.00")
    failed("r-brand", "REJECTED", "off brand", "3.00")
    rows.append(
        RunLabel(
            tenant_id=t,
            correlation_id="r-brand",
            at=day(1, 0.5),
            status="ESCALATED",
            reason="waiting",
        )
    )
    failed("r-tone-0", "REJECTED", "Tone", "1.00")
    failed("r-tone-1", "REJECTED", "Tone", "1.00")
    failed("r-none", "REJECTED", None, "0.50")
    for i in range(4):
        rows.append(run(t, wf, f"a{i}", started_at=day(1), status="ACCEPTED"))
        rows.append(usage(t, wf, "1.00", correlation_id=f"a{i}", occurred_at=day(1)))
    rows.append(usage(t, wf, "1.50", occurred_at=day(1) + timedelta(hours=2), kind="INFRA"))
    await insert(sessions, t, *rows)


async def test_top_reasons_by_money_lost(make_tenant, sessions) -> None:
    tenant = await make_tenant()
    await seed(sessions, tenant.tenant_id)

    found = (await tenant.data(REASONS, {"range": MARCH}))["workflow"]
    reasons = found["failureReasons"]
    assert reasons["totalCost"] == "17.0000000000"
    assert reasons["failedCost"] == "11.5000000000"
    assert reasons["failedCost"] == found["failureCostShare"]["failedCost"]
    assert reasons["reasonCount"] == 4
    assert [(r["status"], r["code"], r["runs"], r["cost"]) for r in reasons["reasons"]] == [
        ("ESCALATED", "needs legal review", 3, "6.0000000000"),
        ("REJECTED", "off brand", 1, "3.0000000000"),
        ("REJECTED", "tone", 2, "2.0000000000"),
        ("REJECTED", None, 1, "0.5000000000"),
    ]
    top = reasons["reasons"][0]
    assert top["example"] == "Needs Legal Review" and not top["declared"]
    assert abs(top["share"] - 6 / 17) < 1e-12


async def test_declared_codes_carry_their_label(make_tenant, sessions) -> None:
    tenant = await make_tenant()
    await seed(sessions, tenant.tenant_id)

    made = await tenant.gql(DECLARE, {"code": "  NEEDS legal review", "label": "Legal review"})
    assert made["data"]["declareFailureReason"] == {
        "code": "needs legal review",
        "label": "Legal review",
    }
    again = await tenant.gql(DECLARE, {"code": "needs legal review", "label": "Legal sign-off"})
    assert again["data"]["declareFailureReason"]["label"] == "Legal sign-off"

    body = await tenant.gql(REASONS, {"range": MARCH, "top": 1})
    listed = await tenant.gql("{ failureReasonCodes { code label } }")

    reasons = body["data"]["workflow"]["failureReasons"]
    assert reasons["reasonCount"] == 4 and len(reasons["reasons"]) == 1
    assert reasons["reasons"][0]["declared"] is True
    assert reasons["reasons"][0]["label"] == "Legal sign-off"
    assert listed["data"]["failureReasonCodes"] == [
        {"code": "needs legal review", "label": "Legal sign-off"}
    ]
    removed = await tenant.gql(
        'mutation { a: removeFailureReason(code: "Needs Legal Review") '
        'b: removeFailureReason(code: "never declared") }'
    )
    assert removed["data"] == {"a": True, "b": False}


async def test_bad_codes_and_labels_are_refused_by_name(make_tenant) -> None:
    tenant = await make_tenant()

    for variables, field in (
        ({"code": "   ", "label": "x"}, "code"),
        ({"code": "x" * 201, "label": "x"}, "code"),
        ({"code": "tone", "label": " "}, "label"),
    ):
        body = await tenant.gql(DECLARE, variables)
        error = body["errors"][0]
        assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": field}, body
    listed = await tenant.gql("{ failureReasonCodes { code } }")
    assert listed["data"]["failureReasonCodes"] == []


async def test_top_out_of_bounds_is_refused(make_tenant, sessions) -> None:
    tenant = await make_tenant()
    await seed(sessions, tenant.tenant_id)

    body = await tenant.gql(REASONS, {"range": MARCH, "top": 0})

    assert body["errors"][0]["extensions"]["field"] == "top"
