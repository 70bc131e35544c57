"""The `ledger` command: run, administer and demo Outcome Ledger.

Exit codes: 0 success, 1 the command could not do its work, 2 bad arguments or configuration,
130 interrupted.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from app.cli import admin, demo, gates, identity, portal, prices, roi, run
from app.cli.commands import Handler
from app.cli.output import CliError, print_error

EPILOG = """\
servers: with DATABASE_URL and REDIS_URL set, every command uses those servers; without them,
embedded PostgreSQL and Redis start under $LEDGER_DATA_DIR/embedded (default .ledger/).

quick start:  ledger demo        (embedded servers, seeded agency, GraphiQL, tokens)
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ledger",
        description="Outcome Ledger: what one accepted outcome of an agent workflow costs.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    run.register(commands)
    admin.register(commands)
    demo.register(commands)
    gates.register(commands)
    roi.register(commands)
    prices.register(commands)
    portal.register(commands)
    identity.register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help (0) or a usage error (2), already printed by argparse
        return exc.code if isinstance(exc.code, int) else 2
    handler: Handler = args.handler
    try:
        return handler(args)
    except CliError as error:
        print_error(error)
        return error.exit_code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


__all__ = ["build_parser", "main"]
