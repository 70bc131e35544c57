"""bench.citus_compare's plan census reads auto_explain notices (the text as Citus 13.2 prints
them on PostgreSQL 15) and tells a one-shard statement from a fan-out; and bench.citus_load
copies tables referenced before the tables referencing them."""

from __future__ import annotations

import pytest

from bench.citus_compare import parse_plan
from bench.citus_load import foreign_key_order

ROUTED = """duration: 38.130 ms  plan:
Query Text: SELECT count(*)
FROM runs
WHERE tenant_id = $1
Custom Scan (Citus Adaptive)  (cost=0.00..0.00 rows=0 width=0)
  Task Count: 1
  Tasks Shown: All
  ->  Task
        Node: host=127.0.0.1 port=9711 dbname=ledger
        ->  Aggregate  (cost=8.16..8.17 rows=1 width=8)
              ->  Index Only Scan using ix_runs_102210 on runs_102210 runs  (cost=0.14..8.15)
                    Index Cond: (tenant_id = $1)"""
FANNED = """duration: 49.849 ms  plan:
Query Text: select count(*) from runs
Aggregate  (cost=250.00..250.02 rows=1 width=8)
  ->  Custom Scan (Citus Adaptive)  (cost=0.00..0.00 rows=100000 width=8)
        Task Count: 8
        Tasks Shown: One of 8"""
LOCAL = """duration: 0.020 ms  plan:
Query Text: SELECT 1
Result  (cost=0.00..0.01 rows=1 width=4)"""


def test_a_routed_statement_is_one_shard_with_its_text_and_plan() -> None:
    planned = parse_plan(ROUTED)
    assert planned is not None
    assert planned.text == "SELECT count(*) FROM runs WHERE tenant_id = $1"
    assert planned.task_counts == [1]
    assert planned.routing == "one shard"
    assert planned.plan.startswith("Custom Scan (Citus Adaptive)")
    assert planned.plan.endswith("Index Cond: (tenant_id = $1)")


def test_a_fan_out_and_a_statement_without_distributed_tables() -> None:
    fanned, local = parse_plan(FANNED), parse_plan(LOCAL)
    assert fanned is not None and local is not None
    assert (fanned.task_counts, fanned.routing) == ([8], "several shards")
    assert (local.task_counts, local.routing) == ([], "no distributed table")
    assert parse_plan("some other notice") is None


def test_foreign_key_order_puts_referenced_tables_first() -> None:
    edges = [("runs", "workflows"), ("workflows", "tenants"), ("runs", "clients"),
             ("clients", "tenants"), ("tenants", "tenants")]  # fmt: skip
    assert foreign_key_order(["runs", "workflows", "clients", "tenants"], edges) == [
        "tenants", "clients", "workflows", "runs",
    ]  # fmt: skip
    with pytest.raises(ValueError, match="cycle"):
        foreign_key_order(["a", "b"], [("a", "b"), ("b", "a")])
