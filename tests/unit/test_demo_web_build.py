"""`ledger demo --build-web`: the portal built after the URL, and what the demo says of it."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest

from app.cli.demo import BUILD_WEB, build_web, web_build_outcome


def test_the_build_script_is_the_repositorys() -> None:
    assert BUILD_WEB.name == "build-web" and BUILD_WEB.parent.name == "scripts"
    assert BUILD_WEB.exists()


async def test_a_build_the_terminal_waits_for_says_portal_ready(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log = tmp_path / "web-build.log"
    command = (sys.executable, "-c", "print('web: built web/dist')")
    assert await build_web(log, announce=True, command=command) == 0
    assert log.read_text() == "web: built web/dist\n"
    assert capsys.readouterr() == ("portal ready: the sign-in links above work now\n", "")


async def test_an_up_to_date_portal_is_not_announced(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    command = (sys.executable, "-c", "print('web: up to date')")
    assert await build_web(tmp_path / "web-build.log", announce=False, command=command) == 0
    assert capsys.readouterr() == ("", "")


async def test_a_failed_build_is_reported_with_its_log_and_what_still_works(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log = tmp_path / "web-build.log"
    command = (sys.executable, "-c", "import sys; print('npm ERR!'); sys.exit(3)")
    assert await build_web(log, announce=False, command=command) == 3
    out, err = capsys.readouterr()
    assert out == ""
    assert err.strip() == web_build_outcome(3, log)
    assert "exit status 3" in err and str(log) in err
    assert "`scripts/build-web`" in err and "the API and GraphiQL work" in err
    assert "npm ERR!" in log.read_text()


async def test_stopping_the_demo_stops_the_build(tmp_path: Path) -> None:
    marker = tmp_path / "still-running"
    command = (
        sys.executable,
        "-c",
        f"import time, pathlib; time.sleep(3); pathlib.Path({str(marker)!r}).touch()",
    )
    building = asyncio.create_task(
        build_web(tmp_path / "web-build.log", announce=True, command=command)
    )
    await asyncio.sleep(0.5)
    building.cancel()
    with pytest.raises(asyncio.CancelledError):
        await building
    await asyncio.sleep(3.5)
    assert not marker.exists()  # the build was killed, not left running
