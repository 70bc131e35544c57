"""What the README's examples need from a running demo, printed and written to a file to source.

The README's GraphQL examples take their variables from `example_variables` (the last 30 days up
to tomorrow, so the range moves with the demo's data, and the client viewer's client id); the
shell examples read `.ledger/demo.env` (`. .ledger/demo.env`): the URL, both tokens, the API key
and the same variables. tests/integration/test_readme_examples.py runs the README's examples with
exactly these values against a seeded demo tenant.
"""

from __future__ import annotations

import json
import os
import shlex
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from app.cli.demo_setup import DemoAccess


def example_variables(viewer_client_id: uuid.UUID, now: datetime) -> dict[str, Any]:
    """`$range` (the 30 days up to the end of today, UTC) and `$client` (the viewer's client)."""
    to = datetime.combine(now.astimezone(UTC).date() + timedelta(days=1), datetime.min.time(), UTC)
    return {
        "range": {"from": (to - timedelta(days=30)).isoformat(), "to": to.isoformat()},
        "client": str(viewer_client_id),
    }


def write_demo_env(path: Path, access: DemoAccess, url: str, now: datetime) -> None:
    """`path` as shell `export` lines, readable by its owner only (it holds credentials)."""
    values = {
        "LEDGER_URL": url,
        "LEDGER_BASE_URL": url.removesuffix("/graphql"),
        "LEDGER_TENANT_ID": str(access.tenant_id),
        "LEDGER_OWNER_TOKEN": access.owner_token,
        "LEDGER_VIEWER_TOKEN": access.viewer_token,
        "LEDGER_CLIENT_ID": str(access.viewer_client_id),
        "LEDGER_API_KEY": access.api_key,
        "LEDGER_VARIABLES": json.dumps(example_variables(access.viewer_client_id, now)),
    }
    lines = ["# Written by `ledger demo` for the README's examples: . .ledger/demo.env"]
    lines += [f"export {name}={shlex.quote(value)}" for name, value in values.items()]
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as out:
        out.write("\n".join(lines) + "\n")
    path.chmod(0o600)
