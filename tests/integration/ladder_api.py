"""GraphQL documents and HTTP helpers shared by the ladder and ceiling tests (real tokens,
real API keys, through the ASGI app)."""

from __future__ import annotations

from typing import Any

from app.services.tenancy.tenants import create_api_key

MARCH = {"from": "2026-03-01T00:00:00Z", "to": "2026-04-01T00:00:00Z"}

UPSERT = """
mutation($input: WorkflowInput!) {
  upsertWorkflow(input: $input) { key ladder { key name position } }
}
"""

LADDER = """
query($key: String!, $range: TimeRange!, $scope: Scope) {
  workflow(key: $key) {
    ladder { key name position }
    costPerOutcome(range: $range, scope: $scope) { acceptedOutcomes totalCost }
    ladderCosts(range: $range, scope: $scope) {
      rung position count totalCost costPerRung conversionFromPrevious
    }
  }
}
"""

RECORD = """
mutation($outcomes: [OutcomeInput!]!) {
  recordOutcomes(outcomes: $outcomes) { accepted duplicates errors { index field message } }
}
"""


def rungs(*keys: str) -> list[dict[str, str]]:
    return [{"key": k, "name": k.replace("_", " ").title()} for k in keys]


async def upsert(tenant: Any, key: str, *ladder: str, hold: int = 0, **names: str) -> dict:
    """Create or update workflow `key` with `ladder` (rung names default to the title case)."""
    steps = [{"key": k, "name": names.get(k, k.replace("_", " ").title())} for k in ladder]
    body = await tenant.gql(
        UPSERT,
        {"input": {"key": key, "name": key.title(), "acceptanceHoldHours": hold, "ladder": steps}},
    )
    assert "errors" not in body, body
    return body["data"]["upsertWorkflow"]


async def ladder_of(tenant: Any, key: str = "outreach", time_range: dict = MARCH, scope=None):
    body = await tenant.gql(LADDER, {"key": key, "range": time_range, "scope": scope})
    assert "errors" not in body, body
    return body["data"]["workflow"]


async def record(tenant: Any, *outcomes: dict) -> dict:
    body = await tenant.gql(RECORD, {"outcomes": list(outcomes)})
    assert "errors" not in body, body
    return body["data"]["recordOutcomes"]


class Events:
    """POST /v1/events with an ingest API key of the tenant, in batches of at most `size`."""

    def __init__(self, http: Any, key: str, size: int = 1000) -> None:
        self.http, self.key, self.size = http, key, size

    @classmethod
    async def for_tenant(cls, http: Any, sessions: Any, tenant: Any) -> Events:
        issued = await create_api_key(
            sessions=sessions, tenant_id=tenant.tenant_id, name="ci", scopes=["ingest"]
        )
        return cls(http, issued.key)

    async def post(self, records: list[dict]) -> dict:
        """Send `records` in order; returns the summed accepted/duplicates."""
        total = {"accepted": 0, "duplicates": 0}
        for start in range(0, len(records), self.size):
            response = await self.http.post(
                "/v1/events",
                json=records[start : start + self.size],
                headers={"Authorization": f"Bearer {self.key}"},
            )
            assert response.status_code == 200, response.text
            for name in total:
                total[name] += response.json()[name]
        return total
