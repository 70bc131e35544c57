"""`ledger demo --web-build-status`: the web build run alongside, and what the demo says of it."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from app.cli.demo import announce_web_build, wait_for_web_build, web_build_outcome


async def test_waits_until_the_build_writes_its_status(tmp_path: Path) -> None:
    status = tmp_path / "web-build.status"

    async def build() -> None:
        await asyncio.sleep(1)
        status.write_text("0\n")

    building = asyncio.create_task(build())
    assert await asyncio.wait_for(wait_for_web_build(status), timeout=10) == "0"
    assert building.done()  # it returned only once the status was there


async def test_a_finished_build_does_not_wait(tmp_path: Path) -> None:
    status = tmp_path / "web-build.status"
    status.write_text("2\n")
    assert await asyncio.wait_for(wait_for_web_build(status), timeout=1) == "2"


async def test_the_terminal_says_when_the_portal_is_ready(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status = tmp_path / "web-build.status"
    building = asyncio.create_task(wait_for_web_build(status))
    announcing = asyncio.create_task(announce_web_build(building, status))
    await asyncio.sleep(0.5)
    assert capsys.readouterr() == ("", "")  # nothing while it builds
    status.write_text("0\n")
    await asyncio.wait_for(announcing, timeout=5)
    assert capsys.readouterr() == ("portal ready: the sign-in links above work now\n", "")


async def test_a_failed_build_is_reported_with_its_log_and_what_still_works(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status = tmp_path / "web-build.status"
    status.write_text("1\n")
    building = asyncio.create_task(wait_for_web_build(status))
    await asyncio.wait_for(announce_web_build(building, status), timeout=5)
    out, err = capsys.readouterr()
    assert out == ""
    assert err.strip() == web_build_outcome("1", status)
    assert "exit status 1" in err
    assert str(tmp_path / "web-build.log") in err
    assert "`scripts/build-web`" in err and "the API and GraphiQL work" in err
