"""The `ledger` command in-process, against the test servers (configured by environment)."""

from __future__ import annotations

import re
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from app.auth.authenticate import Authenticator
from app.auth.errors import AuthenticationFailed
from app.auth.principal import Role, Scope
from app.auth.tokens import TokenVerifier
from app.cli.admin import parse_ttl
from app.cli.output import CliError, format_table
from app.db.sessions import TenantSessions
from app.services.tenancy.tenants import tenant_exists
from app.settings import Settings, get_settings
from graphql_schema.snapshot import SNAPSHOT
from tests.integration.cli_support import ledger

# arq 0.28 closes its pools with redis-py's deprecated close(); not ours to fix.
pytestmark = pytest.mark.filterwarnings("ignore:Call to deprecated close:DeprecationWarning")


def last_word(text: str) -> str:
    return text.split()[-1]


async def test_tenant_create_prints_the_new_tenant_id(
    cli_env: Settings, sessions: TenantSessions, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await ledger("tenant create 'Acme Agency'") == 0
    out = capsys.readouterr().out
    tenant_id = uuid.UUID(last_word(out))
    assert "Acme Agency" in out
    assert await tenant_exists(sessions=sessions, tenant_id=tenant_id)


async def test_token_create_prints_a_token_that_verifies(
    cli_env: Settings, make_tenant: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    tenant_id = (await make_tenant()).tenant_id
    assert await ledger(f"token create --tenant {tenant_id} --role owner") == 0
    principal = TokenVerifier(cli_env).verify(last_word(capsys.readouterr().out))
    assert principal.tenant_id == tenant_id
    assert principal.role is Role.OWNER
    assert principal.client_id is None


# A tenant id no test creates (tenants get random ids).
UNKNOWN_TENANT = uuid.UUID(int=3)


@pytest.mark.parametrize(
    ("command", "code", "fragments"),
    [
        pytest.param(
            f"token create --tenant {UNKNOWN_TENANT} --role OWNER",
            1,
            [f"no tenant {UNKNOWN_TENANT}", "ledger tenant create"],
            id="token for a tenant this database does not hold",
        ),
        pytest.param(
            f"token create --tenant {UNKNOWN_TENANT} --role CLIENT_VIEWER",
            2,
            ["CLIENT_VIEWER", "--client"],
            id="client viewer token without its client",
        ),
        pytest.param(
            f"apikey create --tenant {UNKNOWN_TENANT} --name x --scope ingest",
            1,
            [f"no tenant {UNKNOWN_TENANT}", "ledger tenant create"],
            id="api key for an unknown tenant",
        ),
    ],
)
async def test_a_refused_command_prints_nothing_and_names_the_fix(
    cli_env: Settings,
    capsys: pytest.CaptureFixture[str],
    command: str,
    code: int,
    fragments: list[str],
) -> None:
    assert await ledger(command) == code
    captured = capsys.readouterr()
    assert all(fragment in captured.err for fragment in fragments), captured.err
    assert captured.out == ""


async def test_client_viewer_token_is_bound_to_its_client(
    cli_env: Settings, make_tenant: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    tenant_id, client_id = (await make_tenant()).tenant_id, uuid.uuid4()
    code = await ledger(
        f"token create --tenant {tenant_id} --role CLIENT_VIEWER --client {client_id} --ttl 7d"
    )
    assert code == 0
    out = capsys.readouterr().out
    principal = TokenVerifier(cli_env).verify(last_word(out))
    assert principal.role is Role.CLIENT_VIEWER
    assert principal.client_id == client_id


@pytest.mark.parametrize(
    "command",
    [
        "token create --tenant not-a-uuid --role OWNER",
        f"token create --tenant {uuid.UUID(int=1)} --role OWNER --ttl soon",
        f"token create --tenant {uuid.UUID(int=1)} --role KING",
        f"token create --tenant {uuid.UUID(int=1)} --role OWNER --client {uuid.UUID(int=2)}",
        "apikey create --tenant x --name n --scope configure",
        "",
    ],
)
async def test_bad_arguments_exit_2_and_say_what_to_do(
    cli_env: Settings, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    assert await ledger(command) == 2
    assert capsys.readouterr().err.strip()


async def test_apikey_create_then_revoke(
    cli_env: Settings, make_tenant, sessions: TenantSessions, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given a tenant and a key created through the CLI
    tenant = await make_tenant()
    code = await ledger(
        f"apikey create --tenant {tenant.tenant_id} --name ci --scope ingest --scope read"
    )
    assert code == 0
    out = capsys.readouterr().out
    key = last_word(out)
    key_id = re.search(r"key id\s+(\S+)", out)
    assert key_id is not None
    authenticator = Authenticator(TokenVerifier(cli_env), sessions)

    # Then it authenticates with its scopes
    principal = await authenticator.authenticate(None, api_key=key)
    assert principal.tenant_id == tenant.tenant_id
    assert principal.scopes == frozenset({Scope.INGEST, Scope.READ})

    # When it is revoked, it no longer authenticates
    assert await ledger(f"apikey revoke --tenant {tenant.tenant_id} {key_id[1]}") == 0
    assert "revoked" in capsys.readouterr().out
    with pytest.raises(AuthenticationFailed):
        await authenticator.authenticate(f"Bearer {key}")

    # And revoking it again says so
    assert await ledger(f"apikey revoke --tenant {tenant.tenant_id} {key_id[1]}") == 1
    assert "already revoked" in capsys.readouterr().err


async def test_schema_prints_the_sdl(cli_env: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    assert await ledger("schema") == 0
    assert "type Query" in capsys.readouterr().out


async def test_schema_export_and_check_the_snapshot(
    cli_env: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await ledger("schema check") == 0  # the committed snapshot is current
    copy = tmp_path / "schema.graphql"
    copy.write_text("type Query { stale: Int }\n")
    assert await ledger(f"schema check --output {copy}") == 1
    assert "ledger schema export" in capsys.readouterr().err
    assert await ledger(f"schema export --output {copy}") == 0
    assert copy.read_text() == SNAPSHOT.read_text()
    assert await ledger(f"schema check --output {copy}") == 0


async def test_migrate_is_idempotent(cli_env: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    assert await ledger("migrate") == 0
    assert "head" in capsys.readouterr().out


async def test_worker_check_fails_without_a_running_worker(
    cli_env: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await ledger("worker --check") == 1
    assert "no worker" in capsys.readouterr().out


async def test_invalid_configuration_is_a_usage_error(
    cli_env: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("LEDGER_ENV", "production")  # no verification key configured
    get_settings.cache_clear()
    assert await ledger("schema") == 2
    assert "invalid configuration" in capsys.readouterr().err


async def test_unreachable_database_names_the_fix(
    cli_env: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://ledger@127.0.0.1:1/ledger")
    get_settings.cache_clear()
    assert await ledger("tenant create Nowhere") == 1
    err = capsys.readouterr().err
    assert "cannot connect" in err and "DATABASE_URL" in err


@pytest.mark.parametrize(("text", "seconds"), [("30m", 1800), ("1h", 3600), ("7d", 604800)])
def test_ttl_units(text: str, seconds: int) -> None:
    assert parse_ttl(text) == seconds


@pytest.mark.parametrize("text", ["0h", "1w", "h", "-1h", ""])
def test_ttl_refuses_other_text(text: str) -> None:
    with pytest.raises(CliError) as raised:
        parse_ttl(text)
    assert raised.value.exit_code == 2


def test_tables_align_numbers_right_and_text_left() -> None:
    rows = [("ACCEPTED", 1200, Decimal("3.50")), ("RUNNING", 7, None)]
    assert format_table(("status", "runs", "cost"), rows).splitlines() == [
        "status     runs  cost",
        "--------  -----  ----",
        "ACCEPTED  1,200  3.50",
        "RUNNING       7",
    ]
