"""How the `ledger` command groups declare their subcommands (`ledger portal link`, ...)."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import TypeAlias

Commands: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"
Handler = Callable[[argparse.Namespace], int]


def command_group(commands: Commands, name: str, help: str) -> Commands:
    """`ledger NAME COMMAND`: the group's subcommands, one of which is required."""
    group = commands.add_parser(name, help=help)
    return group.add_subparsers(dest=f"{name}_command", metavar="COMMAND", required=True)


def subcommand(
    group: Commands, name: str, help: str, handler: Handler, *, tenant: bool = False
) -> argparse.ArgumentParser:
    """A subcommand run by `handler`; with `tenant`, it takes the required --tenant TENANT_ID."""
    parser = group.add_parser(name, help=help)
    if tenant:
        parser.add_argument("--tenant", required=True, metavar="TENANT_ID")
    parser.set_defaults(handler=handler)
    return parser
