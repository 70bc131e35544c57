"""No N+1 in ROI reads: a dashboard of 5 or of 50 workflows and clients costs the same queries.

The ROI services run set-based SQL on the asyncpg connection under the session, which
SQLAlchemy's cursor events do not see; so statements are counted on both: SQLAlchemy's
(`set_config` of each transaction, the workflow and client lists) and asyncpg's query logger on
every connection checked out. Only statements naming `tenant_id` are counted: that leaves out
BEGIN/COMMIT and asyncpg's one-off type introspection on a fresh connection.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event

from tests.integration.query_counting import statements_for
from tests.integration.reads_factories import client, day, insert, run, usage, workflow
from tests.integration.roi_helpers import rebuild, revenue

MARCH = '{from: "2026-03-01T00:00:00Z", to: "2026-04-01T00:00:00Z"}'
WORKFLOWS = f"""
{{
  workflows {{
    key
    roiWindows(range: {MARCH}) {{ clientId runs cost attributedRevenue roi }}
    roi(range: {MARCH}) {{ cost lift roi unattributedRevenue complete }}
  }}
}}
"""
# A separate request: fields of two top-level lists may or may not share a loader batch,
# depending on which list query returns first.
CLIENTS = f"{{ clients {{ name roi(range: {MARCH}) {{ successes roi }} }} }}"


@contextmanager
def counting(app: Any) -> Iterator[list[str]]:
    statements: list[str] = []

    def keep(statement: str) -> None:
        if "tenant_id" in statement:
            statements.append(statement)

    def logged(query: Any) -> None:
        keep(query.query)

    def executed(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        keep(statement)

    def on_checkout(dbapi_connection: Any, record: Any, proxy: Any) -> None:
        driver = dbapi_connection.driver_connection
        if logged not in getattr(driver, "_query_loggers", ()):
            driver.add_query_logger(logged)

    def on_checkin(dbapi_connection: Any, record: Any) -> None:
        if dbapi_connection is not None:
            dbapi_connection.driver_connection.remove_query_logger(logged)

    engine = app.state.engine.sync_engine
    event.listen(engine, "before_cursor_execute", executed)
    event.listen(engine.pool, "checkout", on_checkout)
    event.listen(engine.pool, "checkin", on_checkin)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", executed)
        event.remove(engine.pool, "checkout", on_checkout)
        event.remove(engine.pool, "checkin", on_checkin)


async def agency(make_tenant, sessions, n: int):
    tenant = await make_tenant()
    t = tenant.tenant_id
    rows: list[Any] = []
    for i in range(n):
        wf, who = workflow(t, f"wf{i:02}"), client(t, f"Client {i:02}")
        mine = {"client_id": who.client_id}
        rows += [
            wf,
            who,
            run(t, wf, f"ok-{i}", started_at=day(1), status="ACCEPTED", **mine),
            run(t, wf, f"no-{i}", started_at=day(2), status="REJECTED", **mine),
            usage(t, wf, "1.25", correlation_id=f"ok-{i}", occurred_at=day(1)),
            revenue(t, who, "9.99", day(3)),
        ]
    await insert(sessions, t, *rows)
    await rebuild(sessions, t)
    return tenant


async def test_a_roi_dashboard_costs_the_same_few_queries_for_5_or_50(app, make_tenant, sessions):
    five = await agency(make_tenant, sessions, 5)
    fifty = await agency(make_tenant, sessions, 50)

    counts = []
    for query in (WORKFLOWS, CLIENTS):
        small = await statements_for(app, five, query, counting)
        large = await statements_for(app, fifty, query, counting)
        counts.append((len(small), len(large)))

    # Measured: 8 and 6. Workflows: the list, the windows (one query) and the sums (three
    # queries: windows, unattributed revenue, pending recomputes), and a set_config per
    # transaction (three). Clients: the list and the sums, in two transactions.
    assert counts == [(8, 8), (6, 6)], counts
    workflows = (await fifty.gql(WORKFLOWS))["data"]["workflows"]
    clients = (await fifty.gql(CLIENTS))["data"]["clients"]
    assert len(workflows) == 50 and all(len(w["roiWindows"]) == 2 for w in workflows)
    assert len(clients) == 50 and all(c["roi"]["successes"] == 1 for c in clients)
