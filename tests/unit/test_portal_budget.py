"""The portal's built assets: within the size budget, and nothing loaded from another origin.

Reads web/dist (scripts/test builds it first); without a build the test skips, except under
LEDGER_REQUIRE_BROWSER=1 (CI), where a missing build fails.
"""

from __future__ import annotations

import gzip
import os
import re
from pathlib import Path

import pytest

DIST = Path(__file__).resolve().parents[2] / "web" / "dist"
# The portal's own JavaScript and CSS, gzipped, as a browser downloads them for index.html.
BUDGET_BYTES = 40 * 1024


def built() -> Path:
    if not (DIST / "index.html").is_file():
        if os.environ.get("LEDGER_REQUIRE_BROWSER") == "1":
            pytest.fail("web/dist is not built: run scripts/build-web")
        pytest.skip("web/dist is not built (scripts/build-web)")
    return DIST


def referenced(html: str) -> list[str]:
    return re.findall(r'(?:src|href)="([^"]+)"', html)


def test_the_portal_page_stays_within_its_gzip_budget() -> None:
    dist = built()
    assets = [
        ref
        for ref in referenced((dist / "index.html").read_text())
        if ref.endswith((".js", ".css"))
    ]
    assert any(ref.endswith(".js") for ref in assets), assets
    sizes = {
        ref: len(gzip.compress((dist / ref.removeprefix("/portal/")).read_bytes(), 9))
        for ref in assets
    }
    total = sum(sizes.values())
    assert total < BUDGET_BYTES, (
        f"portal assets {total} B gzip over the {BUDGET_BYTES} B budget: {sizes}"
    )


@pytest.mark.parametrize("page", ["index.html", "graphiql.html"])
def test_pages_load_nothing_from_another_origin(page: str) -> None:
    html = (built() / page).read_text()
    refs = referenced(html)
    assert refs and all(ref.startswith(("/portal/", "data:")) for ref in refs), refs
    for ref in refs:
        if ref.endswith(".js"):
            code = (DIST / ref.removeprefix("/portal/")).read_text()
            assert "unpkg.com" not in code and "cdn.jsdelivr" not in code
