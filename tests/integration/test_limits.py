"""Abuse limits: GraphQL depth, aliases, tokens and cost; request body size; the ingest rate.

A second app is served with tiny limits (the same database and Redis), so each limit is crossed
by a small request. The page-size cap (`runs(first:)` over LEDGER_MAX_PAGE_SIZE → BAD_USER_INPUT,
field `first`) is held by test_reads_runs.py and test_gates_api.py; OTLP bodies over the limit
(declared, streamed, decompressed) by test_otlp_http.py.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import redis.asyncio as aioredis
from sqlalchemy import text

from app.auth.principal import Role
from app.auth.tokens import issue_token
from app.ingest.rate_limit import bucket_key, take_ingest_tokens
from app.main import create_app
from app.services.tenancy.tenants import create_api_key, create_tenant
from app.settings import Settings

TIGHT = {
    "max_query_depth": 3,
    "max_aliases": 3,
    "max_query_tokens": 200,
    "max_query_cost": 500,
    "default_list_cost": 50,
    "max_body_bytes": 20_000,
    "ingest_rate_per_second": 5,
    "ingest_rate_burst": 10,
}

DASHBOARD = """
query Dashboard($range: TimeRange!) {
  workflows {
    key
    name
    costPerOutcome(range: $range) {
      attempts acceptedOutcomes pendingOutcomes totalCost costPerOutcome successRate
      failureCostShare
    }
    failureCostShare(range: $range) { share byStatus { status runs cost share } }
    runCostStats(range: $range) { p50 p90 p99 medianCi95Low medianCi95High }
  }
  costBreakdown(range: $range, groupBy: [WORKFLOW, MODEL]) { key cost events inputTokens }
}
"""


class Tight:
    """The tightly limited app, its client, one tenant with an ingest key, and a token."""

    def __init__(self, app: Any, client: httpx.AsyncClient, settings: Settings) -> None:
        self.app, self.client, self.settings = app, client, settings
        self.tenant_id = uuid.uuid4()
        self.key = ""

    async def new_tenant(self) -> tuple[uuid.UUID, str]:
        sessions = self.app.state.sessions
        tenant_id = await create_tenant(sessions=sessions, name=f"Tight {uuid.uuid4().hex[:6]}")
        issued = await create_api_key(
            sessions=sessions, tenant_id=tenant_id, name="ingest", scopes=["ingest"]
        )
        return tenant_id, issued.key

    async def gql(self, query: str, variables: dict[str, Any] | None = None) -> httpx.Response:
        token = issue_token(self.settings, tenant_id=self.tenant_id, role=Role.OWNER)
        return await self.client.post(
            "/graphql",
            json={"query": query, "variables": variables or {}},
            headers={"Authorization": f"Bearer {token}"},
        )

    async def events(self, records: list[dict[str, Any]], key: str | None = None) -> httpx.Response:
        return await self.client.post(
            "/v1/events",
            content=json.dumps(records),
            headers={
                "Authorization": f"Bearer {key or self.key}",
                "Content-Type": "application/json",
            },
        )


@pytest.fixture(scope="module")
async def tight(migrated: Settings) -> AsyncIterator[Tight]:
    settings = migrated.model_copy(update=TIGHT)
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://tight.test") as client:
            handle = Tight(app, client, settings)
            handle.tenant_id, handle.key = await handle.new_tenant()
            yield handle


def refused(
    response: httpx.Response, fragment: str, code: str = "GRAPHQL_VALIDATION_FAILED"
) -> None:
    """A GraphQL refusal under application/json: HTTP 200, the code Apollo clients know for the
    phase that refused it (the token limit stops the parser), no data, the limit named."""
    assert response.status_code == 200, response.text
    body = response.json()
    assert body.get("data") is None, body
    assert {e["extensions"]["code"] for e in body["errors"]} == {code}, body
    assert any(fragment in e["message"] for e in body["errors"]), body


async def test_an_over_deep_query_is_refused(tight: Tight) -> None:
    # strawberry counts nested selections below the root field: this is depth 4 > 3 (and cheap)
    deep = "{ runs(first: 1) { edges { node { usage { cost } } } } }"
    refused(await tight.gql(deep), "exceeds maximum operation depth")
    assert "errors" not in (await tight.gql("{ runs { edges { node { cost } } } }")).json()


async def test_too_many_aliases_are_refused(tight: Tight) -> None:
    aliased = "{ a: viewer { role } b: viewer { role } c: viewer { role } d: viewer { role } }"
    refused(await tight.gql(aliased), "aliases")


async def test_too_many_tokens_are_refused(tight: Tight) -> None:
    long = "{ viewer { " + " ".join(["role"] * 250) + " } }"
    refused(await tight.gql(long), "token", "GRAPHQL_PARSE_FAILED")


async def test_a_query_over_the_cost_limit_is_refused(tight: Tight) -> None:
    # workflows (1) + 50 × (ladder (1) + 50 × (key, name)) = 1 + 50 × 101 = 5,051 > 500
    refused(await tight.gql("{ workflows { ladder { key name } } }"), "Query cost 5051")
    # runs(first: 5): runs 1 + 5 × (edges 1 + node 1 + cost 1) = 16: accepted
    cheap = await tight.gql("{ runs(first: 5) { edges { node { cost } } } }")
    assert "errors" not in cheap.json(), cheap.text
    # a variable `first` without a default weighs max_page_size (500): 1 + 500 × 3 = 1,501
    by_variable = "query($n: Int) { runs(first: $n) { edges { node { cost } } } }"
    refused(await tight.gql(by_variable, {"n": 2}), "Query cost 1501")


async def test_the_cost_of_a_backward_page_is_its_last(tight: Tight) -> None:
    # runs(last: 5) weighs like runs(first: 5): 16, accepted
    cheap = await tight.gql("{ runs(last: 5) { edges { node { cost } } } }")
    assert "errors" not in cheap.json(), cheap.text
    # runs 1 + 5 × (edges, node, usageConnection) + 5 × 400 × (edges, node, cost) = 6,016:
    # the nested connection weighs its `last` (400), not the page size (500, which gives 7,516)
    nested = "{ runs(first: 5) { edges { node { usageConnection(last: 400) { edges { node { cost } } } } } } }"  # noqa: E501
    refused(await tight.gql(nested), "Query cost 6016")
    by_variable = "query($n: Int) { runs(last: $n) { edges { node { cost } } } }"
    refused(await tight.gql(by_variable, {"n": 2}), "Query cost 1501")


async def test_the_readme_dashboard_fits_the_default_cost_limit(make_tenant) -> None:
    tenant = await make_tenant()
    range_ = {"from": "2026-10-01T00:00:00Z", "to": "2026-11-01T00:00:00Z"}
    body = await tenant.gql(DASHBOARD, {"range": range_})
    assert "errors" not in body, body
    assert Settings().max_query_cost == 50_000


@pytest.mark.parametrize("path", ["/graphql", "/v1/events"])
async def test_a_body_over_max_body_bytes_is_413(tight: Tight, path: str) -> None:
    padding = "x" * (TIGHT["max_body_bytes"] + 1)
    token = issue_token(tight.settings, tenant_id=tight.tenant_id, role=Role.OWNER)
    response = await tight.client.post(
        path,
        content=json.dumps({"query": "{ viewer { role } }", "pad": padding}),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    assert response.status_code == 413, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    error = body["errors"][0]["extensions"] if path == "/graphql" else body
    assert error["code"] == "PAYLOAD_TOO_LARGE", body
    assert error["limit"] == TIGHT["max_body_bytes"], body
    if path == "/graphql":
        assert body["data"] is None


@pytest.mark.parametrize("path", ["/graphql", "/v1/events"])
async def test_a_streamed_body_over_max_body_bytes_is_a_json_413(tight: Tight, path: str) -> None:
    """No Content-Length: counted while it is read, refused the same way."""
    token = issue_token(tight.settings, tenant_id=tight.tenant_id, role=Role.OWNER)
    key = tight.key if path == "/v1/events" else token

    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"query": "{ viewer { role } }", "pad": "'
        for _ in range(3):
            yield b"x" * (TIGHT["max_body_bytes"] // 2)
        yield b'"}'

    response = await tight.client.post(
        path,
        content=chunks(),
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
    )
    assert response.status_code == 413, response.text
    body = response.json()
    error = body["errors"][0]["extensions"] if path == "/graphql" else body
    assert error["code"] == "PAYLOAD_TOO_LARGE", body


def run_records(prefix: str, n: int) -> list[dict[str, Any]]:
    return [
        {
            "type": "run",
            "correlationId": f"{prefix}-{i}",
            "workflowKey": "limits",
            "startedAt": "2026-11-01T09:00:00Z",
        }
        for i in range(n)
    ]


async def runs_of(tight: Tight, tenant_id: uuid.UUID) -> int:
    async with tight.app.state.sessions(tenant_id) as session:
        return int((await session.execute(text("SELECT count(*) FROM runs"))).scalar_one())


async def test_ingest_over_the_tenant_rate_is_429_with_retry_after(tight: Tight) -> None:
    tenant_id, key = await tight.new_tenant()
    tight.tenant_id = tenant_id
    made = await tight.gql('mutation { upsertWorkflow(input: {key: "limits", name: "L"}) { key } }')
    assert "errors" not in made.json(), made.text

    first = await tight.events(run_records("ok", 8), key)  # 8 of the bucket's 10 tokens
    second = await tight.events(run_records("over", 8), key)  # 2 left (+ refill): refused

    assert first.status_code == 200, first.text
    assert second.status_code == 429, second.text
    assert second.json()["code"] == "RATE_LIMITED"
    assert int(second.headers["Retry-After"]) >= 1
    assert await runs_of(tight, tenant_id) == 8  # nothing of the refused batch was written

    # OTLP shares the tenant's bucket: refused the same way, in OTLP's own Status encoding
    traces = await tight.client.post(
        "/v1/traces",
        content=json.dumps(fee_spans(8)),
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
    )
    assert traces.status_code == 429, traces.text
    assert traces.json()["message"].startswith("RATE_LIMITED")
    assert int(traces.headers["Retry-After"]) >= 1

    # the bucket is per tenant: another tenant is not slowed down
    _, other_key = await tight.new_tenant()
    assert (await tight.events([], other_key)).status_code == 200


def fee_spans(n: int) -> dict[str, Any]:
    """OTLP/JSON with n third-party fee spans of workflow "limits"."""
    spans = [
        {
            "traceId": "5b8efff798038103d269b633813fc60c",
            "spanId": f"{i:016x}",
            "name": "fee",
            "kind": 3,
            "startTimeUnixNano": "1772359200000000000",
            "endTimeUnixNano": "1772359200250000000",
            "attributes": [
                {"key": "gen_ai.usage.cost.amount", "value": {"stringValue": "0.01"}},
            ],
        }
        for i in range(1, n + 1)
    ]
    resource = {"attributes": [{"key": "ledger.workflow", "value": {"stringValue": "limits"}}]}
    return {"resourceSpans": [{"resource": resource, "scopeSpans": [{"spans": spans}]}]}


async def test_the_limiter_fails_open_when_redis_is_unreachable(caplog) -> None:
    unreachable = aioredis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2)
    with caplog.at_level(logging.WARNING, logger="ledger.ingest.rate_limit"):
        decision = await take_ingest_tokens(
            unreachable, tenant_id=uuid.uuid4(), records=10**6, rate=1, burst=1
        )
    await unreachable.aclose()
    assert decision.admitted
    assert "fail open" in caplog.text


async def test_a_batch_larger_than_the_burst_is_admitted_into_a_full_bucket(app) -> None:
    redis, tenant = app.state.arq, uuid.uuid4()
    big = await take_ingest_tokens(redis, tenant_id=tenant, records=50, rate=5, burst=10)
    again = await take_ingest_tokens(redis, tenant_id=tenant, records=1, rate=5, burst=10)
    assert big.admitted and not again.admitted and again.retry_after == 1


START_RUNS = """
mutation($runs: [RunInput!]!) { startRuns(runs: $runs) { accepted duplicates } }
"""


async def empty_bucket(tight: Tight, tenant_id: uuid.UUID) -> None:
    """Leave the tenant's bucket 1,000 records in debt (200 s of refill at 5/s): no batch fits
    for the rest of the test, however slow the machine."""
    redis = tight.app.state.arq
    seconds, micros = await redis.time()
    now_ms = int(seconds) * 1000 + int(micros) // 1000
    await redis.hset(bucket_key(tenant_id), mapping={"tokens": "-1000", "at": str(now_ms)})


async def test_graphql_ingest_mutations_take_from_the_same_tenant_bucket(tight: Tight) -> None:
    tenant_id, key = await tight.new_tenant()
    tight.tenant_id = tenant_id
    made = await tight.gql('mutation { upsertWorkflow(input: {key: "limits", name: "L"}) { key } }')
    assert "errors" not in made.json(), made.text
    runs = [
        {"correlationId": f"gql-{i}", "workflowKey": "limits", "startedAt": "2026-11-01T09:00:00Z"}
        for i in range(8)
    ]

    first = await tight.gql(START_RUNS, {"runs": runs})
    assert first.json()["data"]["startRuns"]["accepted"] == 8, first.text
    # one token per record, from the bucket /v1/events and /v1/traces use: 10 - 8 left
    assert float(await tight.app.state.arq.hget(bucket_key(tenant_id), "tokens")) == 2

    await empty_bucket(tight, tenant_id)
    over = [{**r, "correlationId": f"over-{i}"} for i, r in enumerate(runs)]
    second = await tight.gql(START_RUNS, {"runs": over})
    body = second.json()
    assert second.status_code == 200 and body["data"] is None, second.text
    [error] = body["errors"]
    assert error["extensions"]["code"] == "RATE_LIMITED", body
    assert error["extensions"]["retryAfter"] >= 1, body
    assert (await tight.events(run_records("rest", 8), key)).status_code == 429
    assert await runs_of(tight, tenant_id) == 8  # nothing of the refused batches was written

    # every ingest mutation is limited the same way
    usage = (
        '{eventId: "u", correlationId: "gql-0", workflowKey: "limits", kind: TOOL, '
        'occurredAt: $at, cost: "1"}'
    )
    probes = {
        "ingestUsage": f"ingestUsage(events: [{usage}])",
        "labelRuns": 'labelRuns(labels: [{correlationId: "gql-0", status: ACCEPTED, at: $at}])',
        "recordOutcomes": 'recordOutcomes(outcomes: [{eventId: "o", workflowKey: "limits", '
        'rung: "accepted", correlationId: "gql-0", occurredAt: $at}])',
        "recordRevenue": 'recordRevenue(events: [{eventId: "r", amount: "1", occurredAt: $at, '
        f'clientId: "{uuid.uuid4()}", workflowKey: "limits"}}])',
    }
    for name, field in probes.items():
        answer = await tight.gql(
            f"mutation($at: DateTime!) {{ {field} {{ accepted }} }}",
            {"at": "2026-11-01T10:00:00Z"},
        )
        codes = [e["extensions"]["code"] for e in answer.json().get("errors", [])]
        assert codes == ["RATE_LIMITED"], (name, answer.text)

    # another tenant's mutations are not slowed down
    tight.tenant_id, _ = await tight.new_tenant()
    assert "errors" not in (await tight.gql(START_RUNS, {"runs": []})).json()
