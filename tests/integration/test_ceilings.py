"""Cost ceilings as control signals: set by slice, read over the last 30 days, throttle exactly
when a slice's cost per rung crosses its ceiling (or it spends without reaching the rung)."""

from __future__ import annotations

import uuid

from app.auth.principal import Role
from tests.integration.ladder_api import Events, upsert
from tests.integration.ladder_factories import ago, lead_records

SET = """mutation($input: CeilingInput!) {
  setCostCeiling(input: $input) { ceiling { id value ceiling } } }"""
STATUS = """
query($key: String!, $days: Int) {
  costCeilingStatus(workflowKey: $key, windowDays: $days) {
    rung dimension value ceiling costPerRung throttle
  }
}
"""


def lead(i: str, days_ago: float, cost: str, channel: str, replied: bool = False, **run) -> list:
    return lead_records(i, days_ago, cost, replied=replied, channel=channel, **run)


def ceiling(value: str, amount: str, dimension: str = "CHANNEL", rung: str = "reply") -> dict:
    return {"input": {"workflowKey": "outreach", "rung": rung, "dimension": dimension,
                      "value": value, "ceiling": amount}}  # fmt: skip


async def set_ceilings(tenant, *ceilings: dict) -> None:
    for variables in ceilings:
        body = await tenant.gql(SET, variables)
        assert "errors" not in body, body
        stored = body["data"]["setCostCeiling"]["ceiling"]  # a client id is stored lower case
        assert stored["value"] == variables["input"]["value"].lower(), body


async def status(tenant, days: int | None = None, **kw) -> list[dict]:
    body = await tenant.gql(STATUS, {"key": "outreach", "days": days}, **kw)
    assert "errors" not in body, body
    return body["data"]["costCeilingStatus"]


async def ceiling_tenant(make_tenant, http, sessions):
    tenant = await make_tenant()
    await upsert(tenant, "outreach", "accepted", "reply")
    events = await Events.for_tenant(http, sessions, tenant)
    await events.post(
        [
            *lead("e1", 5, "10", "email", replied=True),  # email: 20 / 2 = 10.00
            *lead("e2", 6, "10", "email", replied=True),
            *lead("s1", 7, "4", "sms", replied=True),  # sms: 4 / 1
            *lead("c1", 8, "1", "chat"),  # chat: $1 and nobody replied
            *lead("old", 40, "100", "sms"),  # outside the 30-day window
        ]
    )
    return tenant, events


async def test_a_slice_throttles_exactly_when_it_crosses_its_ceiling(make_tenant, http, sessions):
    tenant, events = await ceiling_tenant(make_tenant, http, sessions)
    await set_ceilings(
        tenant, ceiling("email", "10"), ceiling("sms", "10"), ceiling("chat", "10"),
        ceiling("fax", "10"),
    )  # fmt: skip

    assert await status(tenant) == [
        {"rung": "reply", "dimension": "CHANNEL", "value": "chat", "ceiling": "10.0000000000",
         "costPerRung": None, "throttle": True},  # money spent, nobody replied
        {"rung": "reply", "dimension": "CHANNEL", "value": "email", "ceiling": "10.0000000000",
         "costPerRung": "10.0000000000", "throttle": False},  # at the ceiling, not over it
        {"rung": "reply", "dimension": "CHANNEL", "value": "fax", "ceiling": "10.0000000000",
         "costPerRung": None, "throttle": False},  # no spend at all
        {"rung": "reply", "dimension": "CHANNEL", "value": "sms", "ceiling": "10.0000000000",
         "costPerRung": "4.0000000000", "throttle": False},
    ]  # fmt: skip

    # two ten-billionths more on email: 20.0000000002 / 2 = 10.0000000001 > 10
    await events.post(
        [{"type": "usage", "eventId": "tiny", "correlationId": "e1", "workflowKey": "outreach",
          "kind": "TOOL", "occurredAt": ago(1), "cost": "0.0000000002"}]
    )  # fmt: skip
    email = next(s for s in await status(tenant) if s["value"] == "email")
    assert (email["costPerRung"], email["throttle"]) == ("10.0000000001", True)

    # 60 days bring in the old $100 sms run that nobody answered: 104 / 1
    sms = next(s for s in await status(tenant, days=60) if s["value"] == "sms")
    assert (sms["costPerRung"], sms["throttle"]) == ("104.0000000000", True)


async def test_setting_a_ceiling_again_replaces_it(make_tenant, http, sessions):
    tenant, _ = await ceiling_tenant(make_tenant, http, sessions)
    await set_ceilings(tenant, ceiling("email", "5"))
    assert [(s["ceiling"], s["throttle"]) for s in await status(tenant)] == [("5.0000000000", True)]

    await set_ceilings(tenant, ceiling("email", "12.5"))

    assert [(s["ceiling"], s["throttle"]) for s in await status(tenant)] == [
        ("12.5000000000", False)
    ]


async def test_client_and_team_ceilings_slice_by_the_runs_client_and_team(
    make_tenant, http, sessions
):
    tenant = await make_tenant()
    await upsert(tenant, "outreach", "accepted", "reply")
    made = await tenant.gql('mutation { createClient(input: {name: "Acme"}) { clientId } }')
    acme = made["data"]["createClient"]["clientId"]
    events = await Events.for_tenant(http, sessions, tenant)
    await events.post(
        [
            *lead("a1", 3, "6", "email", replied=True, clientId=acme, team="growth"),
            *lead("a2", 3, "3", "email", clientId=acme, team="growth"),
            *lead("x1", 3, "50", "email", replied=True, team="core"),
        ]
    )
    await set_ceilings(
        tenant,
        ceiling(acme, "8", "CLIENT"),  # Acme: (6 + 3) / 1 = 9 > 8
        ceiling(acme.upper(), "8", "CLIENT", rung="accepted"),  # no accepted run: throttle
        ceiling("growth", "10", "TEAM"),  # growth: 9 / 1 = 9
    )

    found = {(s["rung"], s["dimension"], s["value"]): (s["costPerRung"], s["throttle"])
             for s in await status(tenant)}  # fmt: skip
    assert found == {
        ("reply", "CLIENT", acme): ("9.0000000000", True),  # the id is stored canonically
        ("accepted", "CLIENT", acme): (None, True),
        ("reply", "TEAM", "growth"): ("9.0000000000", False),
    }
    # ordered by rung position: accepted first
    assert [s["rung"] for s in await status(tenant)] == ["accepted", "reply", "reply"]


async def test_bad_ceilings_are_refused_naming_the_field(make_tenant, http, sessions):
    tenant, _ = await ceiling_tenant(make_tenant, http, sessions)
    cases = [
        (ceiling("email", "10", "MODEL"), "dimension"),
        (ceiling("email", "10", rung="deal"), "rung"),
        (ceiling("email", "-1"), "ceiling"),
        (ceiling("", "10"), "value"),
        (ceiling("not-a-client", "10", "CLIENT"), "value"),
        (ceiling(str(uuid.uuid4()), "10", "CLIENT"), "value"),
    ]
    for variables, field in cases:
        body = await tenant.gql(SET, variables)
        assert body["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT", "field": field}
    # an unknown workflow is NOT_FOUND, as for every field taking one (even with bad figures)
    unknown = {"input": ceiling("email", "-1")["input"] | {"workflowKey": "nope"}}
    body = await tenant.gql(SET, unknown)
    assert body["errors"][0]["extensions"] == {"code": "NOT_FOUND", "field": "workflowKey"}
    assert await status(tenant) == []
    body = await tenant.gql(STATUS, {"key": "outreach", "days": 0})
    assert body["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT", "field": "windowDays"}
    body = await tenant.gql(STATUS, {"key": "nope"})
    assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND"


async def test_who_may_set_and_read_ceilings(make_tenant, http, sessions):
    tenant, _ = await ceiling_tenant(make_tenant, http, sessions)
    analyst_set = await tenant.gql(SET, ceiling("email", "10"), role=Role.ANALYST)
    assert analyst_set["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    await set_ceilings(tenant, ceiling("email", "10"))

    assert len(await status(tenant, role=Role.ANALYST)) == 1
    viewer = await tenant.gql(
        STATUS, {"key": "outreach"}, role=Role.CLIENT_VIEWER, client_id=uuid.uuid4()
    )
    assert viewer["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_another_tenant_sees_none_of_the_ceilings(make_tenant, http, sessions):
    tenant, _ = await ceiling_tenant(make_tenant, http, sessions)
    await set_ceilings(tenant, ceiling("email", "10"))
    other, _ = await ceiling_tenant(make_tenant, http, sessions)  # same workflow key and data

    assert await status(other) == []
    assert len(await status(tenant)) == 1


async def test_ceilings_of_a_retired_rung_are_not_reported(make_tenant, http, sessions):
    tenant, _ = await ceiling_tenant(make_tenant, http, sessions)
    await set_ceilings(tenant, ceiling("email", "10"), ceiling("email", "1", rung="accepted"))

    await upsert(tenant, "outreach", "accepted")  # reply retired
    assert [s["rung"] for s in await status(tenant)] == ["accepted"]

    await upsert(tenant, "outreach", "accepted", "reply")  # revived, with its ceiling
    assert [s["rung"] for s in await status(tenant)] == ["accepted", "reply"]
