"""Counting the SQL statements of a GraphQL request, for the no-N+1 tests."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

from sqlalchemy import event

from tests.integration.reads_factories import insert, workflow


@contextmanager
def counting(app: Any) -> Iterator[list[str]]:
    statements: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    engine = app.state.engine.sync_engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


async def statements_for(
    app: Any,
    tenant: Any,
    query: str,
    counter: Callable[[Any], AbstractContextManager[list[str]]] = counting,
) -> list[str]:
    """The statements `query` runs (`counter` collects them; `counting` by default)."""
    # The first request of a tenant's token also checks that the tenant exists (one
    # transaction, then cached): counted here are the statements of the figures themselves.
    await tenant.gql("{ viewer { role } }")
    with counter(app) as statements:
        await tenant.data(query)
    return statements


async def tenant_of_workflows(
    make_tenant: Any, sessions: Any, n: int, rows_of: Callable[[Any, Any, int], list[Any]]
) -> Any:
    """A fresh tenant with `n` workflows wf00, wf01, ..., the i-th with the rows
    `rows_of(tenant_id, workflow, i)`: the same data at two sizes, for the no-N+1 tests."""
    tenant = await make_tenant()
    t = tenant.tenant_id
    rows: list[Any] = []
    for i in range(n):
        wf = workflow(t, f"wf{i:02}")
        rows += [wf, *rows_of(t, wf, i)]
    await insert(sessions, t, *rows)
    return tenant
