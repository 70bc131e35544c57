"""`ledger serve` tunes the garbage collector (app.cli.run.tune_gc) once the app is built and
before uvicorn serves: start-up objects frozen, young collections every 50,000 allocations;
with `--workers N`, in each worker process."""

from __future__ import annotations

import argparse
import gc
import pickle
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest

from app.cli import run
from app.cli.output import CliError
from app.settings import Settings


@pytest.fixture
def restore_gc() -> Iterator[None]:
    thresholds = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*thresholds)


def test_tune_gc_freezes_start_up_and_raises_the_thresholds(restore_gc: None) -> None:
    start_up = [object(), {"built": "at start-up"}]
    run.tune_gc()
    assert gc.get_threshold() == run.GC_THRESHOLDS == (50_000, 20, 20)
    assert gc.get_freeze_count() > 0
    assert not any(obj is start_up for obj in gc.get_objects())  # out of the collector's reach


def test_serve_tunes_after_building_the_app_and_before_serving(
    restore_gc: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []

    class Socket:
        def close(self) -> None:
            calls.append("close")

    class Server:
        def __init__(self, config: Any) -> None:
            calls.append(f"server {config}")

        def run(self, sockets: list[Any]) -> None:
            calls.append("run")

    monkeypatch.setattr(run, "load_settings", lambda: "base")
    monkeypatch.setattr(run, "bind_socket", lambda host, port: Socket())
    monkeypatch.setattr(
        run, "resolve_servers", lambda base: SimpleNamespace(settings=SimpleNamespace(log_level=0))
    )
    monkeypatch.setattr(run, "configure_logging", lambda level: None)
    monkeypatch.setattr(run, "uvicorn_config", lambda s, h, p: calls.append("app") or "config")
    monkeypatch.setattr(run, "tune_gc", lambda: calls.append("tune_gc"))
    monkeypatch.setattr(run.uvicorn, "Server", Server)
    assert run.cmd_serve(argparse.Namespace(host="127.0.0.1", port=8000, workers=1)) == 0
    assert calls == ["app", "tune_gc", "server config", "run", "close"]


def test_each_worker_process_tunes_after_building_its_app(
    restore_gc: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`--workers N`: uvicorn pickles the factory into each spawned worker, which builds its own
    app and then tunes its own collector before serving."""
    calls: list[str] = []
    settings = Settings(env="test", database_url="postgresql://h/db", redis_url="redis://h/0")
    config = run.multiprocess_config(settings, "127.0.0.1", 8000, workers=2)
    assert (config.workers, config.factory) == (2, True)
    factory = pickle.loads(pickle.dumps(config.app))  # noqa: S301 -- what a worker receives
    assert factory.settings == settings
    monkeypatch.setattr(run, "configure_logging", lambda level: calls.append("logging"))

    def create_app(settings: Settings) -> str:
        calls.append("app")
        return "the app"

    monkeypatch.setattr(run, "create_app", create_app)
    monkeypatch.setattr(run, "tune_gc", lambda: calls.append("tune_gc"))
    assert factory() == "the app"
    assert calls == ["logging", "app", "tune_gc"]


def test_serve_with_workers_runs_the_supervisor_on_the_bound_socket(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[Any] = []
    sock = SimpleNamespace(close=lambda: calls.append("close"))

    class Supervisor:
        def __init__(self, config: Any, sockets: list[Any]) -> None:
            calls.append((config.workers, sockets == [sock]))

        def run(self) -> None:
            calls.append("run")

    settings = Settings(env="test", database_url="postgresql://h/db", redis_url="redis://h/0")
    monkeypatch.setattr(run, "load_settings", lambda: settings)
    monkeypatch.setattr(run, "bind_socket", lambda host, port: sock)
    monkeypatch.setattr(run, "resolve_servers", lambda base: SimpleNamespace(settings=base))
    monkeypatch.setattr(run, "configure_logging", lambda level: None)
    monkeypatch.setattr(run, "tune_gc", lambda: calls.append("tune_gc in the parent"))
    monkeypatch.setattr(run, "Multiprocess", Supervisor)
    assert run.cmd_serve(argparse.Namespace(host="127.0.0.1", port=8000, workers=3)) == 0
    assert calls == [(3, True), "run", "close"]


def test_serve_refuses_zero_workers() -> None:
    with pytest.raises(CliError, match="--workers 0"):
        run.cmd_serve(argparse.Namespace(host="127.0.0.1", port=8000, workers=0))
