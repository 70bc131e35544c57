"""The attribute names LLM instrumentations really emit, and one reading of a span's token counts.

Pure: attribute mappings in, plain values out. docs/otlp.md has the same table for users; each
name below was read from the library's source at the version noted (the tests build spans
with exactly these names, and tests/integration/test_otlp_libraries.py runs the libraries).

Every convention counts tokens with *overlap*: the input (prompt) count includes cache reads
and cache writes, the output (completion) count includes reasoning. `read_tokens` returns
what the span says, per kind, with None for a kind it does not report; `app.domain.genai_spans`
turns that into the ledger's disjoint counts.

For each kind, the names are tried in order and the first present one is read: a current
name always wins over an older spelling of the same count (instrumentations in transition
send both, sometimes with the older one computed differently).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from app.domain.pricing import TokenCounts

# Sources (versions whose source was read):
#   semconv   OpenTelemetry GenAI semantic conventions as in opentelemetry-semantic-conventions
#             0.66b2 (gen_ai_attributes.py; development status)
#   semconv-deprecated  the same package's deprecated names (gen_ai.usage.prompt_tokens,
#             completion_tokens, gen_ai.system), still emitted by openllmetry's semconv-ai 0.5.1
#   oi        OpenInference semantic conventions 0.1.42 (instrumentation-openai 0.1.66)
#   ollm      openllmetry: opentelemetry-semantic-conventions-ai 0.5.1 (instrumentations 0.62.4)
#   anthropic the Anthropic Python SDK's own tracing (anthropic 2.17.0, anthropic/_tracing.py)

INPUT_NAMES = (
    "gen_ai.usage.input_tokens",  # semconv; openai-v2, ollm, (not the anthropic SDK)
    "gen_ai.usage.prompt_tokens",  # semconv-deprecated; ollm LLM_USAGE_PROMPT_TOKENS
    "llm.token_count.prompt",  # oi
)
OUTPUT_NAMES = (
    "gen_ai.usage.output_tokens",  # semconv; openai-v2, ollm, anthropic SDK
    "gen_ai.usage.completion_tokens",  # semconv-deprecated; ollm LLM_USAGE_COMPLETION_TOKENS
    "llm.token_count.completion",  # oi
)
CACHE_READ_NAMES = (
    "gen_ai.usage.cache_read.input_tokens",  # semconv; ollm, anthropic SDK
    "gen_ai.usage.cache_read_input_tokens",  # ollm LLM_USAGE_CACHE_READ_INPUT_TOKENS (older)
    "llm.token_count.prompt_details.cache_read",  # oi
)
CACHE_WRITE_NAMES = (
    "gen_ai.usage.cache_creation.input_tokens",  # semconv; ollm
    "gen_ai.usage.cache_write.input_tokens",  # anthropic SDK
    "gen_ai.usage.cache_creation_input_tokens",  # ollm LLM_USAGE_CACHE_CREATION_INPUT_TOKENS
    "llm.token_count.prompt_details.cache_write",  # oi
)
REASONING_NAMES = (
    "gen_ai.usage.reasoning.output_tokens",  # semconv; anthropic SDK (thinking_tokens)
    "gen_ai.usage.reasoning_tokens",  # ollm GEN_AI_USAGE_REASONING_TOKENS
    "llm.usage.reasoning_tokens",  # ollm LLM_USAGE_REASONING_TOKENS
    "llm.token_count.completion_details.reasoning",  # oi
)
TOKEN_NAMES = (
    *INPUT_NAMES,
    *OUTPUT_NAMES,
    *CACHE_READ_NAMES,
    *CACHE_WRITE_NAMES,
    *REASONING_NAMES,
)

PROVIDER_NAMES = ("gen_ai.provider.name", "gen_ai.system", "llm.provider", "llm.system")
MODEL_NAMES = (
    "gen_ai.response.model",
    "gen_ai.request.model",
    "llm.model_name",  # oi (the response's model when known, else the request's)
)
RESPONSE_ID_NAMES = ("gen_ai.response.id", "llm.response.id")

# OpenInference marks a span's kind instead of gen_ai.operation.name.
OPENINFERENCE_KIND = "openinference.span.kind"
OPENINFERENCE_LLM_KINDS = frozenset({"LLM", "EMBEDDING"})
OPENINFERENCE_AGENT_KINDS = frozenset({"AGENT", "CHAIN"})

# What each provider's API always reports in its usage, beyond the input and output totals
# (OpenAI: prompt_tokens_details.cached_tokens, completion_tokens_details.reasoning_tokens;
# Anthropic: cache_read_input_tokens, cache_creation_input_tokens, input_tokens). A span of
# that provider without one of these reported less than the provider gave: it is stored, and
# the gap is counted in the tenant's ingest health.
PROVIDER_REPORTS: Mapping[str, frozenset[str]] = {
    "openai": frozenset({"input", "cache_read", "reasoning"}),
    "azure.ai.openai": frozenset({"input", "cache_read", "reasoning"}),
    "anthropic": frozenset({"input", "cache_read", "cache_write"}),
}
KINDS = ("input", "output", "cache_read", "cache_write", "reasoning")
# The reported kinds for each combination (bit i: KINDS[i] reported): one lookup per span.
_KNOWN_BY_MASK = tuple(
    frozenset(kind for i, kind in enumerate(KINDS) if mask >> i & 1) for mask in range(32)
)


class ConventionError(ValueError):
    """A span's token attributes cannot be read; the message names the attribute."""


@dataclass(slots=True)
class TokenReport:
    """What a span reports, per kind, with the overlap of its convention (None: not reported).

    `input` includes cache reads and writes; `output` includes reasoning. Not changed once
    built (not a frozen dataclass: one is built per span, and the frozen __init__ costs more).
    """

    input: int | None = None
    output: int | None = None
    cache_read: int | None = None
    cache_write: int | None = None
    reasoning: int | None = None
    # The kinds the span reports (computed once: pricing, ranking and gaps all ask).
    _known: frozenset[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._known = _KNOWN_BY_MASK[
            (self.input is not None)
            | (self.output is not None) << 1
            | (self.cache_read is not None) << 2
            | (self.cache_write is not None) << 3
            | (self.reasoning is not None) << 4
        ]

    @property
    def known(self) -> frozenset[str]:
        """The kinds the span reports."""
        return self._known

    @property
    def any(self) -> bool:
        return bool(self.known)


def read_tokens(attrs: Mapping[str, Any]) -> TokenReport:
    """The token counts `attrs` reports under any known convention."""
    return TokenReport(
        _count(attrs, INPUT_NAMES),
        _count(attrs, OUTPUT_NAMES),
        _count(attrs, CACHE_READ_NAMES),
        _count(attrs, CACHE_WRITE_NAMES),
        _count(attrs, REASONING_NAMES),
    )


_KIND_NAMES = (INPUT_NAMES, OUTPUT_NAMES, CACHE_READ_NAMES, CACHE_WRITE_NAMES, REASONING_NAMES)


def read_counts(attrs: Mapping[str, Any]) -> tuple[TokenCounts, frozenset[str]]:
    """`disjoint_counts(read_tokens(attrs))` and the kinds the span reports, in one reading:
    the same values and the same errors (ConventionError, ValueError) in the same order, without
    a TokenReport per span (the mapping of every metered span goes through here)."""
    get = attrs.get
    found: list[int | None] = []
    mask = 0
    bit = 1
    for names in _KIND_NAMES:
        value = None
        for name in names:
            raw = get(name)
            if raw is not None:
                # A plain non-negative int (nearly every count) needs no further reading.
                value = raw if raw.__class__ is int and raw >= 0 else _as_count(name, raw)
                mask |= bit
                break
        found.append(value)
        bit <<= 1
    total_in, total_out, cache_read, cache_write, reasoning = found
    cache_read = cache_read or 0
    cache_write = cache_write or 0
    reasoning = reasoning or 0
    input_total = total_in if total_in is not None else cache_read + cache_write
    output_total = total_out or 0
    uncached = input_total - cache_read - cache_write
    plain_output = output_total - reasoning
    if uncached < 0 or plain_output < 0:  # raises, worded by the one place that words it
        disjoint_tokens(
            input_total=input_total,
            output_total=output_total,
            cache_read=cache_read,
            cache_write=cache_write,
            reasoning=reasoning,
        )
    counts = TokenCounts(uncached, plain_output, cache_read, cache_write, reasoning)
    return counts, _KNOWN_BY_MASK[mask]


def expected_gaps(provider: str | None, known: frozenset[str]) -> frozenset[str]:
    """`detail_gaps` from the reported kinds (`read_counts`) rather than a TokenReport."""
    expected = PROVIDER_REPORTS.get(provider_key(provider) or "", frozenset())
    return expected - known if expected else frozenset()


def disjoint_tokens(
    *, input_total: int, output_total: int, cache_read: int, cache_write: int, reasoning: int
) -> TokenCounts:
    """OTel's overlapping counts → the ledger's disjoint ones.

    `gen_ai.usage.input_tokens` includes cache reads and cache writes, and output_tokens includes
    reasoning, so uncached input = input_total − cache_read − cache_write and plain output =
    output_total − reasoning; every token is then priced exactly once. A negative remainder
    means the span's counts contradict each other: ValueError, never a silent clamp to zero.
    """
    uncached = input_total - cache_read - cache_write
    if uncached < 0:
        raise ValueError(
            f"input tokens ({input_total}) are fewer than cache read ({cache_read}) plus cache "
            f"creation ({cache_write}); input_tokens must include the cached tokens"
        )
    plain_output = output_total - reasoning
    if plain_output < 0:
        raise ValueError(
            f"output tokens ({output_total}) are fewer than reasoning tokens ({reasoning}); "
            "output_tokens must include the reasoning tokens"
        )
    return TokenCounts(
        input=uncached,
        output=plain_output,
        cache_read=cache_read,
        cache_write=cache_write,
        reasoning=reasoning,
    )


def disjoint_counts(report: TokenReport) -> TokenCounts:
    """The disjoint counts of `report` (ValueError when they contradict each other). An
    unreported input total (a span with only cache counts) leaves the uncached input at 0:
    the gap is recorded by the caller, never guessed."""
    cache_read = report.cache_read or 0
    cache_write = report.cache_write or 0
    return disjoint_tokens(
        input_total=report.input if report.input is not None else cache_read + cache_write,
        output_total=report.output or 0,
        cache_read=cache_read,
        cache_write=cache_write,
        reasoning=report.reasoning or 0,
    )


def provider_key(provider: str | None) -> str | None:
    """A well-known provider's name as the semantic conventions spell it (openllmetry sends
    `Anthropic`, the conventions and price books `anthropic`); other names as sent."""
    if not provider:
        return None
    lowered = provider.strip().lower()
    return lowered if lowered in PROVIDER_REPORTS else provider


def detail_gaps(provider: str | None, report: TokenReport) -> frozenset[str]:
    """The kinds `provider` always reports that the span does not (empty for other providers)."""
    expected = PROVIDER_REPORTS.get(provider_key(provider) or "", frozenset())
    return expected - report.known


def detail_rank(report: TokenReport) -> int:
    """How much a span says about its call: the number of token kinds it reports.

    Of several spans of one provider call the one with the highest rank is charged (ties: the
    first stored stays)."""
    return len(report.known)


def _count(attrs: Mapping[str, Any], names: Sequence[str]) -> int | None:
    """The count under the first present of `names` (None when none is present)."""
    for name in names:
        raw = attrs.get(name)
        if raw is not None:
            return _as_count(name, raw)
    return None


def _as_count(name: str, value: Any) -> int:
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        return int(value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ConventionError(f"{name} must be a non-negative integer (got {value!r})")
    return value
