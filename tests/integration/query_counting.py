"""Counting the SQL statements of a GraphQL request, for the no-N+1 tests."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

from sqlalchemy import event


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
