"""An ASGI app served by a real uvicorn in a thread of its own, on a free loopback port.

The browser tests, the JavaScript client tests and the test OpenID provider need a server that
a browser, node or an HTTP redirect can reach while the test's own thread (and event loop, if it
has one) carries on; `serving_in_thread` is that server, stopped when the block ends.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn


def free_port() -> int:
    """A 127.0.0.1 port nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serving_in_thread(
    app: Any, port: int | None = None, *, start_seconds: float = 60, stop_seconds: float = 30
) -> Iterator[str]:
    """Serves `app` on `port` (a free one if None) until the block ends; yields the base URL.

    Raises RuntimeError if uvicorn has not started within `start_seconds`."""
    port = free_port() if port is None else port
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + start_seconds
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            raise RuntimeError(f"uvicorn did not start on 127.0.0.1:{port}")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(stop_seconds)
