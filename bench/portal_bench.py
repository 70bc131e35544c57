"""Portal benchmark: first meaningful paint of the agency dashboard and the client view in
headless Chromium, against the API's own time for the same GraphQL requests.

The tenant is seeded with the demo agency (`app.demo.seed.seed_demo`) at `--days` ×
`--runs-per-day` in a fresh database; `ledger serve` runs in a subprocess and serves the built
portal (web/dist: run scripts/build-web first). Each role signs in once by a one-time link; each
of `--loads` loads then opens a new browser context with that session (an empty HTTP cache) and
times, from navigation start:

- first contentful paint (the browser's `first-contentful-paint` entry), and
- first meaningful paint: the first cost-per-outcome figure on screen (`[data-testid^=cpo-]`).

The floor is the API alone: the GraphQL requests the page made (recorded on the first load),
replayed in order with a bearer token, timed from the first request to the last answer. The
ratio FMP ÷ floor is what the browser adds: fetching and running the portal's JavaScript,
reading the session, rendering.

    .venv/bin/python -m bench.portal_bench                          # 30 days × 40 runs/day
    .venv/bin/python -m bench.portal_bench --days 90 --runs-per-day 150 --loads 15
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from redis.asyncio import Redis

from app.auth.principal import Role
from app.auth.tokens import issue_token
from app.db.sessions import tenant_sessions
from app.demo.seed import ensure_clients, seed_demo
from app.portal.links import LinkGrant, create_link, link_url
from app.services.tenancy.tenants import create_tenant
from bench.common import api_server, fresh_database, servers, table

DIST = Path(__file__).resolve().parents[1] / "web" / "dist"
VIEWER_CLIENT = "Northwind Dental"


async def seed(settings: Any, days: int, runs_per_day: int) -> tuple[Any, Any]:
    async with tenant_sessions(settings, pool_size=2) as sessions:
        tenant_id = await create_tenant(sessions=sessions, name="Portal bench")
        await seed_demo(
            sessions=sessions,
            tenant_id=tenant_id,
            now=datetime.now(UTC).replace(second=0, microsecond=0),
            days=days,
            runs_per_day=runs_per_day,
        )
        clients = await ensure_clients(sessions=sessions, tenant_id=tenant_id)
        return tenant_id, clients[VIEWER_CLIENT]


async def mint(redis_url: str, grant: LinkGrant, base: str) -> str:
    redis = Redis.from_url(redis_url)
    try:
        return link_url(base, await create_link(redis, grant))
    finally:
        await redis.aclose()


def measure(
    browser: Any, state: dict[str, Any], url: str, loads: int
) -> tuple[list[float], list[float], list[dict[str, Any]]]:
    fcp: list[float] = []
    fmp: list[float] = []
    recorded: list[dict[str, Any]] = []
    for i in range(loads):
        context = browser.new_context(storage_state=state, viewport={"width": 1280, "height": 900})
        page = context.new_page()
        if i == 0:
            page.on(
                "request",
                lambda r: (
                    recorded.append(json.loads(r.post_data or "{}"))
                    if r.url.endswith("/graphql")
                    else None
                ),
            )
        page.goto(url, wait_until="commit")
        try:
            page.wait_for_selector("[data-testid^=cpo-]", timeout=120_000)
        except Exception:
            raise SystemExit(
                f"{url}: no figure appeared; the page says: {page.inner_text('body')}"
            ) from None
        fmp.append(page.evaluate("performance.now()"))
        fcp.append(
            page.evaluate(
                "performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? NaN"
            )
        )
        context.close()
    return fcp, fmp, recorded


def floor(base: str, token: str, bodies: list[dict[str, Any]], loads: int) -> list[float]:
    times: list[float] = []
    with httpx.Client(base_url=base, headers={"authorization": f"Bearer {token}"}) as client:
        for _ in range(loads):
            started = time.perf_counter()
            for body in bodies:
                response = client.post("/graphql", json=body, timeout=120)
                assert response.status_code == 200 and "errors" not in response.json(), (
                    response.text
                )
            times.append((time.perf_counter() - started) * 1000)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--runs-per-day", type=int, default=40)
    parser.add_argument("--loads", type=int, default=9)
    args = parser.parse_args()
    chromium = shutil.which("chromium")
    if chromium is None or not (DIST / "index.html").is_file():
        raise SystemExit("needs chromium on PATH and a built web/dist (scripts/build-web)")
    with servers() as (admin_url, redis_url), tempfile.TemporaryDirectory() as tmp:
        rows = asyncio.run(bench(admin_url, redis_url, Path(tmp), chromium, args))
    header = ["page", "requests", "FCP p50 ms", "FMP p50 ms", "FMP max ms", "API p50 ms"]
    print(table(rows, [*header, "FMP ÷ API"]))


async def bench(
    admin_url: str, redis_url: str, tmp: Path, chromium: str, args: argparse.Namespace
) -> list[list[str]]:
    async with fresh_database(admin_url, redis_url, tmp) as db:
        settings = db.settings.model_copy(update={"jwt_private_key_file": tmp / "jwt.pem"})
        print(f"seeding the demo agency: {args.days} days × ~{args.runs_per_day} runs/day ...")
        tenant_id, client_id = await seed(settings, args.days, args.runs_per_day)
        with api_server(settings) as base:
            links = {
                role: await mint(redis_url, LinkGrant(tenant_id, role, client), base)
                for role, client in ((Role.OWNER, None), (Role.CLIENT_VIEWER, client_id))
            }
            # Sync Playwright runs its own loop: on a thread of its own.
            return await asyncio.to_thread(
                run_pages, chromium, base, settings, tenant_id, client_id, links, args.loads
            )


def run_pages(
    chromium: str,
    base: str,
    settings: Any,
    tenant_id: Any,
    client_id: Any,
    links: dict[Role, str],
    loads: int,
) -> list[list[str]]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        rows: list[list[str]] = []
        pages = [
            ("agency dashboard", Role.OWNER, None, "#/?range=30d"),
            ("client view", Role.CLIENT_VIEWER, client_id, "#/client?range=30d"),
        ]
        for name, role, client, route in pages:
            link = links[role]
            context = browser.new_context()
            page = context.new_page()
            page.goto(link)
            page.get_by_role("button", name="Sign in").click()
            page.wait_for_url("**/portal/#/**")
            state = context.storage_state()
            context.close()
            fcp, fmp, bodies = measure(browser, state, f"{base}/portal/{route}", loads)
            token = issue_token(settings, tenant_id=tenant_id, role=role, client_id=client)
            api = floor(base, token, bodies, loads)
            rows.append(
                [
                    name,
                    str(len(bodies)),
                    f"{statistics.median(fcp):.0f}",
                    f"{statistics.median(fmp):.0f}",
                    f"{max(fmp):.0f}",
                    f"{statistics.median(api):.0f}",
                    f"{statistics.median(fmp) / statistics.median(api):.2f}",
                ]
            )
        browser.close()
    return rows


if __name__ == "__main__":
    main()
