"""Signed in by a link as each role, every page loads in Chromium and shows the API's figures;
a client viewer stays inside its own client; CSRF and revoked sessions are refused."""

from __future__ import annotations

from typing import Any

from app.auth.principal import Role
from tests.browser.conftest import (
    CLIENT_NAME,
    graphql_requests,
    money,
    page_range,
    pct,
    screenshot,
    sign_in,
)

DASHBOARD_FIGURES = """query($range: TimeRange!) { workflows { key name
  costPerOutcome(range: $range) { costPerOutcome successRate } } }"""


def test_agency_dashboard_shows_the_apis_figures_in_one_request(portal, context) -> None:
    page = context.new_page()
    sign_in(page, portal.link(Role.OWNER))
    page.goto(f"{portal.base_url}/portal/#/?range=30d")
    page.wait_for_selector("[data-testid^=cpo-]")
    # Counted from a full load: the sign-in's landing page may or may not have sent its own
    # request by the time the listener is attached, and a same-document hash change reuses it.
    requests = graphql_requests(page)
    page.reload()
    page.wait_for_selector("[data-testid^=cpo-]")
    page.wait_for_load_state("networkidle")
    expected = portal.api(DASHBOARD_FIGURES, {"range": page_range()})["workflows"]
    assert len(expected) == 5
    for workflow in expected:
        figures = workflow["costPerOutcome"]
        cell = page.get_by_test_id(f"cpo-{workflow['key']}")
        assert cell.inner_text() == money(figures["costPerOutcome"]), workflow["key"]
        rate = figures["successRate"]
        shown = page.get_by_test_id(f"success-{workflow['key']}").inner_text()
        assert shown == pct(rate)
    assert requests == ["POST"]
    screenshot(page, "agency-dashboard")

    # More workflows, still one request.
    for key in ("extra-a", "extra-b", "extra-c"):
        portal.api(
            "mutation($k: String!) { upsertWorkflow(input: {key: $k, name: $k}) { key } }",
            {"k": key},
        )
    requests.clear()
    page.reload()
    page.wait_for_selector("[data-workflow=extra-c]")
    page.wait_for_load_state("networkidle")
    assert requests == ["POST"]


def test_walk_from_the_dashboard_to_a_runs_usage_and_a_gates_blockers(portal, context) -> None:
    page = context.new_page()
    sign_in(page, portal.link(Role.ENGINEER))
    page.goto(f"{portal.base_url}/portal/#/?range=30d")
    page.get_by_role("link", name="Outbound outreach").click()
    page.wait_for_selector("[data-testid=wf-cpo]")
    figures = portal.api(
        'query($range: TimeRange!) { workflow(key: "outreach") { costPerOutcome(range: $range) '
        "{ costPerOutcome totalCost } } }",
        {"range": page_range()},
    )["workflow"]["costPerOutcome"]
    assert page.get_by_test_id("wf-cpo").inner_text() == money(figures["costPerOutcome"])
    assert page.get_by_test_id("wf-total").inner_text() == money(figures["totalCost"])
    page.wait_for_selector(".chart svg path.line")
    screenshot(page, "workflow")

    page.get_by_role("navigation", name="Workflow").get_by_role("link", name="Runs").click()
    first = page.locator("tbody tr th a").first
    correlation_id = first.inner_text()
    first.click()
    page.wait_for_selector("[data-testid=run-cost]")
    run = portal.api(
        "query($id: String!) { run(correlationId: $id) { cost usage { eventId cost } } }",
        {"id": correlation_id},
    )["run"]
    assert page.get_by_test_id("run-cost").inner_text() == money(run["cost"])
    assert page.locator("tr[data-event]").count() == len(run["usage"]) > 0
    screenshot(page, "run")

    page.goto(f"{portal.base_url}/portal/#/gate/outreach")
    page.wait_for_selector("[data-check=Quality]")
    readiness = portal.api('{ workflow(key: "outreach") { readiness { ready blockers } } }')[
        "workflow"
    ]["readiness"]
    assert not readiness["ready"] and readiness["blockers"]
    shown = page.get_by_test_id("blockers").locator("li").all_inner_texts()
    assert shown == readiness["blockers"]
    page.get_by_role("button", name="Promote to level 1").click()
    refusal = page.get_by_test_id("refusal")
    refusal.wait_for()
    assert refusal.locator("li").count() >= 1
    assert "refused" in page.get_by_role("status").inner_text()
    screenshot(page, "gate")

    page.goto(f"{portal.base_url}/portal/#/breakdown?range=30d&by=WORKFLOW,MODEL")
    page.wait_for_selector("[data-testid=bucket-sum]")
    assert (
        page.get_by_test_id("bucket-sum").inner_text()
        == page.get_by_test_id("range-total").inner_text()
    )
    assert "adds up" in page.locator("tfoot").inner_text()
    screenshot(page, "breakdown")


SEGMENTS = ["enterprise", "mid-market", "smb", "startup"]  # the demo's, app/demo/segments.py
BY_SEGMENT = """query($range: TimeRange!, $wf: String) {
  costBreakdown(range: $range, groupBy: [CUSTOM], dimensionKey: "segment", workflowKey: $wf)
  { key cost events } }"""
DECLARE = """mutation($key: String!) {
  declareRunDimension(input: {key: $key, description: "a test dimension"}) { key } }"""


def test_breakdown_groups_by_the_tenants_own_run_dimensions(portal, context) -> None:
    # Given a live and a retired dimension beside the demo's segment, and another tenant's own.
    portal.api(DECLARE, {"key": "region"})
    portal.api(DECLARE, {"key": "legacy_band"})
    portal.api('mutation { retireRunDimension(key: "legacy_band") { retired } }')
    other = portal.other_tenant("Another agency")
    portal.api(DECLARE, {"key": "other_agency_tier"}, tenant_id=other)
    declared = portal.api("{ runDimensions { key retired } }")["runDimensions"]
    live = [d["key"] for d in declared if not d["retired"]]
    assert live == ["region", "segment"] and len(declared) == 3

    page = context.new_page()
    sign_in(page, portal.link(Role.ANALYST))
    page.goto(f"{portal.base_url}/portal/#/breakdown?range=30d")
    page.wait_for_selector("[data-testid=bucket-sum]")
    group_by = page.get_by_label("Group by")
    offered = group_by.locator("optgroup[label='Run dimensions'] option").all_inner_texts()
    assert offered == live  # not the retired one, not the other tenant's

    # When the analyst groups by segment, one request brings the buckets.
    requests = graphql_requests(page)
    group_by.select_option("segment")
    page.wait_for_selector("tr[data-bucket=enterprise]")
    page.wait_for_load_state("networkidle")
    assert requests == ["POST"]
    assert "by=segment" in page.url

    # Then every row is the API's bucket for the same range (outreach runs carry a segment, the
    # other workflows' usage is "(none)"), and the rows add up to the range's total.
    def shown_rows() -> list[list[str]]:
        rows = page.locator("tbody tr")
        return [rows.nth(i).locator("td").all_inner_texts() for i in range(rows.count())]

    def api_rows(wf: str | None) -> list[list[str]]:
        buckets = portal.api(BY_SEGMENT, {"range": page_range(), "wf": wf})["costBreakdown"]
        return [[*b["key"], money(b["cost"], 2), f"{b['events']:,}"] for b in buckets]

    expected = api_rows(None)
    assert [row[:3] for row in shown_rows()] == expected
    assert {row[0] for row in expected} == {*SEGMENTS, "(none)"}
    assert page.locator("thead th").first.inner_text().lower() == "segment"
    assert (
        page.get_by_test_id("bucket-sum").inner_text()
        == page.get_by_test_id("range-total").inner_text()
    )
    assert "adds up" in page.locator("tfoot").inner_text()

    # Within outreach: the demo's four segments, beside the workflow-level usage that has no
    # run (so no segment); then by model as well.
    page.goto(f"{portal.base_url}/portal/#/breakdown?range=30d&by=segment&wf=outreach")
    page.wait_for_selector("text=Breakdown of outreach")
    page.wait_for_selector("tr[data-bucket=startup]")
    expected = api_rows("outreach")
    assert sorted(row[0] for row in expected if row[0] != "(none)") == SEGMENTS
    assert [row[:3] for row in shown_rows()] == expected
    screenshot(page, "breakdown-segment")
    page.get_by_label("then by").select_option("MODEL")
    page.wait_for_selector("th:has-text('model')")
    page.wait_for_selector("[data-testid=bucket-sum]")
    assert (
        page.get_by_test_id("bucket-sum").inner_text()
        == page.get_by_test_id("range-total").inner_text()
    )
    # The API takes one run dimension per breakdown: the second menu offers none.
    assert (
        page.get_by_label("then by")
        .locator("optgroup[label='Run dimensions'] option:not([disabled])")
        .count()
        == 0
    )

    # A link naming the retired dimension still groups by it (no run carries it: one row).
    page.goto(f"{portal.base_url}/portal/#/breakdown?range=30d&by=legacy_band")
    page.wait_for_selector("tr[data-bucket='(none)']")
    assert page.locator("tbody tr").count() == 1
    assert "legacy_band (retired)" in group_by.inner_text()

    # A stale link to a key nobody declared shows the API's refusal, not an empty table.
    page.goto(f"{portal.base_url}/portal/#/breakdown?range=30d&by=regoin")
    page.get_by_role("alert").wait_for()
    assert "UNDECLARED_DIMENSION" in page.get_by_role("alert").inner_text()
    assert "regoin (not declared)" in group_by.inner_text()


CLIENT_FIGURES = """query($id: ID!, $range: TimeRange!) { client(id: $id) { name
  workflows { key }
  roi(range: $range) { attributedRevenue lift unattributedRevenue } } }"""


def test_client_view_shows_its_own_figures_and_nothing_else(portal, context) -> None:
    client_id = portal.clients[CLIENT_NAME]
    other_id = next(v for k, v in portal.clients.items() if k != CLIENT_NAME)
    page = context.new_page()
    requests = graphql_requests(page)
    sign_in(page, portal.link(Role.CLIENT_VIEWER, client_id))
    page.wait_for_selector("[data-testid^=cpo-]")
    page.wait_for_load_state("networkidle")
    assert requests == ["POST", "POST"]  # the client's workflows, then every figure at once

    as_viewer = {"role": Role.CLIENT_VIEWER, "client_id": client_id}
    client = portal.api(CLIENT_FIGURES, {"id": str(client_id), "range": page_range()}, **as_viewer)[
        "client"
    ]
    assert page.locator("h1").inner_text() == client["name"] == CLIENT_NAME
    for workflow in client["workflows"]:
        cpo = portal.api(
            "query($id: ID!, $k: String!, $range: TimeRange!) { client(id: $id) { "
            "costPerOutcome(workflowKey: $k, range: $range) { costPerOutcome pendingOutcomes } } }",
            {"id": str(client_id), "k": workflow["key"], "range": page_range()},
            **as_viewer,
        )["client"]["costPerOutcome"]
        assert page.get_by_test_id(f"cpo-{workflow['key']}").inner_text() == money(
            cpo["costPerOutcome"]
        )
        assert page.get_by_test_id(f"pending-{workflow['key']}").inner_text() == str(
            cpo["pendingOutcomes"]
        )
    total = client["roi"]
    assert page.get_by_test_id("roi-total-attributed").inner_text() == money(
        total["attributedRevenue"]
    )
    assert page.get_by_test_id("roi-total-lift").inner_text() == money(total["lift"])
    assert page.get_by_test_id("roi-total-unattributed").inner_text() == money(
        total["unattributedRevenue"]
    )
    page.wait_for_selector(".chart svg")
    screenshot(page, "client-view")

    # Agency pages are not reachable: any address shows the client's own view.
    for address in ("#/workflow/outreach", "#/breakdown?by=segment"):
        page.goto(f"{portal.base_url}/portal/{address}")
        page.wait_for_selector("[data-testid^=cpo-]")
        assert page.locator("h1").inner_text() == CLIENT_NAME
        assert page.get_by_role("link", name="Runs").count() == 0
        assert page.locator("tr[data-bucket]").count() == 0

    # Nor is another client's data, through the same session and its CSRF token.
    answers = page.evaluate(
        """async ([other]) => {
          const s = await (await fetch('/portal/session')).json();
          const ask = async (query, variables) => (await fetch('/graphql', {method: 'POST',
            headers: {'content-type': 'application/json', 'x-csrf-token': s.csrfToken},
            body: JSON.stringify({query, variables})})).json();
          return [await ask('query($id: ID!) { client(id: $id) { name } }', {id: other}),
                  await ask('{ workflows { key } }', {}),
                  await ask('{ runs { edges { node { correlationId } } } }', {}),
                  await ask('{ runDimensions { key } }', {}),
                  await ask('query($r: TimeRange!) { costBreakdown(range: $r, groupBy: [CUSTOM],'
                            + ' dimensionKey: "segment") { key cost } }',
                            {r: {from: '2020-01-01T00:00:00Z', to: '2100-01-01T00:00:00Z'}})];
        }""",
        [str(other_id)],
    )
    for answer in answers:
        assert answer["errors"][0]["extensions"]["code"] == "FORBIDDEN", answer
        assert CLIENT_NAME not in str(answer) and str(other_id) not in str(answer.get("data"))
        assert "segment" not in str(answer.get("data"))

    # At phone width the page fits (wide tables scroll inside their card).
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{portal.base_url}/portal/#/client")
    page.wait_for_selector("[data-testid^=cpo-]")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "client-view-phone")


def test_cookie_requests_without_the_csrf_token_are_refused(portal, context) -> None:
    page = context.new_page()
    sign_in(page, portal.link(Role.OWNER))
    answer = page.evaluate(
        """async () => {
          const r = await fetch('/graphql', {method: 'POST',
            headers: {'content-type': 'application/json'},
            body: JSON.stringify({query: 'mutation { createClient(input: {name: "x"}) { id } }'})});
          return {status: r.status, body: await r.json()};
        }"""
    )
    assert answer["status"] == 403
    assert answer["body"]["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    # The session cookie is invisible to scripts.
    assert "ledger_session" not in page.evaluate("document.cookie")


def test_a_revoked_session_is_refused(portal, context) -> None:
    page = context.new_page()
    sign_in(page, portal.link(Role.ANALYST))
    page.wait_for_selector("[data-testid^=cpo-]")
    assert portal.revoke_all() >= 1
    page.get_by_role("link", name="Runs").click()
    page.get_by_text("Your session has ended").wait_for()
    page.reload()
    page.get_by_text("You are not signed in").wait_for()
    status = page.evaluate(
        """async () => (await fetch('/graphql', {method: 'POST',
          headers: {'content-type': 'application/json'},
          body: JSON.stringify({query: '{ viewer { role } }'})})).status"""
    )
    assert status == 401


def test_graphiql_works_offline_behind_the_sign_in(portal, context) -> None:
    page = context.new_page()
    outside: list[str] = []

    def only_local(route: Any) -> None:
        if route.request.url.startswith(portal.base_url):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    context.route("**/*", only_local)
    page.goto(f"{portal.base_url}/portal/graphiql")
    page.wait_for_url("**/portal/")  # not signed in: sent to the portal's sign-in notice
    sign_in(page, portal.link(Role.ENGINEER))
    page.goto(f"{portal.base_url}/portal/graphiql")
    page.wait_for_selector(".graphiql-query-editor .CodeMirror-code")
    page.get_by_text("viewer", exact=False).first.wait_for()
    for _ in range(20):  # the editor takes the click once it has the schema
        page.locator(".graphiql-execute-button").click()
        page.wait_for_timeout(500)
        if '"ENGINEER"' in page.locator(".result-window").inner_text():
            break
    assert '"role": "ENGINEER"' in page.locator(".result-window").inner_text()
    assert outside == []
    screenshot(page, "graphiql")
