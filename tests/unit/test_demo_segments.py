"""The demo's segment story holds by construction of the generator: the startup segment replies
most often and never opens a deal; mid-market converts to deals best at the same cost per run,
so it has the cheapest deals."""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import UTC, datetime

import pytest

from app.demo import segments
from app.demo.agency import CLIENTS
from app.demo.generate import generate


@pytest.fixture(scope="module")
def demo():
    clients = {name: uuid.uuid5(uuid.NAMESPACE_DNS, name) for name in CLIENTS}
    return generate(now=datetime(2026, 12, 1, tzinfo=UTC), days=90, runs_per_day=150,
                    client_ids=clients)  # fmt: skip


def test_every_outreach_run_and_only_those_carry_a_declared_segment(demo) -> None:
    for run in demo.runs:
        if run["workflowKey"] == "outreach":
            assert run["dimensions"]["segment"] in segments.SEGMENTS
        else:
            assert "dimensions" not in run


def test_the_segment_is_a_function_of_the_correlation_id(demo) -> None:
    for run in demo.runs[:200]:
        expected = segments.segment_of(run["workflowKey"], run["correlationId"])
        assert run.get("dimensions", {}).get("segment") == expected


def test_startup_replies_most_and_never_deals_mid_market_deals_best(demo) -> None:
    segment = {
        r["correlationId"]: r["dimensions"]["segment"] for r in demo.runs if "dimensions" in r
    }
    runs = Counter(segment.values())
    reached: Counter[tuple[str, str]] = Counter()
    for outcome in demo.outcomes:
        if outcome.get("correlationId") in segment:
            reached[(segment[outcome["correlationId"]], outcome["rung"])] += 1

    def per_run(name: str, rung: str) -> float:
        return reached[(name, rung)] / runs[name]

    others = [s for s in segments.SEGMENTS if s != segments.NEVER_CLOSES]
    assert reached[(segments.NEVER_CLOSES, "deal")] == 0
    assert reached[(segments.NEVER_CLOSES, "closed-won")] == 0
    assert all(per_run(segments.NEVER_CLOSES, "reply") > per_run(s, "reply") for s in others)
    best = segments.CHEAPEST_DEALS
    rest = [s for s in others if s != best]
    # at least 1.5x the deals per run of any other segment (cost per run does not depend on it)
    assert all(per_run(best, "deal") > 1.5 * per_run(s, "deal") for s in rest)
    assert all(per_run(best, "closed-won") > per_run(s, "closed-won") for s in rest)
