"""What the server log says about GraphQL errors: a client's mistake is one INFO line without a
traceback (internal errors are logged at ERROR with their traceback, before masking)."""

from __future__ import annotations

import logging

from app.auth.principal import Role
from tests.integration.test_reads_access import CLIENT_FIGURES, client_viewer_tenant


def records(caplog) -> list[tuple[str, int, bool, str]]:
    return [
        (r.name, r.levelno, r.exc_info is not None, r.getMessage())
        for r in caplog.records
        if r.name in ("ledger.graphql", "strawberry.execution")
    ]


async def test_client_errors_are_logged_at_info_without_a_traceback(make_tenant, sessions, caplog):
    # Given a tenant with a client
    tenant, acme, _ = await client_viewer_tenant(make_tenant, sessions)
    caplog.set_level(logging.DEBUG)

    # When a caller asks for a workflow that does not exist, and a client viewer for tenant data
    missing = await tenant.gql(CLIENT_FIGURES, {"client": str(acme.client_id), "key": "nope"})
    denied = await tenant.gql(
        "{ workflows { key } }", role=Role.CLIENT_VIEWER, client_id=acme.client_id
    )

    # Then each is one INFO line naming its code, and nothing carries a traceback
    assert missing["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    assert denied["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    logged = records(caplog)
    assert [(name, level, trace) for name, level, trace, _ in logged] == [
        ("ledger.graphql", logging.INFO, False),
        ("ledger.graphql", logging.INFO, False),
    ]
    assert logged[0][3].startswith("graphql client error NOT_FOUND at client.")
    assert logged[1][3].startswith("graphql client error FORBIDDEN at workflows")
