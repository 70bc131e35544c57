"""Contract fields of features still to come answer honestly: the ladder, a null gate, and
NOT_IMPLEMENTED (after the permission check) for figures that land with later issues."""

from __future__ import annotations

from app.auth.principal import Role
from tests.integration.reads_factories import client, insert, rung, workflow

RANGE = '{from: "2026-03-01T00:00:00Z", to: "2026-04-01T00:00:00Z"}'


async def test_the_ladder_lists_rungs_in_position_order(make_tenant, sessions):
    tenant = await make_tenant()
    t = tenant.tenant_id
    wf, bare = workflow(t, "outreach"), workflow(t, "support")
    await insert(
        sessions,
        t,
        wf,
        bare,
        rung(t, wf, "deal", 2),
        rung(t, wf, "accepted", 0),
        rung(t, wf, "positive_reply", 1),
    )

    body = await tenant.gql(
        "{ workflows { key ladder { key name position } gate { targetLevel } } }"
    )

    assert body["data"]["workflows"] == [
        {
            "key": "outreach",
            "ladder": [
                {"key": "accepted", "name": "Accepted", "position": 0},
                {"key": "positive_reply", "name": "Positive_Reply", "position": 1},
                {"key": "deal", "name": "Deal", "position": 2},
            ],
            "gate": None,
        },
        {"key": "support", "ladder": [], "gate": None},
    ]


async def test_client_roi_checks_visibility_before_anything_else(make_tenant, sessions):
    tenant = await make_tenant()
    t = tenant.tenant_id
    acme, globex = client(t, "Acme"), client(t, "Globex")
    await insert(sessions, t, acme, globex)

    own = await tenant.gql(
        f'{{ client(id: "{acme.client_id}") {{ roi(range: {RANGE}) {{ roi }} }} }}',
        role=Role.CLIENT_VIEWER,
        client_id=acme.client_id,
    )
    other = await tenant.gql(
        f'{{ client(id: "{globex.client_id}") {{ roi(range: {RANGE}) {{ roi }} }} }}',
        role=Role.CLIENT_VIEWER,
        client_id=acme.client_id,
    )

    assert "errors" not in own and own["data"]["client"]["roi"] == {"roi": None}  # no cost yet
    assert other["errors"][0]["extensions"]["code"] == "FORBIDDEN"
