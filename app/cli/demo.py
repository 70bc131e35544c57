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
import os
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


BUILD_WEB = Path(__file__).resolve().parents[2] / "scripts" / "build-web"


def web_build_outcome(returncode: int, log_file: Path) -> str:
    """What the demo says when the web build ends: ready, or failed and what still works."""
    if returncode == 0:
        return "portal ready: the sign-in links above work now"
    return (
        f"the web build failed (exit status {returncode}; see {log_file}): the portal "
        "answers 503 until `scripts/build-web` succeeds; the API and GraphiQL work"
    )


async def build_web(log_file: Path, *, announce: bool, command: tuple[str, ...] = ()) -> int:
    """Run `scripts/build-web --no-typecheck` (or `command`) into `log_file` and say how it
    ended: a failure always, success only when `announce` (the terminal was told to wait for it).
    Cancelling it stops the build."""
    argv = command or (str(BUILD_WEB), "--no-typecheck")
    with log_file.open("wb") as log:
        process = await asyncio.create_subprocess_exec(
            *argv, stdout=log, stderr=asyncio.subprocess.STDOUT, start_new_session=True
        )
        try:
            returncode = await process.wait()
        except asyncio.CancelledError:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            await process.wait()
            raise
    if returncode != 0 or announce:
        print(
            web_build_outcome(returncode, log_file),
            file=sys.stderr if returncode else sys.stdout,
            flush=True,
        )
    return returncode


async def serve(settings: Settings, args: argparse.Namespace, sock: socket.socket) -> int:
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    building: asyncio.Task[int] | None = None
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
            log_file = settings.data_dir / "web-build.log"
            built = (settings.portal_dir / "index.html").exists()
            if args.build_web and BUILD_WEB.exists():
                # The API does not need the portal: it is built (or found up to date) after the
                # URL, so that work is not on the way to it; the terminal says when it is ready.
                if not built:
                    note = (
                        f"  (the portal is being built, log {log_file}: the links work once "
                        'this terminal says "portal ready")\n'
                    )
                building = asyncio.create_task(build_web(log_file, announce=not built))
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
        if building is not None and not building.done():
            building.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await building
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
        "--build-web",
        action="store_true",
        help="once the URL is printed, build the portal's web app (scripts/build-web "
        "--no-typecheck, log in <data dir>/web-build.log) and say when it is ready",
    )
    demo.set_defaults(handler=cmd_demo)
