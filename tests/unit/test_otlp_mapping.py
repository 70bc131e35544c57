"""GenAI spans → usage events: which spans are metered, disjoint tokens, tags, costs, runs."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.domain.enums import UsageKind
from app.domain.genai_conventions import disjoint_tokens
from app.domain.genai_spans import (
    Span,
    SpanRejection,
    SpanUsage,
    from_unix_nanos,
    map_span,
)
from app.domain.pricing import TokenCounts
from app.ingest.otlp_mapping import Origin, map_spans

T0_NS = 1_772_359_200_000_000_000  # 2026-03-01T10:00:00Z
T0 = datetime(2026, 3, 1, 10, tzinfo=UTC)
TRACE = "0af7651916cd43dd8448eb211c80319c"


def span(
    attrs: dict[str, Any] | None = None,
    *,
    resource: dict[str, Any] | None = None,
    span_id: str = "00f067aa0ba902b7",
    start_ns: int = T0_NS,
    end_ns: int = T0_NS + 1_500_000_000,
) -> Span:
    base = {"ledger.workflow": "support"} if resource is None else {}
    return Span(TRACE, span_id, start_ns, end_ns, attrs or {}, {**base, **(resource or {})})


def chat(**extra: Any) -> dict[str, Any]:
    return {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": "anthropic",
        "gen_ai.request.model": "claude-sonnet-4",
        "gen_ai.usage.input_tokens": 10_000,
        "gen_ai.usage.output_tokens": 700,
        **extra,
    }


def usage_of(s: Span) -> SpanUsage:
    mapped = map_span(s)
    assert isinstance(mapped, SpanUsage), mapped
    return mapped


def reason_of(s: Span) -> str:
    mapped = map_span(s)
    assert isinstance(mapped, SpanRejection), mapped
    return mapped.reason


# -- disjoint tokens -------------------------------------------------------------------------


def test_cached_and_reasoning_tokens_are_subtracted_once() -> None:
    tokens = disjoint_tokens(
        input_total=10_000, output_total=1_200, cache_read=8_000, cache_write=500, reasoning=200
    )
    # uncached input = 10,000 − 8,000 − 500 = 1,500; plain output = 1,200 − 200 = 1,000
    assert tokens == TokenCounts(
        input=1_500, output=1_000, cache_read=8_000, cache_write=500, reasoning=200
    )


@pytest.mark.parametrize(
    ("counts", "words"),
    [
        ({"input_total": 100, "cache_read": 80, "cache_write": 21}, "input_tokens must include"),
        ({"output_total": 10, "reasoning": 11}, "output_tokens must include"),
    ],
)
def test_inconsistent_counts_are_refused_not_clamped(counts: dict[str, int], words: str) -> None:
    base = {"input_total": 0, "output_total": 0, "cache_read": 0, "cache_write": 0, "reasoning": 0}
    with pytest.raises(ValueError, match=words):
        disjoint_tokens(**{**base, **counts})


counts = st.integers(min_value=0, max_value=10**12)


@given(counts, counts, counts, counts, counts)
def test_disjoint_tokens_recover_every_part(u: int, r: int, w: int, o: int, z: int) -> None:
    tokens = disjoint_tokens(
        input_total=u + r + w, output_total=o + z, cache_read=r, cache_write=w, reasoning=z
    )
    assert tokens == TokenCounts(input=u, output=o, cache_read=r, cache_write=w, reasoning=z)
    # nothing is double-counted: the disjoint parts add up to OTel's totals
    assert tokens.input + tokens.cache_read + tokens.cache_write == u + r + w
    assert tokens.output + tokens.reasoning == o + z


@given(counts, st.integers(min_value=1, max_value=10**6))
def test_fewer_input_than_cached_is_always_refused(total: int, excess: int) -> None:
    with pytest.raises(ValueError):
        disjoint_tokens(
            input_total=total, output_total=0, cache_read=total + excess, cache_write=0, reasoning=0
        )


# -- which spans are metered -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("attrs", "kind"),
    [
        (chat(), UsageKind.LLM),
        ({"gen_ai.operation.name": "embeddings", "gen_ai.usage.input_tokens": 5}, UsageKind.LLM),
        ({"gen_ai.operation.name": "text_completion", "gen_ai.usage.cost.amount": "1"}, "LLM"),
        ({"gen_ai.system": "openai", "gen_ai.usage.prompt_tokens": 5}, UsageKind.LLM),
        ({"gen_ai.operation.name": "execute_tool", "gen_ai.usage.cost.amount": "0.01"}, "TOOL"),
        ({"gen_ai.operation.name": "retrieval", "gen_ai.usage.cost.amount": "0.01"}, "RETRIEVAL"),
        ({"db.system.name": "pgvector", "gen_ai.usage.cost.amount": "0.01"}, "RETRIEVAL"),
        ({"gen_ai.data_source.id": "kb-1", "gen_ai.usage.cost.amount": "0.01"}, "RETRIEVAL"),
        ({"http.request.method": "POST", "gen_ai.usage.cost.amount": "0.02"}, "THIRD_PARTY"),
    ],
)
def test_metered_spans_and_their_kind(attrs: dict[str, Any], kind: str) -> None:
    assert usage_of(span(attrs)).kind == UsageKind(kind)


@pytest.mark.parametrize(
    "attrs",
    [
        {"http.request.method": "GET", "http.response.status_code": 200},  # a plain HTTP span
        {"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "search"},  # no cost
        {"db.system.name": "postgresql", "db.query.text": "SELECT 1"},  # no cost
        # agent spans total their model calls, which are metered themselves
        {"gen_ai.operation.name": "invoke_agent", "gen_ai.usage.input_tokens": 900},
        {"gen_ai.operation.name": "create_agent", "gen_ai.usage.cost.amount": "1"},
    ],
)
def test_spans_that_are_not_metered_are_ignored(attrs: dict[str, Any]) -> None:
    assert map_span(span(attrs)) is None


def test_an_operation_name_that_is_not_a_string_is_no_operation() -> None:
    assert map_span(span({"gen_ai.operation.name": ["chat"]})) is None
    assert (
        usage_of(span({"gen_ai.operation.name": 7, "gen_ai.usage.input_tokens": 1})).kind == "LLM"
    )


def test_latency_of_an_unfinished_or_endless_span_is_unknown() -> None:
    assert usage_of(span(chat(), end_ns=0)).latency_ms is None
    assert usage_of(span(chat(), end_ns=T0_NS + 2**31 * 1_000_000)).latency_ms is None


def test_a_model_call_with_nothing_to_meter_is_rejected() -> None:
    attrs = {"gen_ai.operation.name": "chat", "gen_ai.request.model": "m"}
    assert "nothing to meter" in reason_of(span(attrs))


# -- the usage event -------------------------------------------------------------------------


def test_a_chat_span_becomes_an_llm_event() -> None:
    attrs = chat(
        **{
            "gen_ai.response.model": "claude-sonnet-4-20260301",
            "gen_ai.usage.cache_read.input_tokens": 8_000,
            "gen_ai.usage.reasoning.output_tokens": 200,
            "gen_ai.request.reasoning.level": "high",
            "gen_ai.agent.name": "drafter",
            "ledger.team": "growth",
        }
    )
    u = usage_of(span(attrs, start_ns=T0_NS, end_ns=T0_NS + 1_234_999_999))
    assert (u.span_id, u.kind, u.occurred_at) == ("00f067aa0ba902b7", UsageKind.LLM, T0)
    assert (u.provider, u.model) == ("anthropic", "claude-sonnet-4-20260301")  # response wins
    # 10,000 input incl. 8,000 cache read → 2,000 uncached; 700 output incl. 200 reasoning → 500
    assert u.tokens == TokenCounts(input=2_000, output=500, cache_read=8_000, reasoning=200)
    assert u.latency_ms == 1_234  # 1,234,999,999 ns, floored to whole milliseconds
    assert (u.step, u.reasoning_effort, u.tags["team"]) == ("drafter", "high", "growth")
    assert u.cost is None  # priced from the price book at ingest
    assert u.correlation_id == TRACE  # no ledger.correlation_id, no conversation id


def test_inconsistent_token_counts_reject_the_span() -> None:
    attrs = chat(**{"gen_ai.usage.cache_read.input_tokens": 10_001})
    assert "input_tokens must include the cached tokens" in reason_of(span(attrs))


@pytest.mark.parametrize("bad", [-1, "ten", True, 1.5, [1]])
def test_token_counts_must_be_non_negative_integers(bad: object) -> None:
    assert "gen_ai.usage.output_tokens" in reason_of(
        span(chat(**{"gen_ai.usage.output_tokens": bad}))
    )


def test_token_counts_sent_as_integral_doubles_or_digit_strings_are_read() -> None:
    attrs = chat(**{"gen_ai.usage.input_tokens": "12", "gen_ai.usage.output_tokens": 3.0})
    assert usage_of(span(attrs)).tokens == TokenCounts(input=12, output=3)


def test_deprecated_names_are_fallbacks_only() -> None:
    attrs = {
        "gen_ai.system": "openai",
        "gen_ai.usage.prompt_tokens": 40,
        "gen_ai.usage.completion_tokens": 9,
        "gen_ai.usage.input_tokens": 50,  # the current name wins over the deprecated one
    }
    u = usage_of(span(attrs))
    assert (u.provider, u.tokens) == ("openai", TokenCounts(input=50, output=9))
    both = {**attrs, "gen_ai.provider.name": "azure.ai.openai"}
    assert usage_of(span(both)).provider == "azure.ai.openai"


@pytest.mark.parametrize(
    ("value", "expected"),
    [("0.0125", Decimal("0.0125")), (0.0125, Decimal("0.0125")), (3, Decimal(3))],
)
def test_reported_cost_is_exact(value: object, expected: Decimal) -> None:
    attrs = {"gen_ai.usage.cost.amount": value, "gen_ai.usage.cost.currency": "USD"}
    u = usage_of(span(attrs))
    assert (u.kind, u.cost) == (UsageKind.THIRD_PARTY, expected)


@pytest.mark.parametrize(
    ("attrs", "words"),
    [
        ({"gen_ai.usage.cost.amount": "1", "gen_ai.usage.cost.currency": "EUR"}, "must be USD"),
        ({"gen_ai.usage.cost.amount": "-0.5"}, ">= 0"),
        ({"gen_ai.usage.cost.amount": "NaN"}, "finite"),
        ({"gen_ai.usage.cost.amount": "abc"}, "decimal amount"),
    ],
)
def test_bad_costs_reject_the_span(attrs: dict[str, Any], words: str) -> None:
    assert words in reason_of(span(attrs))


# -- tags: span, then resource ---------------------------------------------------------------


def test_span_attributes_win_over_the_resource() -> None:
    resource = {"ledger.workflow": "outreach", "ledger.team": "sales", "service.name": "svc"}
    u = usage_of(span(chat(**{"ledger.workflow": "support"}), resource=resource))
    assert (u.workflow_key, u.tags["team"]) == ("support", "sales")


def test_workflow_falls_back_to_gen_ai_workflow_name_but_never_to_service_name() -> None:
    named = span(chat(**{"gen_ai.workflow.name": "triage"}), resource={"service.name": "svc"})
    assert usage_of(named).workflow_key == "triage"
    reason = reason_of(span(chat(), resource={"service.name": "svc"}))
    assert reason.startswith("no workflow: set ledger.workflow")


def test_correlation_id_precedence() -> None:
    conversation = chat(**{"gen_ai.conversation.id": "conv-7"})
    assert usage_of(span(conversation)).correlation_id == "conv-7"
    explicit = {**conversation, "ledger.correlation_id": "run-42"}
    assert usage_of(span(explicit)).correlation_id == "run-42"


def test_step_is_ledger_step_else_the_agent_name() -> None:
    attrs = chat(**{"gen_ai.agent.name": "writer"})
    assert usage_of(span(attrs)).step == "writer"
    assert usage_of(span({**attrs, "ledger.step": "drafter"})).step == "drafter"


def test_a_tag_of_the_wrong_type_rejects_the_span() -> None:
    assert "ledger.campaign must be a string" in reason_of(span(chat(**{"ledger.campaign": [1]})))


@pytest.mark.parametrize(
    ("span_id", "start_ns", "words"),
    [("", T0_NS, "spanId"), ("0" * 16, T0_NS, "spanId"), ("00f067aa0ba902b7", 0, "startTime")],
)
def test_ids_and_times_are_required(span_id: str, start_ns: int, words: str) -> None:
    assert words in reason_of(span(chat(), span_id=span_id, start_ns=start_ns))


def test_unix_nanos() -> None:
    assert from_unix_nanos(T0_NS + 999) == T0  # sub-microsecond digits are dropped
    assert from_unix_nanos(0) is None
    assert from_unix_nanos(2**64 - 1) == datetime(2554, 7, 21, 23, 34, 33, 709551, tzinfo=UTC)
    assert from_unix_nanos(10**30) is None  # past year 9999


# -- a batch ---------------------------------------------------------------------------------


def test_a_batch_gives_usage_records_then_one_run_per_correlation_id() -> None:
    resource = {"ledger.workflow": "outreach", "ledger.channel": "email"}
    spans = [
        span(
            chat(**{"ledger.campaign": "q2"}),
            span_id="b" * 16,
            start_ns=T0_NS + 5_000_000_000,
            resource=resource,
        ),
        span(chat(), span_id="a" * 16, resource=resource),
        span({"http.route": "/health"}, span_id="c" * 16),
        span({"gen_ai.operation.name": "chat"}, span_id="d" * 16),
    ]
    batch = map_spans(spans)
    assert batch.ignored == 1
    assert [(r.span_id, r.reason[:18]) for r in batch.rejections] == [
        ("d" * 16, "no gen_ai.usage.* ")
    ]
    assert batch.origins == [
        Origin("span", "b" * 16),
        Origin("span", "a" * 16),
        Origin("run", TRACE),
    ]
    usage = batch.records[1]
    assert usage["type"] == "usage" and usage["eventId"] == "a" * 16
    assert (usage["inputTokens"], usage["outputTokens"], usage["cost"]) == (10_000, 700, None)
    run = batch.records[2]
    assert run == {
        "type": "run",
        "correlationId": TRACE,
        "workflowKey": "outreach",
        "startedAt": T0,  # the earliest span of the trace
        "clientId": None,
        "team": None,
        "campaign": "q2",  # first non-empty value in time order, here from the later span
        "channel": "email",
        "variant": None,
        "subject": None,
    }
