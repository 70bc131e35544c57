"""cohort_days triggers probe by key: each key's run or run cost is one index lookup

The `cohort_days` triggers of migration 0009 joined the statement's rows (a transition table)
with `runs` or `run_costs`. For a tenant the statistics do not hold yet (one that started after
the tables were last analysed) the planner expects that tenant to have one row, reads its whole
range of an index once, and joins the statement's rows against each row of it: with 50,000
unanalysed runs of a new tenant, 100 labels took 6.2 s (the run costs locked for a status
change) and a batch of 100 runs and 500 usage events 6.5 s (the usage's runs), growing with
the tenant until the next ANALYZE. Here each lookup is a LATERAL probe by its full key
(`OFFSET 0` keeps it one), whatever the statistics say: 0.10 s and 0.07 s on the same data
(tests/integration/test_ingest_plans.py). The sums are the same; the run costs of a status
change are still locked in key order.

On Citus the bodies run through `ledger_on_shards()` as migration 0017 set up.

Revision ID: 0025
Revises: 0024
"""

import importlib

from alembic import op

from migrations.citus import citus_installed

revision: str = "0025"
down_revision: str | None = "0024"

DAILY = importlib.import_module("migrations.versions.0009_daily_rollups")
DISTRIBUTION = importlib.import_module("migrations.versions.0017_citus_distribution")


# 0009's joins, and the probes by key that replace them.
RUN_COST_JOIN = """LEFT JOIN run_costs AS rc
                     ON rc.tenant_id = {rows}.tenant_id AND rc.correlation_id = {rows}.correlation_id"""
RUN_COST_PROBE = """LEFT JOIN LATERAL (
                  SELECT rc.cost FROM run_costs AS rc
                  WHERE rc.tenant_id = {rows}.tenant_id
                    AND rc.correlation_id = {rows}.correlation_id
                  OFFSET 0) AS rc ON true"""
RUN_JOIN = """JOIN runs AS r
                ON r.tenant_id = u.tenant_id AND r.correlation_id = u.correlation_id"""
RUN_PROBE = """CROSS JOIN LATERAL (
                  SELECT r.tenant_id, r.workflow_id, r.started_at, r.client_id, r.status
                  FROM runs AS r
                  WHERE r.tenant_id = u.tenant_id AND r.correlation_id = u.correlation_id
                  OFFSET 0) AS r"""
# The costs of 0009's `moved` runs, locked in key order: one probe each, the keys sorted first
# (a nested loop runs the probes in its outer rows' order).
MOVED_COSTS_JOIN = """costs AS (
        SELECT rc.tenant_id, rc.correlation_id, rc.cost FROM run_costs AS rc
        WHERE (rc.tenant_id, rc.correlation_id) IN (SELECT tenant_id, correlation_id FROM moved)
        ORDER BY rc.tenant_id, rc.correlation_id
        FOR UPDATE
    )"""
MOVED_COSTS_PROBE = """costs AS MATERIALIZED (
        SELECT rc.tenant_id, rc.correlation_id, rc.cost
        FROM (SELECT DISTINCT tenant_id, correlation_id FROM moved ORDER BY 1, 2) AS m
        CROSS JOIN LATERAL (
            SELECT rc.tenant_id, rc.correlation_id, rc.cost FROM run_costs AS rc
            WHERE rc.tenant_id = m.tenant_id AND rc.correlation_id = m.correlation_id
            OFFSET 0
            FOR UPDATE) AS rc
    )"""


def _probing(body: str, join: str, probe: str) -> str:
    """`body` with its one `join` replaced by `probe`."""
    assert body.count(join) == 1, "0009's body has the join this revision replaces"
    return body.replace(join, probe)


# Function name: (0009's body, this revision's).
BODIES = {
    name: (old, _probing(old, join, probe))
    for name, old, join, probe in (
        (
            "runs_rollup_ins_days",
            DAILY.RUNS_INSERTED,
            RUN_COST_JOIN.format(rows="n"),
            RUN_COST_PROBE.format(rows="n"),
        ),
        (
            "runs_rollup_del_days",
            DAILY.RUNS_DELETED,
            RUN_COST_JOIN.format(rows="o"),
            RUN_COST_PROBE.format(rows="o"),
        ),
        ("runs_rollup_upd_days", DAILY.RUNS_UPDATED, MOVED_COSTS_JOIN, MOVED_COSTS_PROBE),
        ("usage_events_rollup_ins_days", DAILY.USAGE_INSERTED, RUN_JOIN, RUN_PROBE),
        ("usage_events_rollup_del_days", DAILY.USAGE_DELETED, RUN_JOIN, RUN_PROBE),
        ("usage_events_rollup_upd_days", DAILY.USAGE_UPDATED, RUN_JOIN, RUN_PROBE),
    )
}


def _replace(which: int) -> None:
    """Each function's body: 0009's (`which` 0) or this revision's (1), wrapped on Citus."""
    connection = op.get_bind()
    template = DISTRIBUTION.WRAPPER if citus_installed() else DISTRIBUTION.PLAIN
    for name, bodies in BODIES.items():
        # Driver-level: casts in the bodies would read as SQLAlchemy binds. `;` as 0009 wrote it.
        connection.exec_driver_sql(
            template.format(name=name, tag=DISTRIBUTION.BODY_TAG, body=bodies[which] + ";")
        )


def upgrade() -> None:
    _replace(1)


def downgrade() -> None:
    _replace(0)
