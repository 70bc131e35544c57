"""`ledger demo --web-build-status`: the URL waits for the web build run alongside it."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from app.cli.demo import wait_for_web_build


async def test_waits_until_the_build_writes_its_status(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status = tmp_path / "web-build.status"

    async def build() -> None:
        await asyncio.sleep(1.5)
        status.write_text("0\n")

    building = asyncio.create_task(build())
    await asyncio.wait_for(wait_for_web_build(status), timeout=10)
    assert building.done()  # it returned only once the status was there
    out, err = capsys.readouterr()
    assert f"waiting for the web build to finish (log: {tmp_path / 'web-build.log'})" in out
    assert err == ""


async def test_a_finished_build_does_not_wait(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status = tmp_path / "web-build.status"
    status.write_text("0\n")
    await asyncio.wait_for(wait_for_web_build(status), timeout=1)
    assert capsys.readouterr() == ("", "")


async def test_a_failed_build_is_reported_not_fatal(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status = tmp_path / "web-build.status"
    status.write_text("1\n")
    await asyncio.wait_for(wait_for_web_build(status), timeout=1)
    err = capsys.readouterr().err
    assert "the web build failed (exit status 1" in err
    assert str(tmp_path / "web-build.log") in err
    assert "`scripts/build-web`" in err
