"""The domain core stays pure: stdlib and app.domain imports only, no I/O, no clock."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

DOMAIN = Path(__file__).resolve().parents[2] / "app" / "domain"
MODULES = sorted(DOMAIN.glob("*.py"))

# stdlib modules that would mean I/O, processes, the clock or randomness in the pure core
FORBIDDEN_STDLIB = {
    "asyncio", "http", "io", "logging", "os", "pathlib", "random", "secrets", "shutil",
    "socket", "sqlite3", "subprocess", "sys", "tempfile", "threading", "time", "urllib",
}  # fmt: skip
CLOCK_CALLS = {"now", "utcnow", "today", "monotonic", "perf_counter", "time_ns"}


def imported_modules(tree: ast.Module) -> list[str]:
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0:
                assert node.module is not None
                names.append(node.module)
            elif node.level == 1:  # sibling module inside app/domain
                names.append("app.domain" + (f".{node.module}" if node.module else ""))
            else:
                names.append("." * node.level + (node.module or ""))
    return names


def test_domain_has_modules() -> None:
    names = {m.stem for m in MODULES}
    expected = {"enums", "money", "pricing", "acceptance", "cost_per_outcome"}
    expected |= {"failure_share", "run_cost_stats", "breakdown"}
    assert expected <= names


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.name)
def test_imports_only_stdlib_and_domain(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for name in imported_modules(tree):
        top = name.split(".")[0]
        if name == "app.domain" or name.startswith("app.domain."):
            continue
        assert top in sys.stdlib_module_names, f"{path.name} imports non-stdlib {name}"
        assert top not in FORBIDDEN_STDLIB, f"{path.name} imports {name}: not pure"


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.name)
def test_no_clock_no_dynamic_imports_no_io(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Attribute):
                assert func.attr not in CLOCK_CALLS, f"{path.name}:{node.lineno} reads a clock"
                assert func.attr != "import_module", f"{path.name}:{node.lineno}"
            if isinstance(func, ast.Name):
                assert func.id not in {"open", "__import__", "print", "input", "exec", "eval"}, (
                    f"{path.name}:{node.lineno} calls {func.id}"
                )


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.name)
def test_modules_stay_small(path: Path) -> None:
    assert len(path.read_text(encoding="utf-8").splitlines()) < 300
