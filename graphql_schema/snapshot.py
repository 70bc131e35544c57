"""The committed SDL snapshot (graphql_schema/schema.graphql) that frontend codegen reads.

`ledger schema export` rewrites it from the code; `ledger schema check` and the test suite fail
while it differs from the schema the code serves. The SDL does not depend on settings.
"""

from __future__ import annotations

from pathlib import Path

from app.settings import Settings
from graphql_schema.schema import build_schema

SNAPSHOT = Path(__file__).with_name("schema.graphql")


def current_sdl(settings: Settings | None = None) -> str:
    """The SDL the code serves, as the snapshot holds it (one trailing newline)."""
    return build_schema(settings or Settings()).as_str().rstrip("\n") + "\n"


def export(path: Path = SNAPSHOT, settings: Settings | None = None) -> bool:
    """Write the snapshot; True when its content changed."""
    sdl = current_sdl(settings)
    if path.exists() and path.read_text() == sdl:
        return False
    path.write_text(sdl)
    return True


def is_current(path: Path = SNAPSHOT, settings: Settings | None = None) -> bool:
    return path.exists() and path.read_text() == current_sdl(settings)
