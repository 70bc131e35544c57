"""Every example of the README's "Examples" section, run verbatim against a seeded demo tenant
with the variables and credentials `ledger demo` prints (`app.cli.demo_env`), so they cannot rot:
each GraphQL block answers without an error, and the ingest body is accepted."""

from __future__ import annotations

import argparse
import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from app.cli.demo_env import example_variables, write_demo_env
from app.cli.demo_setup import DemoAccess, prepare
from tests.conftest import TenantHandle

README = Path(__file__).resolve().parents[2] / "README.md"


def examples_section() -> str:
    text = README.read_text()
    return text.split("## Examples", 1)[1].split("\n## ", 1)[0]


def graphql_blocks() -> list[str]:
    return re.findall(r"```graphql\n(.*?)```", examples_section(), flags=re.S)


def ingest_body() -> list[dict[str, Any]]:
    [block] = [
        b for b in re.findall(r"```bash\n(.*?)```", examples_section(), re.S) if "/v1/events" in b
    ]
    return json.loads(block.split("-d '", 1)[1].rsplit("'", 1)[0])


@pytest.fixture(scope="module")
async def demo(migrated, tmp_path_factory) -> DemoAccess:
    settings = migrated.model_copy(update={"data_dir": tmp_path_factory.mktemp("demo")})
    return await prepare(settings, argparse.Namespace(reset=True, days=30, runs_per_day=20))


def test_the_readme_has_the_examples_this_test_runs() -> None:
    assert len(graphql_blocks()) >= 4
    assert {row["type"] for row in ingest_body()} == {"run", "usage", "label"}


@pytest.mark.parametrize("index", range(len(graphql_blocks())))
async def test_each_graphql_example_answers_without_an_error(demo, migrated, http, index) -> None:
    query = graphql_blocks()[index]
    # The client's own query runs with the client-viewer token, as the README says.
    token = demo.viewer_token if "$client" in query else demo.owner_token
    variables = example_variables(demo.viewer_client_id, datetime.now(UTC))
    data = await TenantHandle(demo.tenant_id, migrated, http).data(query, variables, token=token)
    assert all(value not in (None, [], {}) for value in data.values()), data


async def test_the_ingest_example_is_accepted_with_the_demo_api_key(demo, http) -> None:
    response = await http.post(
        "/v1/events",
        json=ingest_body(),
        headers={"Authorization": f"Bearer {demo.api_key}"},
    )
    assert response.status_code == 200, response.text
    assert not response.json().get("errors"), response.json()


def test_demo_env_holds_what_the_shell_examples_read(demo, tmp_path) -> None:
    path = tmp_path / "demo.env"
    write_demo_env(path, demo, "http://127.0.0.1:8000/graphql", datetime.now(UTC))
    text = path.read_text()
    for name in re.findall(r"\$(LEDGER_[A-Z_]+)", examples_section()):
        assert f"export {name}=" in text, name
    assert path.stat().st_mode & 0o777 == 0o600
