"""`ledger migrate`, `ledger serve`, `ledger worker`, `ledger schema`: running the service."""

from __future__ import annotations

import argparse
import gc
import logging
import socket
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import uvicorn
from alembic.script import ScriptDirectory
from arq.worker import async_check_health, run_worker
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from starlette.applications import Starlette
from uvicorn.supervisors import Multiprocess

from app.cli.output import CliError, usage_error
from app.cli.roi import cmd_worker_status
from app.cli.servers import explain_database_error, load_settings, resolve_servers, run_against
from app.logs import configure_logging
from app.main import create_app
from app.migrate import alembic_config, upgrade
from app.settings import Settings
from graphql_schema.schema import build_schema
from workers.settings import WorkerSettings, redis_settings, worker_settings

log = logging.getLogger("ledger.worker")


def migrate(settings: Settings) -> str:
    """Upgrade the database to the latest revision as the owner role; returns that revision."""
    try:
        upgrade(settings)
    except Exception as exc:
        explained = explain_database_error(exc, settings)
        if explained is None:
            raise
        raise explained from exc
    head = ScriptDirectory.from_config(alembic_config(settings)).get_current_head()
    return head or "base"


def cmd_migrate(args: argparse.Namespace) -> int:
    settings = resolve_servers(load_settings(), redis=False).settings
    revision = migrate(settings)
    print(f"database migrated to revision {revision} (head)")
    return 0


def bind_socket(host: str, port: int) -> socket.socket:
    """Bind before starting, so a busy port is a clear error and not a log line from uvicorn."""
    if not 0 < port < 65536:
        raise usage_error(f"--port {port} is out of range", "pick a port between 1 and 65535")
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
    except socket.gaierror as exc:
        raise usage_error(
            f"--host {host!r} does not resolve: {exc}", "pass an IP such as 127.0.0.1"
        ) from exc
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
    except OSError as exc:
        sock.close()
        raise usage_error(
            f"cannot listen on {host}:{port}: {exc.strerror}",
            "pass another --port, or stop the process using it",
        ) from exc
    sock.set_inheritable(True)
    return sock


# Logging stays ours (one JSON line per request from RequestLog): no uvicorn log config, no
# second access log.
SERVE_OPTIONS: dict[str, Any] = {
    "lifespan": "on",
    "log_config": None,
    "access_log": False,
    "server_header": False,
}


def uvicorn_config(settings: Settings, host: str, port: int) -> uvicorn.Config:
    return uvicorn.Config(create_app(settings), host=host, port=port, **SERVE_OPTIONS)


# The API server's garbage collector: young collections every 50,000 net container allocations
# (CPython's default is 700). See tune_gc.
GC_THRESHOLDS = (50_000, 20, 20)


def tune_gc() -> None:
    """Take what start-up built (modules, the GraphQL schema, the app) out of the collector's
    reach (`gc.freeze`), and collect far less often: with CPython's defaults an ingest batch of
    10,000 records triggers dozens of collections that walk its live records, and full ones
    that walk every start-up object too (server CPU per 1k events at 10k batches 15 → 12 ms,
    docs/benchmarks.md, Ingest round 4). Nothing a client sees changes; garbage in reference
    cycles only waits a little longer to be freed."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


class ServeWorker:
    """The app factory of one `ledger serve --workers N` worker process: uvicorn pickles it into
    each spawned worker, which calls it to build its own app (its own pool and Redis client)
    and then tunes its collector, as a single-process server does before serving."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def __call__(self) -> Starlette:
        configure_logging(self.settings.log_level)
        app = create_app(self.settings)
        tune_gc()
        return app


def multiprocess_config(settings: Settings, host: str, port: int, workers: int) -> uvicorn.Config:
    return uvicorn.Config(
        ServeWorker(settings), factory=True, workers=workers, host=host, port=port, **SERVE_OPTIONS
    )


def cmd_serve(args: argparse.Namespace) -> int:
    if args.workers < 1:
        raise usage_error(f"--workers {args.workers} is out of range", "pass 1 or more")
    base = load_settings()
    sock = bind_socket(args.host, args.port)  # fail fast, before starting anything
    try:
        settings = resolve_servers(base).settings
        configure_logging(settings.log_level)
        print(f"serving GraphQL on http://{args.host}:{args.port}/graphql", flush=True)
        if args.workers == 1:
            config = uvicorn_config(settings, args.host, args.port)
            tune_gc()
            uvicorn.Server(config).run(sockets=[sock])
        else:
            # Worker processes share the bound socket; the parent restarts one that dies and,
            # on SIGTERM or SIGINT, stops them all (each finishes its requests) and returns.
            config = multiprocess_config(settings, args.host, args.port, args.workers)
            Multiprocess(config, sockets=[sock]).run()
    except KeyboardInterrupt:  # uvicorn re-raises the Ctrl-C it handled gracefully
        pass
    finally:
        sock.close()
    return 0


async def check_worker_health(settings: Settings) -> int:
    """arq's health check: 0 when a worker refreshed its health key recently, else 1."""
    assert settings.redis_url
    connection = redis_settings(settings.redis_url)
    connection.conn_retries = 0  # a probe answers now; it does not wait for Redis to come back
    health_key = WorkerSettings.__dict__.get("health_check_key")
    return int(await async_check_health(connection, health_key))


REDIS_LOST = (RedisConnectionError, RedisTimeoutError, ConnectionError)
MAX_RESTART_DELAY_SECONDS = 30.0


def run_worker_resiliently(
    settings: Settings,
    *,
    burst: bool = False,
    run: Callable[[Any], object] = run_worker,
    sleep: Callable[[float], None] = time.sleep,
) -> None:
    """Run the arq worker; when Redis goes away, start it again with backoff (1 s … 30 s).

    arq's poll loop raises when its Redis connection drops, which would end the process; queued
    work is not lost meanwhile (ingest keeps dirty markers in PostgreSQL) and the restarted
    worker's start-up catch-up drains them. A burst worker fails instead of waiting.
    """
    delay = 1.0
    while True:
        try:
            run(worker_settings(settings, burst=burst))
            return
        except REDIS_LOST as exc:
            if burst:
                raise
            log.warning("worker lost Redis (%s); restarting in %.0f s", exc, delay)
            sleep(delay)
            delay = min(delay * 2, MAX_RESTART_DELAY_SECONDS)


def cmd_worker(args: argparse.Namespace) -> int:
    if args.action == "status":
        return cmd_worker_status(args)
    settings = resolve_servers(load_settings(), database=not args.check).settings
    if args.check:
        healthy = run_against(settings, check_worker_health(settings)) == 0
        if healthy:
            print(f"worker healthy (Redis {settings.redis_url})")
            return 0
        print(
            f"no worker has reported to Redis {settings.redis_url} in the last "
            f"{WorkerSettings.health_check_interval + 1} s"
        )
        return 1
    configure_logging(settings.log_level)
    try:
        run_worker_resiliently(settings, burst=args.burst)
    except Exception as exc:
        raise CliError(
            f"the worker stopped: {type(exc).__name__}: {exc}",
            "check REDIS_URL and DATABASE_URL, then run `ledger worker --check`",
        ) from exc
    return 0


def cmd_schema(args: argparse.Namespace) -> int:
    from graphql_schema import snapshot

    settings = load_settings()
    path = Path(args.output) if args.output else snapshot.SNAPSHOT
    if args.action == "export":
        changed = snapshot.export(path, settings)
        print(f"{path}: {'updated' if changed else 'already current'}")
        return 0
    if args.action == "check":
        if snapshot.is_current(path, settings):
            print(f"{path}: current")
            return 0
        print(f"{path} differs from the served schema: run `ledger schema export`", file=sys.stderr)
        return 1
    print(build_schema(settings).as_str())
    return 0


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    migrate_parser = commands.add_parser(
        "migrate", help="upgrade the database to the latest schema (owner role, DATABASE_URL)"
    )
    migrate_parser.set_defaults(handler=cmd_migrate)

    serve = commands.add_parser("serve", help="run the GraphQL API")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument(
        "--workers",
        type=int,
        default=1,
        help="server processes sharing the port (default 1); each has its own database pool",
    )
    serve.set_defaults(handler=cmd_serve)

    worker = commands.add_parser("worker", help="run the background worker (arq)")
    worker.add_argument(
        "action",
        nargs="?",
        choices=["status"],
        help="status: queued jobs, dirty ROI windows per tenant, last heartbeat and failure",
    )
    worker.add_argument(
        "--check", action="store_true", help="exit 0 if a worker is healthy, 1 if not"
    )
    worker.add_argument("--burst", action="store_true", help="run the queued jobs, then exit")
    worker.set_defaults(handler=cmd_worker)

    schema = commands.add_parser("schema", help="print the GraphQL schema (SDL)")
    schema.add_argument(
        "action",
        nargs="?",
        choices=["export", "check"],
        help="export: write the committed snapshot; check: exit 1 while the snapshot is stale",
    )
    schema.add_argument("--output", help="snapshot path (default graphql_schema/schema.graphql)")
    schema.set_defaults(handler=cmd_schema)
