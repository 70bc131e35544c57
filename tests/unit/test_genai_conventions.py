"""The attribute names each library emits, read into the ledger's disjoint token counts.

Every span below is shaped exactly as the library emits it for the fake provider's calls
(OpenAI: 1000 prompt of which 600 cached, 200 completion of which 50 reasoning; Anthropic:
400 input, 600 cache read, 100 cache write, 200 output), printed from the library itself.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.domain.enums import UsageKind
from app.domain.genai_conventions import (
    TOKEN_NAMES,
    TokenReport,
    detail_gaps,
    detail_rank,
    disjoint_counts,
    expected_gaps,
    read_counts,
    read_tokens,
)
from app.domain.genai_spans import Span, SpanRejection, SpanUsage, map_span
from app.domain.pricing import TokenCounts
from app.domain.provider_calls import call_key, collapse, replaces

OPENAI_SPLIT = TokenCounts(input=400, cache_read=600, output=150, reasoning=50)
ANTHROPIC_SPLIT = TokenCounts(input=400, cache_read=600, cache_write=100, output=200)

LIBRARY_SPANS = {
    # opentelemetry-instrumentation-openai-v2 2.4b0 (with opentelemetry-util-genai 1.1b0)
    "openai-v2": (
        {
            "gen_ai.operation.name": "chat",
            "gen_ai.provider.name": "openai",
            "gen_ai.request.model": "gpt-5-mini",
            "gen_ai.response.model": "gpt-5-mini",
            "gen_ai.response.id": "chatcmpl-ledger0001",
            "gen_ai.usage.input_tokens": 1000,
            "gen_ai.usage.output_tokens": 200,
        },
        TokenCounts(input=1000, output=200),
        {"cache_read", "reasoning"},
    ),
    # openllmetry opentelemetry-instrumentation-openai 0.62.4
    "openllmetry-openai": (
        {
            "gen_ai.operation.name": "chat",
            "gen_ai.provider.name": "openai",
            "gen_ai.request.model": "gpt-5-mini",
            "gen_ai.response.model": "gpt-5-mini",
            "gen_ai.response.id": "chatcmpl-ledger0001",
            "gen_ai.usage.total_tokens": 1200,
            "gen_ai.usage.output_tokens": 200,
            "gen_ai.usage.input_tokens": 1000,
            "gen_ai.usage.cache_read.input_tokens": 600,
            "gen_ai.usage.reasoning_tokens": 50,
        },
        OPENAI_SPLIT,
        set(),
    ),
    # openinference-instrumentation-openai 0.1.66
    "openinference-openai": (
        {
            "llm.system": "openai",
            "llm.model_name": "gpt-5-mini",
            "llm.token_count.total": 1200,
            "llm.token_count.prompt": 1000,
            "llm.token_count.completion": 200,
            "llm.token_count.prompt_details.cache_read": 600,
            "llm.token_count.prompt_details.audio": 0,
            "llm.token_count.completion_details.reasoning": 50,
            "llm.token_count.completion_details.audio": 0,
            "openinference.span.kind": "LLM",
        },
        OPENAI_SPLIT,
        set(),
    ),
    # the Anthropic SDK's own tracing, anthropic 2.17.0
    "anthropic-sdk": (
        {
            "gen_ai.provider.name": "anthropic",
            "gen_ai.operation.name": "chat",
            "gen_ai.request.model": "claude-sonnet-4",
            "gen_ai.usage.input_tokens": 1100,
            "gen_ai.response.id": "msg_01LedgerFakeProvider0001",
            "gen_ai.response.model": "claude-sonnet-4",
            "gen_ai.usage.cache_write.input_tokens": 100,
            "gen_ai.usage.cache_read.input_tokens": 600,
            "gen_ai.usage.output_tokens": 200,
        },
        ANTHROPIC_SPLIT,
        set(),
    ),
    # openllmetry opentelemetry-instrumentation-anthropic 0.62.4
    "openllmetry-anthropic": (
        {
            "gen_ai.provider.name": "anthropic",
            "gen_ai.operation.name": "chat",
            "gen_ai.request.model": "claude-sonnet-4",
            "gen_ai.response.model": "claude-sonnet-4",
            "gen_ai.response.id": "msg_01LedgerFakeProvider0001",
            "gen_ai.usage.input_tokens": 1100,
            "gen_ai.usage.output_tokens": 200,
            "gen_ai.usage.total_tokens": 1300,
            "gen_ai.usage.cache_read.input_tokens": 600,
            "gen_ai.usage.cache_creation.input_tokens": 100,
        },
        ANTHROPIC_SPLIT,
        set(),
    ),
    # openllmetry's other reasoning name (semconv-ai 0.5.1 LLM_USAGE_REASONING_TOKENS)
    "openllmetry-llm-usage": (
        {
            "gen_ai.system": "openai",
            "gen_ai.request.model": "gpt-5-mini",
            "gen_ai.usage.prompt_tokens": 1000,
            "gen_ai.usage.completion_tokens": 200,
            "gen_ai.usage.cache_read_input_tokens": 600,
            "llm.usage.reasoning_tokens": 50,
            "llm.usage.total_tokens": 1200,
        },
        OPENAI_SPLIT,
        set(),
    ),
    # openllmetry's older names (semconv-ai 0.5.1 LLM_USAGE_*), still in its constants
    "openllmetry-legacy": (
        {
            "gen_ai.system": "Anthropic",
            "gen_ai.request.model": "claude-sonnet-4",
            "gen_ai.usage.prompt_tokens": 1100,
            "gen_ai.usage.completion_tokens": 200,
            "gen_ai.usage.cache_read_input_tokens": 600,
            "gen_ai.usage.cache_creation_input_tokens": 100,
        },
        ANTHROPIC_SPLIT,
        set(),
    ),
}


def span(attrs: dict[str, object], span_id: str = "00f067aa0ba902b7", parent: str = "") -> Span:
    return Span(
        trace_id="0af7651916cd43dd8448eb211c80319c",
        span_id=span_id,
        start_ns=1_772_359_200_000_000_000,
        end_ns=1_772_359_201_000_000_000,
        attributes=attrs,
        resource={"ledger.workflow": "support"},
        parent_span_id=parent,
    )


@pytest.mark.parametrize("library", sorted(LIBRARY_SPANS))
def test_each_library_span_gives_the_hand_computed_split(library: str) -> None:
    attrs, split, gaps = LIBRARY_SPANS[library]
    usage = map_span(span(attrs))
    assert isinstance(usage, SpanUsage), usage
    assert usage.kind is UsageKind.LLM
    assert usage.tokens == split
    assert set(usage.gaps) == gaps
    assert usage.provider in {"openai", "anthropic"}  # `Anthropic` normalised


def test_openinference_agent_and_chain_spans_are_not_metered() -> None:
    for kind in ("AGENT", "CHAIN"):
        assert (
            map_span(span({"openinference.span.kind": kind, "llm.token_count.prompt": 5})) is None
        )


def test_a_model_span_without_counts_is_rejected_not_ignored() -> None:
    rejected = map_span(span({"llm.model_name": "gpt-5-mini", "openinference.span.kind": "LLM"}))
    assert isinstance(rejected, SpanRejection)
    assert "nothing to meter" in rejected.reason
    # a model name alone (no operation, no kind) is a model call too
    assert isinstance(map_span(span({"gen_ai.request.model": "gpt-5-mini"})), SpanRejection)


def test_the_current_name_wins_over_an_older_spelling() -> None:
    report = read_tokens(
        {"gen_ai.usage.reasoning.output_tokens": 7, "gen_ai.usage.reasoning_tokens": 9}
    )
    assert report.reasoning == 7


def test_detail_rank_and_gaps() -> None:
    report = TokenReport(input=10, output=5)
    assert detail_rank(report) == 2
    assert detail_gaps("OpenAI", report) == {"cache_read", "reasoning"}
    assert detail_gaps("some-local-model", report) == frozenset()


# Token attribute values as spans carry them: absent, plain counts, integral doubles, digit
# strings, and values every convention refuses (negative, fractional, text, booleans).
_COUNT_VALUES = st.one_of(
    st.none(),
    st.integers(min_value=0, max_value=10**9),
    st.integers(min_value=0, max_value=10**6).map(float),
    st.integers(min_value=0, max_value=10**6).map(str),
    st.sampled_from([-1, 2.5, "12k", True, " 7 "]),
)


@given(st.dictionaries(st.sampled_from(TOKEN_NAMES), _COUNT_VALUES, max_size=8))
def test_read_counts_is_disjoint_counts_of_read_tokens(attrs: dict[str, object]) -> None:
    """The one-pass reading the mapping uses gives the values, kinds and errors of the two-step
    one (`read_tokens`, then `disjoint_counts`)."""
    present = {name: value for name, value in attrs.items() if value is not None}
    try:
        report = read_tokens(present)
        expected: object = (disjoint_counts(report), report.known)
    except ValueError as exc:
        expected = (type(exc), str(exc))
    try:
        got: object = read_counts(present)
    except ValueError as exc:
        got = (type(exc), str(exc))
    assert got == expected
    if isinstance(got, tuple) and isinstance(got[1], frozenset):
        assert expected_gaps("openai", got[1]) == detail_gaps("openai", report)


def usage(attrs: dict[str, object], span_id: str, parent: str = "") -> SpanUsage:
    mapped = map_span(span(attrs, span_id, parent))
    assert isinstance(mapped, SpanUsage)
    return mapped


def test_collapse_keeps_the_most_detailed_span_of_one_response_id() -> None:
    poor = usage(LIBRARY_SPANS["openai-v2"][0], "1" * 16)
    rich = usage(LIBRARY_SPANS["openllmetry-openai"][0], "2" * 16)
    other = usage({**LIBRARY_SPANS["openai-v2"][0], "gen_ai.response.id": "x"}, "3" * 16)
    kept, repeats = collapse([poor, rich, other])
    assert [u.span_id for u in kept] == ["2" * 16, "3" * 16]
    assert [(r.span_id, r.kept) for r in repeats] == [("1" * 16, "2" * 16)]
    assert call_key(rich) == "response:openai:chatcmpl-ledger0001"


def test_collapse_joins_a_model_span_nested_in_a_model_span() -> None:
    attrs = {k: v for k, v in LIBRARY_SPANS["anthropic-sdk"][0].items() if "response.id" not in k}
    outer = usage(attrs, "a" * 16)
    inner = usage(attrs, "b" * 16, parent="a" * 16)
    kept, repeats = collapse([inner, outer])
    assert [u.span_id for u in kept] == ["b" * 16]  # equal detail: the first seen
    assert repeats[0].kept == "b" * 16


def test_only_more_detail_replaces_a_stored_charge() -> None:
    assert replaces(2, 4) and not replaces(4, 4) and not replaces(4, 2)


counts = st.integers(min_value=0, max_value=10**9)


@given(
    uncached=counts, cache_read=counts, cache_write=counts, plain=counts, reasoning=counts,
    convention=st.sampled_from(["semconv", "anthropic-sdk", "openllmetry", "openinference"]),
)  # fmt: skip
def test_billed_kinds_sum_to_the_reported_totals_and_none_is_negative(
    uncached: int, cache_read: int, cache_write: int, plain: int, reasoning: int, convention: str
) -> None:
    total_in, total_out = uncached + cache_read + cache_write, plain + reasoning
    names = {
        "semconv": ("gen_ai.usage.input_tokens", "gen_ai.usage.output_tokens",
                    "gen_ai.usage.cache_read.input_tokens",
                    "gen_ai.usage.cache_creation.input_tokens",
                    "gen_ai.usage.reasoning.output_tokens"),
        "anthropic-sdk": ("gen_ai.usage.input_tokens", "gen_ai.usage.output_tokens",
                          "gen_ai.usage.cache_read.input_tokens",
                          "gen_ai.usage.cache_write.input_tokens",
                          "gen_ai.usage.reasoning.output_tokens"),
        "openllmetry": ("gen_ai.usage.prompt_tokens", "gen_ai.usage.completion_tokens",
                        "gen_ai.usage.cache_read_input_tokens",
                        "gen_ai.usage.cache_creation_input_tokens",
                        "gen_ai.usage.reasoning_tokens"),
        "openinference": ("llm.token_count.prompt", "llm.token_count.completion",
                          "llm.token_count.prompt_details.cache_read",
                          "llm.token_count.prompt_details.cache_write",
                          "llm.token_count.completion_details.reasoning"),
    }[convention]  # fmt: skip
    values = (total_in, total_out, cache_read, cache_write, reasoning)
    attrs = {"gen_ai.operation.name": "chat", **dict(zip(names, values, strict=True))}
    mapped = map_span(span(attrs))
    assert isinstance(mapped, SpanUsage)
    t = mapped.tokens
    assert min(t.input, t.output, t.cache_read, t.cache_write, t.reasoning) >= 0
    assert t.input + t.cache_read + t.cache_write == total_in
    assert t.output + t.reasoning == total_out


@given(cache_read=st.integers(1, 10**6), extra=st.integers(1, 10**6))
def test_counts_that_contradict_each_other_are_rejected_never_clamped(
    cache_read: int, extra: int
) -> None:
    attrs = {
        "gen_ai.operation.name": "chat",
        "llm.token_count.prompt": cache_read,
        "llm.token_count.prompt_details.cache_read": cache_read + extra,
    }
    assert isinstance(map_span(span(attrs)), SpanRejection)


def test_nesting_never_joins_two_different_response_ids() -> None:
    attrs = LIBRARY_SPANS["openllmetry-openai"][0]
    outer = usage({**attrs, "gen_ai.response.id": "call-1"}, "a" * 16)
    inner = usage({**attrs, "gen_ai.response.id": "call-2"}, "b" * 16, parent="a" * 16)
    kept, repeats = collapse([outer, inner])
    assert [u.span_id for u in kept] == ["a" * 16, "b" * 16] and repeats == []


def test_a_model_span_wrapping_several_calls_is_not_charged() -> None:
    """A framework's model span around two provider calls (e.g. a retry with a new request)."""
    attrs = {k: v for k, v in LIBRARY_SPANS["openllmetry-openai"][0].items()}
    wrapper = usage({k: v for k, v in attrs.items() if k != "gen_ai.response.id"}, "a" * 16)
    first = usage({**attrs, "gen_ai.response.id": "call-1"}, "b" * 16, parent="a" * 16)
    second = usage({**attrs, "gen_ai.response.id": "call-2"}, "c" * 16, parent="a" * 16)
    kept, repeats = collapse([first, second, wrapper])
    assert [u.span_id for u in kept] == ["b" * 16, "c" * 16]
    assert [(r.span_id, r.kept) for r in repeats] == [("a" * 16, "")]
