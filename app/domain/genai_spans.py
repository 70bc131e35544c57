"""OpenTelemetry GenAI spans → usage events: which spans are metered, and their disjoint tokens.

Pure: a decoded span (hex ids, Unix-nanosecond times, attribute values as plain Python) in, a
`SpanUsage`, a `SpanRejection` or None (not a metered span) out. docs/otlp.md is the user-facing
version of these rules.

Which spans are metered (only the span's own attributes decide):
- `gen_ai.operation.name` in {chat, text_completion, generate_content, embeddings}, or any other
  non-agent operation (or none) with `gen_ai.usage.*` token attributes → LLM;
- `invoke_agent` / `create_agent` spans are never metered: by the semantic conventions an agent
  span's usage is the total of the model calls under it, which are metered themselves;
- `execute_tool` → TOOL, `retrieval` (or a `db.*` / `gen_ai.data_source.id` attribute) →
  RETRIEVAL — both only when they report `gen_ai.usage.cost.amount` (an unpriced tool call has
  no cost to record, and a zero would be made up);
- any other span with `gen_ai.usage.cost.amount` → THIRD_PARTY; every other span is ignored.

Tags (workflow, step, team, client, correlation id, campaign, channel, variant, subject, provider,
model, reasoning effort, response id) are read from the span, else from its resource: the first
name of a fallback list found on the span wins, then the first found on the resource. `TAG_NAMES`
lists them and `read_tags` (app.domain.genai_tags) is the one place where attributes become
tags; a resource's tags are read once for all its spans (`map_spans`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from functools import partial
from typing import Any, cast

from app.domain.enums import UsageKind
from app.domain.genai_conventions import (
    OPENINFERENCE_AGENT_KINDS,
    OPENINFERENCE_KIND,
    OPENINFERENCE_LLM_KINDS,
    TOKEN_NAMES,
    expected_gaps,
    provider_key,
    read_counts,
)
from app.domain.genai_tags import (
    DIMENSION_TAG_PREFIX,
    MODEL,
    RUN_TAGS,
    InvalidTag,
    read_tags,
    span_tags,
)
from app.domain.pricing import TokenCounts

LLM_OPERATIONS = frozenset({"chat", "text_completion", "generate_content", "embeddings"})
AGENT_OPERATIONS = frozenset({"invoke_agent", "create_agent"})
TOOL_OPERATION = "execute_tool"
RETRIEVAL_OPERATION = "retrieval"

COST = "gen_ai.usage.cost.amount"
CURRENCY = "gen_ai.usage.cost.currency"
TOKEN_ATTRIBUTES = TOKEN_NAMES
_TOKEN_NAME_SET = frozenset(TOKEN_ATTRIBUTES)
_MODEL_NAME_SET = frozenset(MODEL)

MAX_LATENCY_MS = 2**31 - 1  # the column is an int4
_HEX_SPAN_ID = re.compile(r"[0-9a-f]{16}")
_ZERO_SPAN_ID = "0" * 16
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_NO_GAPS: frozenset[str] = frozenset()
_RUN_TAG_NAMES = (*RUN_TAGS, "team", "client_id")  # SpanUsage.tags, in reading order


@dataclass(slots=True)
class Span:
    """One span as decoded from OTLP: lowercase hex ids, times in Unix nanoseconds (0 = unset).

    Not changed once built. (Not a frozen dataclass: its generated __init__ sets each field
    through object.__setattr__, a measurable share of decoding 512 spans per export.)"""

    trace_id: str
    span_id: str
    start_ns: int
    end_ns: int
    attributes: Mapping[str, Any]
    resource: Mapping[str, Any] = field(default_factory=dict)
    parent_span_id: str = ""
    scope: str = ""  # the instrumentation scope's name (which library emitted it)


@dataclass(slots=True)
class SpanUsage:
    """The usage event of one metered span, plus the run tags its correlation id's run gets.

    `cost` is the reported cost in USD (None: priced from the price book at ingest); `tags` holds
    client id, team and RUN_TAGS (None when absent). Not changed once built (not frozen for the
    same reason as Span: one is built per span).
    """

    span_id: str
    correlation_id: str
    workflow_key: str
    kind: UsageKind
    occurred_at: datetime
    provider: str | None
    model: str | None
    step: str | None
    tokens: TokenCounts
    reasoning_effort: str | None
    latency_ms: int | None
    cost: Decimal | None
    tags: Mapping[str, str | None]
    # One provider call, one charge (see app.domain.provider_calls): the provider's response
    # id when the span reports one, how much the span says (kinds of tokens reported), the
    # kinds its provider always reports that it does not, and where it came from.
    response_id: str | None = None
    detail: int = 0
    gaps: frozenset[str] = frozenset()
    source: str = ""
    parent_span_id: str = ""


@dataclass(frozen=True)
class SpanRejection:
    """A metered span that cannot become a usage event; `reason` names the attribute at fault.

    `workflow_key` and `source` (when known) say where it belongs in the ingest health."""

    span_id: str
    reason: str
    workflow_key: str | None = None
    source: str = ""


class _Refused(ValueError):
    """Raised inside the mapping; becomes a SpanRejection."""


def from_unix_nanos(nanos: int) -> datetime | None:
    """A Unix time in nanoseconds as an aware UTC datetime (truncated to µs); None for 0 or
    out of range."""
    if nanos <= 0:
        return None
    try:
        return _EPOCH + timedelta(0, 0, nanos // 1000)  # (days, seconds, microseconds)
    except OverflowError:
        return None


def map_span(
    span: Span, resource_tags: Mapping[str, str | InvalidTag] | None = None
) -> SpanUsage | SpanRejection | None:
    """The usage event of `span`, why it cannot have one, or None when it is not metered.

    `resource_tags` is `read_tags(span.resource)` when the caller has it already (one reading
    per resource for all its spans); read here otherwise."""
    kind = _kind(span.attributes)
    if kind is None:
        return None
    tags = span_tags(
        span.attributes, read_tags(span.resource) if resource_tags is None else resource_tags
    )
    try:
        return _usage(span, kind, tags)
    except _Refused as exc:
        return SpanRejection(span.span_id, str(exc), _workflow_of(tags), span.scope)


def _workflow_of(tags: Mapping[str, str | InvalidTag]) -> str | None:
    workflow = tags.get("workflow")
    return workflow if isinstance(workflow, str) else None


def _kind(attrs: Mapping[str, Any]) -> UsageKind | None:
    operation = attrs.get("gen_ai.operation.name")
    if not isinstance(operation, str):
        operation = None
    if operation in AGENT_OPERATIONS:
        return None
    openinference = attrs.get(OPENINFERENCE_KIND)
    if isinstance(openinference, str):
        if openinference.upper() in OPENINFERENCE_AGENT_KINDS:
            return None  # like invoke_agent: the model calls under it are metered themselves
        if openinference.upper() in OPENINFERENCE_LLM_KINDS:
            return UsageKind.LLM
    if operation in LLM_OPERATIONS:
        return UsageKind.LLM
    has_tokens = not _TOKEN_NAME_SET.isdisjoint(attrs)
    if operation == TOOL_OPERATION:
        kind = UsageKind.TOOL
    elif operation == RETRIEVAL_OPERATION or _is_retrieval(attrs):
        kind = UsageKind.RETRIEVAL
    elif has_tokens or (operation is None and not _MODEL_NAME_SET.isdisjoint(attrs)):
        return UsageKind.LLM  # a model named or tokens counted: a model call, billed or refused
    else:
        kind = UsageKind.THIRD_PARTY
    return kind if COST in attrs else None


def _is_retrieval(attrs: Mapping[str, Any]) -> bool:
    return "gen_ai.data_source.id" in attrs or any(name.startswith("db.") for name in attrs)


def _usage(span: Span, kind: UsageKind, tags: Mapping[str, str | InvalidTag]) -> SpanUsage:
    span_id = span.span_id
    if not _HEX_SPAN_ID.fullmatch(span_id) or span_id == _ZERO_SPAN_ID:
        raise _Refused("spanId must be 8 non-zero bytes (16 hex digits)")
    started = from_unix_nanos(span.start_ns)
    if started is None:
        raise _Refused("startTimeUnixNano is missing or out of range")
    # Every tag is read through `tag`: a plain lookup when all of them are text (the usual
    # case), else `_tag`, which refuses an invalid one when (and in the order) it is read.
    tag: Callable[[str], str | None]
    for value in tags.values():
        if value.__class__ is not str:
            tag = partial(_tag, tags)
            break
    else:
        tag = cast("Mapping[str, str]", tags).get
    workflow = tag("workflow")
    if not workflow:
        raise _Refused(
            "no workflow: set ledger.workflow (or gen_ai.workflow.name) on the span or its resource"
        )
    attrs = span.attributes
    try:
        tokens, known = read_counts(attrs)
    except ValueError as exc:  # a ConventionError, or counts that contradict each other
        raise _Refused(str(exc)) from exc
    cost = _cost(attrs) if COST in attrs else None
    if kind is UsageKind.LLM and cost is None and not known:
        raise _Refused(
            f"no gen_ai.usage.* token counts (nor llm.token_count.*) and no {COST}: "
            "nothing to meter"
        )
    provider = tag("provider")
    run_tags = {name: tag(name) for name in _RUN_TAG_NAMES}
    for name in tags:
        if name.startswith(DIMENSION_TAG_PREFIX):
            run_tags[name] = tag(name)
    end_ns, start_ns = span.end_ns, span.start_ns
    latency = (end_ns - start_ns) // 1_000_000 if end_ns >= start_ns else None
    if latency is not None and latency > MAX_LATENCY_MS:
        latency = None  # a span open for weeks says nothing about a call's latency
    llm = kind is UsageKind.LLM
    return SpanUsage(  # positionally, in field order: keyword arguments cost more per span
        span_id,
        tag("correlation_id") or span.trace_id or span_id,
        workflow,
        kind,
        started,
        provider_key(provider),
        tag("model"),
        tag("step"),
        tokens,
        tag("reasoning_effort"),
        latency,
        cost,
        run_tags,
        tag("response_id") if llm else None,
        len(known),  # the detail rank (detail_rank): how many token kinds the span reports
        expected_gaps(provider, known) if llm and cost is None else _NO_GAPS,
        span.scope,
        span.parent_span_id,
    )


def _tag(tags: Mapping[str, str | InvalidTag], name: str) -> str | None:
    """Tag `name` (a TAG_NAMES key) of a span; refused when its attribute is not a string."""
    value = tags.get(name)
    if value is None or isinstance(value, str):
        return value
    raise _Refused(value.message)


def _cost(attrs: Mapping[str, Any]) -> Decimal | None:
    """The reported cost in USD: a decimal string (exact), an integer, or a double (taken at its
    shortest decimal spelling, e.g. 0.0125 → Decimal("0.0125")); None when absent."""
    value = attrs.get(COST)
    if value is None:
        return None
    currency = attrs.get(CURRENCY)
    if currency is not None and (not isinstance(currency, str) or currency.upper() != "USD"):
        raise _Refused(f"{CURRENCY} must be USD (got {currency!r}); the ledger keeps USD")
    try:
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise InvalidOperation
        amount = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    except InvalidOperation:
        raise _Refused(f"{COST} must be a decimal amount (got {value!r})") from None
    if not amount.is_finite() or amount < 0:
        raise _Refused(f"{COST} must be a finite amount >= 0 (got {value!r})")
    return amount
