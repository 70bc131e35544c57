"""A first `scripts/demo` from a fresh clone, timed phase by phase until it prints its URL.

    python -m bench.demo_start [--rev REV] [--pip-cache DIR] [--npm-cache DIR] [--port 8015]

Clones this repository (at REV, default HEAD) into a temporary directory, runs `scripts/demo`
there with `set -x` and a timestamp on every command, with no DATABASE_URL/REDIS_URL (the
embedded servers, under a fresh data directory) and the given pip and npm caches (a directory
that does not exist yet is a cold cache; run twice with the same one for a warm cache). It stops
the demo with SIGINT once the URL is printed, removes the clone and prints when each milestone
was reached, in seconds from the start. Nothing in it is specific to one version of the script:
milestones are the script's own commands and the demo's progress lines.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TRACED = "PS4='+ $EPOCHREALTIME '; set -x; source scripts/demo \"$@\""
COMMAND = re.compile(r"^\++ (\d+\.\d+) (.*)$")
# the script's own commands worth a milestone, and the demo's progress lines
COMMANDS = ("-m venv", "pip install", "scripts/build-web", "wait ", "exec ")
LINES = (
    "web: npm ci",
    "web: building",
    "web: built",
    "starting embedded",
    "migrating the database",
    "seeding demo tenant",
    "seeded in",
    "waiting for the web build",
    "GraphQL    http",
)


def milestone(line: str) -> str | None:
    if any(marker in line for marker in LINES):
        return line.strip()[:110]
    return None


def session_cpu_seconds(session: int) -> float:
    """CPU time (user + system) of every process in the session, with the children each reaped:
    the whole first start's work, whatever the machine's load did to its wall time."""
    ticks = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[3]) == session:  # fields[0] is field 3 (state); session is field 6
            ticks += sum(int(value) for value in fields[11:15])  # utime stime cutime cstime
    return ticks / os.sysconf("SC_CLK_TCK")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rev", default="HEAD")
    parser.add_argument("--pip-cache", type=Path, help="PIP_CACHE_DIR (default: pip's own)")
    parser.add_argument("--npm-cache", type=Path, help="npm_config_cache (default: npm's own)")
    parser.add_argument("--port", type=int, default=8015)
    parser.add_argument("--timeout", type=float, default=900)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="demo-start-"))
    clone = work / "repo"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)
    subprocess.run(["git", "-C", str(clone), "checkout", "-q", args.rev], check=True)
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env["LEDGER_DATA_DIR"] = str(work / "data")
    env.pop("VIRTUAL_ENV", None)
    if args.pip_cache:
        env["PIP_CACHE_DIR"] = str(args.pip_cache)
    if args.npm_cache:
        env["npm_config_cache"] = str(args.npm_cache)
    started = time.time()
    demo = subprocess.Popen(
        # bash takes no PS4 from the environment when run as root: set it, then source the script
        ["bash", "-c", TRACED, "scripts/demo", "--port", str(args.port)],
        cwd=clone,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
        # started from a background job, SIGINT would be ignored, and so would the stop below
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    reached: list[tuple[float, str]] = []
    url = False
    cpu = 0.0
    try:
        assert demo.stdout is not None
        for line in demo.stdout:
            now = time.time()
            traced = COMMAND.match(line)
            if traced:
                command = traced.group(2)
                if any(marker in command for marker in COMMANDS):
                    reached.append((float(traced.group(1)) - started, "$ " + command[:108]))
                continue
            found = milestone(line)
            if found:
                reached.append((now - started, found))
            if "GraphQL    http" in line:
                url = True
                cpu = session_cpu_seconds(demo.pid)
                break
            if now - started > args.timeout:
                break
    finally:
        # keep reading what it prints (a full pipe would block its shutdown)
        threading.Thread(target=lambda: demo.stdout and demo.stdout.read(), daemon=True).start()
        with_group = os.getpgid(demo.pid) if demo.poll() is None else None
        if with_group is not None:
            os.killpg(with_group, signal.SIGINT)  # what Ctrl-C in its terminal sends
            try:
                demo.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(with_group, signal.SIGKILL)
                demo.wait()
        shutil.rmtree(work, ignore_errors=True)
    load = Path("/proc/loadavg").read_text().split()[:3] if Path("/proc/loadavg").exists() else []
    for at, what in reached:
        print(f"{at:7.1f} s  {what}")
    total = reached[-1][0] if url else time.time() - started
    print(
        f"{'URL' if url else 'NO URL'} after {total:.1f} s (rev {args.rev}, load {' '.join(load)})"
    )
    if url:
        print(f"CPU time of the start (user + system, every process of it): {cpu:.1f} s")
    return 0 if url else 1


if __name__ == "__main__":
    sys.exit(main())
