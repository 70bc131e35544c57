"""`TenantSql`: one statement, two ways of naming its tenant (app.db.tenant_sql). Which form a
connection gets is held by tests/integration/test_ingest_plans.py (one PostgreSQL) and the
OTLP tests of the Citus stage."""

from __future__ import annotations

import pytest

from app.db.tenant_sql import TenantSql

PROBE = "SELECT 1 FROM runs r WHERE r.tenant_id = {tenant} AND r.correlation_id = $2"


def test_one_postgresql_hides_the_tenant_and_citus_routes_on_it() -> None:
    statement = TenantSql(PROBE)
    assert statement.plain.endswith("r.tenant_id = (SELECT $1::uuid) AND r.correlation_id = $2")
    assert statement.citus.endswith("r.tenant_id = $1 AND r.correlation_id = $2")


def test_a_statement_that_does_not_name_its_tenant_is_refused() -> None:
    with pytest.raises(ValueError, match=r"\{tenant\}"):
        TenantSql("SELECT 1 FROM runs WHERE tenant_id = $1")
