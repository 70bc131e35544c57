"""`ledger gate status`: exit 0 when ready, 1 when not, 2 on error — for CI pipelines."""

from __future__ import annotations

import json
import uuid

import pytest

from app.settings import Settings
from tests.integration.cli_support import ledger
from tests.integration.gates_factories import EXPENSIVE, GREEN, now_utc, seed_workflow
from tests.integration.test_gates_api import SET_GATE, gate_input

pytestmark = pytest.mark.filterwarnings("ignore:Call to deprecated close:DeprecationWarning")


async def gated_tenant(make_tenant, sessions, days) -> uuid.UUID:
    tenant = await make_tenant()
    await seed_workflow(sessions, tenant.tenant_id, days, now=now_utc())
    assert "errors" not in await tenant.gql(SET_GATE, gate_input())
    return tenant.tenant_id


async def test_a_ready_workflow_exits_0_with_its_table(
    cli_env: Settings, make_tenant, sessions, capsys: pytest.CaptureFixture[str]
) -> None:
    tenant_id = await gated_tenant(make_tenant, sessions, GREEN)
    assert await ledger(f"gate status support --tenant {tenant_id}") == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "support: level 0 -> 1: READY"
    headers = ["check", "status", "observed", "bound", "threshold", "sample", "detail"]
    assert out[2].split() == headers
    # Wilson lower bound of 120/120: 1 / (1 + 3.841459/120) = 1 / 1.032012 = 0.968981
    assert out[4].split()[:6] == ["quality", "PASS", "1.0", "0.969", "0.8", "120"]
    assert out[5].split()[:6] == ["cost", "PASS", "4.0", "4.0", "5.0", "120"]
    assert out[6].split()[:6] == ["drift", "PASS", "0.0", "0.0", "10.0", "30"]
    assert "blockers:" not in out


async def test_a_workflow_that_is_not_ready_exits_1_with_its_blockers(
    cli_env: Settings, make_tenant, sessions, capsys: pytest.CaptureFixture[str]
) -> None:
    tenant_id = await gated_tenant(make_tenant, sessions, EXPENSIVE)
    assert await ledger(f"gate status support --tenant {tenant_id}") == 1
    out = capsys.readouterr().out
    assert "support: level 0 -> 1: NOT READY" in out
    assert "blockers:\n  - Cost per outcome 6.00" in out


async def test_json_output_for_scripts(
    cli_env: Settings, make_tenant, sessions, capsys: pytest.CaptureFixture[str]
) -> None:
    tenant_id = await gated_tenant(make_tenant, sessions, EXPENSIVE)
    assert await ledger(f"gate status support --tenant {tenant_id} --json") == 1
    data = json.loads(capsys.readouterr().out)
    assert (data["ready"], data["status"], data["cost"]["status"]) == (False, "FAIL", "FAIL")


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ("nope --tenant {tenant}", "no workflow 'nope'"),
        (f"support --tenant {uuid.UUID(int=7)}", "no tenant"),
        ("support --tenant not-a-uuid", "is not a UUID"),
    ],
)
async def test_errors_exit_2(
    cli_env: Settings,
    make_tenant,
    sessions,
    capsys: pytest.CaptureFixture[str],
    arguments: str,
    message: str,
) -> None:
    tenant_id = await gated_tenant(make_tenant, sessions, GREEN)
    assert await ledger("gate status " + arguments.format(tenant=tenant_id)) == 2
    assert message in capsys.readouterr().err


async def test_without_tenant_and_with_many_tenants_it_asks_for_one(
    cli_env: Settings, make_tenant, capsys: pytest.CaptureFixture[str]
) -> None:
    await make_tenant()
    await make_tenant()
    assert await ledger("gate status support") == 2
    assert "--tenant" in capsys.readouterr().err
