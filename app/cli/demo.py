"""`ledger demo`: embedded servers, a seeded agency, the API with GraphiQL and the worker.

Everything runs in one process and one event loop: uvicorn serves the API while the arq worker
polls Redis. Ctrl-C or SIGTERM stops the server, then the worker, then the embedded servers.
Getting the tenant ready (seed or reuse, tokens, API key) is `app.cli.demo_setup`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import signal
import socket
import sys
from collections.abc import Generator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import uvicorn
from arq.worker import create_worker

from app.cli.demo_env import example_variables, write_demo_env
from app.cli.demo_setup import VIEWER_CLIENT, DemoAccess, prepare
from app.cli.output import CliError, usage_error
from app.cli.portal import DemoLinks, demo_links
from app.cli.run import bind_socket, migrate, uvicorn_config
from app.cli.servers import load_settings, resolve_servers, run_against
from app.demo.agency import TENANT_NAME
from app.demo.seed import DEFAULT_DAYS, DEFAULT_RUNS_PER_DAY
from app.logs import configure_logging
from app.settings import Settings
from workers.settings import worker_settings


class DemoServer(uvicorn.Server):
    """uvicorn without its own signal handling: the demo stops server and worker together."""

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield


# --- serving --------------------------------------------------------------------------------


def _display_host(host: str) -> str:
    return "127.0.0.1" if host in ("0.0.0.0", "::", "") else host  # noqa: S104


def print_access(
    access: DemoAccess,
    url: str,
    env_file: Path,
    links: DemoLinks | None = None,
    portal_note: str = "",
) -> None:
    now = datetime.now(UTC)
    write_demo_env(env_file, access, url, now)
    variables = json.dumps(example_variables(access.viewer_client_id, now))
    to = now.replace(microsecond=0) + timedelta(days=1)
    since = to - timedelta(days=31)
    query = (
        f'{{ viewer {{ role clientId }} client(id: "{access.viewer_client_id}") {{ name '
        f'costPerOutcome(workflowKey: "seo-audit", range: {{from: "{since.isoformat()}", '
        f'to: "{to.isoformat()}"}}) {{ attempts acceptedOutcomes totalCost costPerOutcome }} }} }}'
    )
    body = json.dumps({"query": query})
    print(
        f"""
Outcome Ledger demo is running.

  GraphQL    {url}
  tenant     {access.tenant_id}  ({TENANT_NAME})
{links.render() if links else ""}{portal_note}
Bearer tokens for scripts and your own frontends (valid for 7 days): send
  {{"Authorization": "Bearer <token>"}}

OWNER (the whole agency):
{access.owner_token}

CLIENT_VIEWER for {VIEWER_CLIENT} (client {access.viewer_client_id}):
{access.viewer_token}

Ingest API key (scope ingest; replaced at the next `ledger demo`):
{access.api_key}

Try it as the client viewer:
curl -s {url} \\
  -H 'content-type: application/json' \\
  -H 'authorization: Bearer {access.viewer_token}' \\
  -d '{body}'

Variables for the README's GraphQL examples (paste them under Variables in GraphiQL):
{variables}
The tokens, the API key and these variables are also in {env_file} (. {env_file}).

Press Ctrl-C to stop.""",
        flush=True,
    )


def _read_status(status_file: Path) -> str | None:
    try:
        return status_file.read_text().strip()
    except FileNotFoundError:
        return None


async def wait_for_web_build(status_file: Path) -> str:
    """The exit status the web build `scripts/demo` started alongside writes, once it is there."""
    while True:
        status = await asyncio.to_thread(_read_status, status_file)
        if status is not None:
            return status
        await asyncio.sleep(0.2)


def web_build_outcome(status: str, status_file: Path) -> str:
    """What the demo says when the web build ends: ready, or failed and what still works."""
    log_file = status_file.with_suffix(".log")
    if status == "0":
        return "portal ready: the sign-in links above work now"
    return (
        f"the web build failed (exit status {status or '?'}; see {log_file}): the portal "
        "answers 503 until `scripts/build-web` succeeds; the API and GraphiQL work"
    )


async def announce_web_build(building: asyncio.Task[str], status_file: Path) -> None:
    status = await building
    print(
        web_build_outcome(status, status_file),
        file=sys.stderr if status != "0" else sys.stdout,
        flush=True,
    )


async def serve(settings: Settings, args: argparse.Namespace, sock: socket.socket) -> int:
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    status_file: Path | None = args.web_build_status
    building = None if status_file is None else asyncio.create_task(wait_for_web_build(status_file))
    announcing: asyncio.Task[None] | None = None
    try:
        preparing = asyncio.create_task(prepare(settings, args))
        stopped = asyncio.create_task(stop.wait())
        await asyncio.wait({preparing, stopped}, return_when=asyncio.FIRST_COMPLETED)
        if stop.is_set():
            preparing.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await preparing
            print("\ninterrupted before the demo started", file=sys.stderr)
            return 130
        access = preparing.result()

        server = DemoServer(uvicorn_config(settings, args.host, args.port))
        worker = create_worker(worker_settings(settings), handle_signals=False)
        serving = asyncio.create_task(server.serve(sockets=[sock]))
        working = asyncio.create_task(worker.async_run())
        try:
            # uvicorn exposes `started` as a flag, not an event.
            while not server.started and not serving.done():  # noqa: ASYNC110
                await asyncio.sleep(0.05)
            if serving.done():
                raise CliError("the API server stopped during startup", "see the log lines above")
            base = f"http://{_display_host(args.host)}:{args.port}"
            links = await demo_links(settings, access, base)
            note = ""
            if building is not None and status_file is not None:
                # The API does not need the portal: its build (started by scripts/demo, at a
                # lower priority) may finish after the URL; the terminal says when it has.
                if building.done():
                    if building.result() != "0":
                        print(web_build_outcome(building.result(), status_file), file=sys.stderr)
                else:
                    note = (
                        f"  (the portal is still building, log {status_file.with_suffix('.log')}:"
                        ' the links work once this terminal says "portal ready")\n'
                    )
                    announcing = asyncio.create_task(announce_web_build(building, status_file))
            print_access(access, f"{base}/graphql", settings.data_dir / "demo.env", links, note)
            await asyncio.wait({stopped, serving, working}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            print("\nstopping ...", file=sys.stderr, flush=True)
            server.should_exit = True
            await asyncio.gather(serving, return_exceptions=True)
            with contextlib.suppress(asyncio.CancelledError):
                await worker.close()
            await asyncio.gather(working, return_exceptions=True)
            stopped.cancel()
        return 0
    finally:
        for task in (announcing, building):
            if task is not None and not task.done():
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)


def cmd_demo(args: argparse.Namespace) -> int:
    base = load_settings()
    if base.env == "production":
        raise usage_error(
            "`ledger demo` seeds sample data and prints tokens: not in production",
            "unset LEDGER_ENV (or set it to development)",
        )
    if args.runs_per_day < 1 or args.days < 1:
        raise usage_error(
            "--runs-per-day and --days must be positive", "pass e.g. --runs-per-day 150"
        )
    sock = bind_socket(args.host, args.port)  # fail fast, before the slow work
    servers = resolve_servers(base)
    try:
        settings = servers.settings.model_copy(update={"graphiql": True})
        configure_logging("WARNING")  # keep the terminal for the demo's own output
        print("migrating the database ...", flush=True)
        migrate(settings)
        return run_against(settings, serve(settings, args, sock))
    finally:
        sock.close()
        servers.stop()
        print("demo stopped", file=sys.stderr)


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    demo = commands.add_parser(
        "demo", help="run a seeded demo: embedded servers, API with GraphiQL, worker"
    )
    demo.add_argument("--host", default="127.0.0.1")
    demo.add_argument("--port", type=int, default=8000)
    demo.add_argument("--reset", action="store_true", help="seed a fresh demo tenant")
    demo.add_argument("--runs-per-day", type=int, default=DEFAULT_RUNS_PER_DAY, metavar="N")
    demo.add_argument("--days", type=int, default=DEFAULT_DAYS, metavar="N")
    demo.add_argument(
        "--web-build-status",
        type=Path,
        default=None,
        metavar="FILE",
        help="the file a web build running alongside (scripts/demo starts one) writes its exit "
        "status to: the demo says when the portal is ready, or that the build failed",
    )
    demo.set_defaults(handler=cmd_demo)
