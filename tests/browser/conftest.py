"""The portal in a real browser: Debian's chromium driven by Playwright, against a real uvicorn
serving the built web app and the API, over a small seeded demo tenant.

Without chromium (or Playwright, or the built web/dist) the tests skip with the reason, unless
LEDGER_REQUIRE_BROWSER=1 (CI), where they fail.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from redis.asyncio import Redis

from app.auth.principal import Role
from app.auth.tokens import issue_token
from app.db.sessions import tenant_sessions
from app.demo.seed import ensure_clients, seed_demo
from app.main import create_app
from app.portal.links import LinkGrant, create_link, link_url
from app.portal.sessions import SessionStore
from app.services.tenancy.tenants import create_tenant
from app.settings import Settings
from tests.live_server import serving_in_thread

ROOT = Path(__file__).resolve().parents[2]
# LEDGER_SCREENSHOTS=docs refreshes the README's screenshots; other runs keep theirs in .ledger/
# so a test run leaves the working tree clean.
SCREENSHOTS = ROOT / (
    "docs/screenshots" if os.environ.get("LEDGER_SCREENSHOTS") == "docs" else ".ledger/screenshots"
)
DIST = ROOT / "web" / "dist"
CLIENT_NAME = "Northwind Dental"


def _unavailable(reason: str) -> None:
    if os.environ.get("LEDGER_REQUIRE_BROWSER") == "1":
        pytest.fail(f"LEDGER_REQUIRE_BROWSER=1 but {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def chromium_path() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        _unavailable("no chromium on PATH (apt-get install -y chromium)")
    try:
        import playwright  # noqa: F401
    except ImportError:
        _unavailable("Playwright for Python is not installed (the dev extra)")
    if not (DIST / "index.html").is_file():
        _unavailable("web/dist is not built (run scripts/build-web)")
    return path  # type: ignore[return-value]


def _run(work: Any) -> Any:
    """Runs a coroutine to completion on a thread of its own: sync Playwright keeps an event
    loop running on the test's thread."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, work).result()


@dataclass
class Portal:
    base_url: str
    settings: Settings
    tenant_id: uuid.UUID
    clients: dict[str, uuid.UUID]

    def link(self, role: Role, client_id: uuid.UUID | None = None) -> str:
        async def mint() -> str:
            redis = Redis.from_url(self.settings.redis_url or "")
            try:
                return await create_link(redis, LinkGrant(self.tenant_id, role, client_id))
            finally:
                await redis.aclose()

        return link_url(self.base_url, _run(mint()))

    def revoke_all(self) -> int:
        async def revoke() -> int:
            redis = Redis.from_url(self.settings.redis_url or "")
            try:
                return await SessionStore(redis).revoke_all(self.tenant_id)
            finally:
                await redis.aclose()

        return _run(revoke())

    def other_tenant(self, name: str) -> uuid.UUID:
        """A second, empty tenant (for cross-tenant checks), made on an engine of its own."""

        async def make() -> uuid.UUID:
            async with tenant_sessions(self.settings, pool_size=1) as own:
                return await create_tenant(sessions=own, name=name)

        return _run(make())

    def api(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        tenant_id: uuid.UUID | None = None,
        **token: Any,
    ) -> Any:
        """The API's own answer, asked with a bearer token (the reference for the screen), as
        the portal's tenant unless `tenant_id` names another."""
        bearer = issue_token(
            self.settings,
            tenant_id=tenant_id or self.tenant_id,
            **(token or {"role": Role.OWNER}),
        )
        response = httpx.post(
            f"{self.base_url}/graphql",
            json={"query": query, "variables": variables or {}},
            headers={"authorization": f"Bearer {bearer}"},
            timeout=60,
        )
        body = response.json()
        assert "errors" not in body, body
        return body["data"]


@pytest.fixture(scope="session")
async def portal(chromium_path: str, migrated: Settings, sessions: Any) -> Any:
    """A seeded demo tenant (two weeks, a few runs a day) and the app served by uvicorn."""
    tenant_id = await create_tenant(sessions=sessions, name="Portal browser tests")
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    await seed_demo(sessions=sessions, tenant_id=tenant_id, now=now, days=14, runs_per_day=12)
    clients = await ensure_clients(sessions=sessions, tenant_id=tenant_id)

    with serving_in_thread(create_app(migrated)) as base_url:
        yield Portal(base_url, migrated, tenant_id, clients)


@pytest.fixture(scope="module")
def browser(chromium_path: str) -> Iterator[Any]:
    # Module-scoped: sync Playwright runs an event loop on the test's thread while it is open,
    # and the async tests that follow need that thread's loop free again.
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium_path, args=["--no-sandbox"])
        yield launched
        launched.close()


@pytest.fixture
def context(browser: Any) -> Iterator[Any]:
    made = browser.new_context(viewport={"width": 1280, "height": 900})
    made.set_default_timeout(60_000)
    yield made
    made.close()


def sign_in(page: Any, link: str) -> None:
    page.goto(link)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/portal/#/**")


def graphql_requests(page: Any) -> list[str]:
    """Records the page's GraphQL requests from now on."""
    seen: list[str] = []
    page.on("request", lambda r: seen.append(r.method) if r.url.endswith("/graphql") else None)
    return seen


def screenshot(page: Any, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def pct(rate: float | None) -> str:
    """The portal's percent format (web/src/lib/format.ts `pct`): `(rate * 100).toFixed(1)`,
    which rounds the double's exact value and an exact tie (13/16 = 81.25 %) away from zero —
    not Python's `:.1f`, which rounds a tie to even (81.2)."""
    if rate is None:
        return "not enough data yet"
    exact = Decimal(rate * 100).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return f"{exact}%"


def money(text: str | None, places: int | None = None) -> str:
    """The portal's money format (web/src/lib/decimal.ts), from the API's exact string."""
    if text is None:
        return "not enough data yet"
    value = Decimal(text)
    small = Decimal(0) < abs(value) < Decimal(1)
    digits = places if places is not None else (4 if small else 2)
    rounded = value.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)
    sign = "−" if rounded < 0 else ""
    return f"{sign}${abs(rounded):,.{digits}f}"


def page_range(days: int = 30) -> dict[str, str]:
    """The range the portal asks for with `range=30d`: whole UTC days ending today."""
    today = datetime.now(UTC).date()
    start = today - timedelta(days=days - 1)
    return {"from": f"{start}T00:00:00Z", "to": f"{today + timedelta(days=1)}T00:00:00Z"}
