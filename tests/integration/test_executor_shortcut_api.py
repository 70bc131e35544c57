"""Over HTTP, the leaf shortcut executor gives the same bodies as graphql-core's executor.

Every read case of the isolation suite (every field of the served schema, as the owner, as
another tenant's owner and as a client viewer, errors included) and the read benchmark's
dashboard and client-viewer documents are sent twice to the served app: once with the schema's
`LeafShortcutExecutor` and once with strawberry's default executor swapped in. The bodies must be
identical, byte for byte once decoded.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from app.auth.principal import Role
from bench.read_bench import CLIENT, DASHBOARD
from graphql_schema.executor import LeafShortcutExecutor
from graphql_schema.http import LedgerGraphQL
from tests.integration.isolation_seed import seed_tenant
from tests.integration.test_isolation_every_field import CASES, used, variables


@contextmanager
def general_executor(app: Any) -> Iterator[None]:
    """Swap graphql-core's (strawberry's default) executor into the served schema for a while."""
    (view,) = [
        route.endpoint
        for route in app.routes
        if isinstance(getattr(route, "endpoint", None), LedgerGraphQL)
    ]
    assert view.schema.execution_context_class is LeafShortcutExecutor
    view.schema.execution_context_class = StrawberryGraphQLCoreExecutionContext
    try:
        yield
    finally:
        view.schema.execution_context_class = LeafShortcutExecutor


async def test_every_read_field_answers_the_same_with_either_executor(app, make_tenant) -> None:
    a_handle, b_handle = await make_tenant(), await make_tenant()
    a = await seed_tenant(a_handle, "exa", salt=3)
    b = await seed_tenant(b_handle, "exb", salt=5)
    values = variables(a, b)
    requests: list[tuple[str, Any, str, dict[str, Any], dict[str, Any]]] = []
    for name, case in CASES.items():
        v = used(case.query, values)
        requests += [
            (name, a_handle, case.query, v, {}),
            (name, b_handle, case.query, v, {}),
            (name, a_handle, case.query, v,
             {"role": Role.CLIENT_VIEWER, "client_id": a.client_x_uuid}),
        ]  # fmt: skip
    requests += [
        ("dashboard", a_handle, DASHBOARD, {"range": a.range}, {}),
        ("client viewer", a_handle, CLIENT,
         {"id": a.client_x, "workflow": a.workflow_key, "range": a.range},
         {"role": Role.CLIENT_VIEWER, "client_id": a.client_x_uuid}),
    ]  # fmt: skip
    shortcut = [await h.gql(q, v, **kw) for _, h, q, v, kw in requests]
    with general_executor(app):
        general = [await h.gql(q, v, **kw) for _, h, q, v, kw in requests]
    differing = [req[0] for req, x, y in zip(requests, shortcut, general, strict=True) if x != y]
    assert differing == []
    # The documents did return data and errors both (else the comparison proves little).
    assert sum("errors" in body for body in shortcut) > 10
    dashboard = shortcut[-2]["data"]["workflows"]
    assert dashboard and dashboard[0]["costPerOutcome"]["totalCost"]
