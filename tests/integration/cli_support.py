"""Running the `ledger` command in-process; the `cli_env` fixture (tests/conftest.py) points it at
the test servers."""

from __future__ import annotations

import asyncio
import shlex

from app.cli import main


async def ledger(command: str) -> int:
    """Run `ledger COMMAND` in a thread: the CLI runs its own event loop with asyncio.run."""
    return await asyncio.to_thread(main, shlex.split(command))
