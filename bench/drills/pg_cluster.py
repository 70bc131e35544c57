"""A throwaway PostgreSQL cluster from installed binaries, for drills that restart PostgreSQL.

    with throwaway_cluster(Path(pg_bin)) as cluster:
        cluster.admin_url   # postgresql://postgres@127.0.0.1:<port>/postgres, trust auth
        cluster.restart()   # pg_ctl restart -m fast

`initdb` in a new temporary directory, started by `pg_ctl` on a free loopback port (and a unix
socket in that directory), stopped (`-m immediate`) and deleted on exit. No other cluster is
touched: the machine's own server keeps running. `pg_bin` is the directory of `initdb` and
`pg_ctl`, e.g. `pg_config --bindir` or /usr/lib/postgresql/<version>/bin. PostgreSQL refuses to
run as root: as root, the cluster runs as the `postgres` system account (or the `pgserver` one
the embedded server uses), which must exist.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from bench.common import free_port

RUN_AS_WHEN_ROOT = ("postgres", "pgserver")


@dataclass
class Cluster:
    pg_bin: Path
    directory: Path
    port: int
    user: str | None  # the system account the server runs as (None: this process's)

    @property
    def data(self) -> Path:
        return self.directory / "data"

    @property
    def admin_url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def version(self) -> str:
        return self._run("postgres", "--version").stdout.strip()

    def pg_ctl(self, *args: str, timeout: float = 60) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-w", "-t", str(int(timeout)), *args)

    @property
    def log(self) -> Path:
        return self.directory / "server.log"

    def restart(self) -> float:
        """Restart the cluster (fast shutdown, like the drill's other modes); returns seconds.
        (`-l` again: pg_ctl restart keeps the server options but not the log file.)"""
        started = time.monotonic()
        self.pg_ctl("-m", "fast", "-l", str(self.log), "restart")
        return time.monotonic() - started

    def _run(self, program: str, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(self.pg_bin / program), *args],
            check=True,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=120,
            user=self.user,
            cwd=self.directory,
        )


def run_as() -> str | None:
    if os.geteuid() != 0:
        return None
    for name in RUN_AS_WHEN_ROOT:
        with contextlib.suppress(KeyError):
            pwd.getpwnam(name)
            return name
    raise RuntimeError(
        f"running as root: PostgreSQL needs one of the accounts {RUN_AS_WHEN_ROOT} to run as"
    )


@contextlib.contextmanager
def throwaway_cluster(pg_bin: Path) -> Iterator[Cluster]:
    for program in ("initdb", "pg_ctl", "postgres"):
        if not (pg_bin / program).is_file():
            raise SystemExit(f"--pg-bin {pg_bin}: no {program} there (try `pg_config --bindir`)")
    directory = Path(tempfile.mkdtemp(prefix="ledger-pg-drill-"))
    user = run_as()
    if user is not None:
        account = pwd.getpwnam(user)
        os.chown(directory, account.pw_uid, account.pw_gid)
    cluster = Cluster(pg_bin=pg_bin, directory=directory, port=free_port(), user=user)
    try:
        # --no-sync: only initdb's own final flush is skipped; the server runs with fsync on.
        initdb = ["-D", str(cluster.data), "-U", "postgres", "-A", "trust", "-E", "UTF8"]
        cluster._run("initdb", *initdb, "--locale=C", "--no-sync")
        options = f"-p {cluster.port} -k {directory} -c listen_addresses=127.0.0.1"
        cluster.pg_ctl("-o", options, "-l", str(cluster.log), "start")
        try:
            yield cluster
        finally:
            with contextlib.suppress(subprocess.SubprocessError):
                cluster.pg_ctl("-m", "immediate", "stop")
    finally:
        shutil.rmtree(directory, ignore_errors=True)
