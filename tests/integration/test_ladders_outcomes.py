"""Recording outcomes (GraphQL and /v1/events); ladders that change without rewriting history."""

from __future__ import annotations

from sqlalchemy import text

from app.auth.principal import Role
from tests.integration.ladder_api import RECORD, Events, ladder_of, record, upsert
from tests.integration.ladder_factories import costed_run

WHEN = "2026-03-20T00:00:00Z"


def reply(event_id: str, **link: str) -> dict:
    base = {"workflowKey": "outreach", "rung": "reply", "occurredAt": WHEN, "eventId": event_id}
    return base | link


async def seeded(make_tenant, http, sessions, *ladder: str):
    """A tenant with `outreach` (given ladder) and three March leads costing $10 each."""
    tenant = await make_tenant()
    await upsert(tenant, "outreach", *ladder)
    events = await Events.for_tenant(http, sessions, tenant)
    await events.post(
        [
            record
            for i in range(3)
            for record in costed_run(
                f"m{i}", "2026-03-02T00:00:00Z", "10", event_id=f"u{i}", subject=f"lead-{i}"
            )
        ]
    )
    return tenant, events


async def outcome_rows(sessions, tenant) -> list[str]:
    async with sessions(tenant.tenant_id) as session:
        found = await session.execute(text("SELECT event_id FROM outcome_events ORDER BY 1"))
        return list(found.scalars())


async def test_record_outcomes_is_idempotent_by_event_id(make_tenant, http, sessions):
    tenant, _ = await seeded(make_tenant, http, sessions, "reply", "deal")

    first = await record(tenant, reply("e1", subject="lead-0"), reply("e2", correlationId="m1"))
    again = await record(
        tenant,
        reply("e1", subject="lead-0"),
        reply("e3", subject="lead-2"),
        reply("e3", subject="lead-1"),
    )

    assert first == {"accepted": 2, "duplicates": 0, "errors": []}
    # e1 is stored already; the second e3 repeats the first inside the batch
    assert again == {"accepted": 1, "duplicates": 2, "errors": []}
    assert await outcome_rows(sessions, tenant) == ["e1", "e2", "e3"]
    assert [c["count"] for c in (await ladder_of(tenant))["ladderCosts"]] == [3, 0]


async def test_bad_outcomes_are_named_and_nothing_is_written(make_tenant, http, sessions):
    tenant, _ = await seeded(make_tenant, http, sessions, "accepted", "reply")
    await upsert(tenant, "support", "resolved")
    batch = [
        reply("ok", subject="lead-0"),
        reply("accepted-rung", subject="lead-1") | {"rung": "accepted"},
        reply("unknown-rung", subject="lead-1") | {"rung": "deal"},
        reply("other-workflows-rung", subject="lead-1") | {"rung": "resolved"},
        reply("unknown-workflow", subject="lead-1") | {"workflowKey": "nope"},
        reply("unlinked"),
        reply("naive-time", subject="lead-1") | {"occurredAt": "2026-03-20T00:00:00"},
        reply("", subject="lead-1"),
    ]

    result = await record(tenant, *batch)

    assert result["accepted"] == result["duplicates"] == 0
    assert [(e["index"], e["field"]) for e in result["errors"]] == [
        (1, "rung"),
        (2, "rung"),
        (3, "rung"),
        (4, "workflowKey"),
        (5, "subject"),
        (6, "occurredAt"),
        (7, "eventId"),
    ]
    assert "derived from run labels" in result["errors"][0]["message"]
    assert "rungs: accepted, reply" in result["errors"][1]["message"]
    assert await outcome_rows(sessions, tenant) == []


async def test_the_batch_endpoint_takes_outcome_records(make_tenant, http, sessions):
    _, events = await seeded(make_tenant, http, sessions, "reply")
    record_ = {"type": "outcome"} | reply("http-1", subject="lead-0")

    assert await events.post([record_, record_]) == {"accepted": 1, "duplicates": 1}
    response = await http.post(
        "/v1/events",
        json=[{"type": "outcome"} | reply("http-2", subject="lead-0") | {"rung": "deal"}],
        headers={"Authorization": f"Bearer {events.key}"},
    )
    assert response.status_code == 422
    assert [(e["index"], e["field"]) for e in response.json()["errors"]] == [(0, "rung")]


async def test_recording_outcomes_needs_the_ingest_scope(make_tenant, http, sessions):
    tenant, _ = await seeded(make_tenant, http, sessions, "reply")
    body = await tenant.gql(RECORD, {"outcomes": [reply("e", subject="lead-0")]}, role=Role.ANALYST)
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert await outcome_rows(sessions, tenant) == []


async def test_renaming_or_removing_a_rung_keeps_past_figures(make_tenant, http, sessions):
    tenant, _ = await seeded(make_tenant, http, sessions, "reply", "positive_reply", "deal")
    await record(
        tenant,
        reply("r0", subject="lead-0"),
        reply("r1", subject="lead-1"),
        reply("p0", subject="lead-0") | {"rung": "positive_reply"},
        reply("d0", subject="lead-0") | {"rung": "deal"},
    )
    before = await ladder_of(tenant)
    # $30 of spend: reply 30 / 2 = 15, positive_reply 30 / 1, deal 30 / 1
    assert [(c["rung"], c["count"], c["costPerRung"]) for c in before["ladderCosts"]] == [
        ("reply", 2, "15.0000000000"),
        ("positive_reply", 1, "30.0000000000"),
        ("deal", 1, "30.0000000000"),
    ]

    # rename reply, drop positive_reply: reply and deal keep their counts; deal now converts
    # from reply (1 / 2 = 0.5)
    await upsert(tenant, "outreach", "reply", "deal", reply="Replied")
    renamed = await ladder_of(tenant)
    assert renamed["ladder"] == [
        {"key": "reply", "name": "Replied", "position": 0},
        {"key": "deal", "name": "Deal", "position": 1},
    ]
    assert [(c["rung"], c["count"], c["costPerRung"], c["conversionFromPrevious"])
            for c in renamed["ladderCosts"]] == [
        ("reply", 2, "15.0000000000", None),
        ("deal", 1, "30.0000000000", 0.5),
    ]  # fmt: skip

    # a retired rung takes no new outcomes, and its events are kept
    refused = await record(tenant, reply("p1", subject="lead-1") | {"rung": "positive_reply"})
    assert refused["errors"][0]["field"] == "rung" and "retired" in refused["errors"][0]["message"]
    assert "p0" in await outcome_rows(sessions, tenant)

    # re-adding the key revives the rung with its history
    await upsert(tenant, "outreach", "reply", "positive_reply", "deal")
    revived = await ladder_of(tenant)
    assert [(c["rung"], c["count"]) for c in revived["ladderCosts"]] == [
        ("reply", 2),
        ("positive_reply", 1),
        ("deal", 1),
    ]


async def test_accepted_can_only_be_the_first_rung(make_tenant):
    tenant = await make_tenant()
    body = await tenant.gql(
        "mutation($i: WorkflowInput!) { upsertWorkflow(input: $i) { key } }",
        {"i": {"key": "outreach", "name": "O", "ladder": [{"key": "reply", "name": "Reply"},
                                                         {"key": "accepted", "name": "A"}]}},
    )  # fmt: skip
    error = body["errors"][0]
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "ladder[1].key"}


async def test_another_tenant_sees_none_of_the_outcomes(make_tenant, http, sessions):
    tenant, _ = await seeded(make_tenant, http, sessions, "reply")
    await record(tenant, reply("mine", subject="lead-0"))
    # the other tenant has the same workflow key, lead subjects and run ids
    other, _ = await seeded(make_tenant, http, sessions, "reply")

    assert [c["count"] for c in (await ladder_of(other))["ladderCosts"]] == [0]
    assert await outcome_rows(sessions, other) == []
    async with sessions(other.tenant_id) as session:
        stolen = await session.execute(
            text("SELECT count(*) FROM outcome_events WHERE tenant_id = :t"),
            {"t": tenant.tenant_id},
        )
        assert stolen.scalar_one() == 0
    assert [c["count"] for c in (await ladder_of(tenant))["ladderCosts"]] == [1]
