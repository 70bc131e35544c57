"""One provider call, one charge: which model-call spans report the same call, and which wins.

Pure. Two metered LLM spans report the same provider call when
- they carry the same provider response id (`gen_ai.response.id`, `llm.response.id`) for the
  same provider — e.g. the Anthropic SDK's own span and openllmetry's span of one call, which
  arrive as two root spans of separate traces; or
- one is the parent of the other — e.g. two instrumentations wrapping one client (an SDK span
  around an instrumentation span, OpenInference around openai-v2): a model-call span nested in
  a model-call span is the same call seen twice — unless they carry different response ids,
  or the outer span has children of several calls (a wrapper: its children are charged).

Of the spans of one call the one reporting the most token kinds (`SpanUsage.detail`) is
charged; on a tie the first one seen (or stored) stays. A more detailed span arriving after a
less detailed one was stored corrects the stored usage event in place (app.ingest.otlp_calls).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from app.domain.enums import UsageKind
from app.domain.genai_spans import SpanUsage


def call_key(usage: SpanUsage) -> str | None:
    """The key of the provider call `usage` reports: by response id, else by its own span id;
    None for usage that is not a model call (tools, fees, reported-cost spans keep their own
    identity)."""
    if usage.kind is not UsageKind.LLM:
        return None
    if usage.response_id:
        return f"response:{usage.provider or ''}:{usage.response_id}"
    return f"span:{usage.span_id}"


@dataclass(frozen=True)
class SameCall:
    """A span not charged because `kept` (a span id) reports the same provider call; `kept`
    is empty for a wrapper span whose children (several calls) are charged instead."""

    span_id: str
    kept: str


def collapse(usages: Sequence[SpanUsage]) -> tuple[list[SpanUsage], list[SameCall]]:
    """The spans to charge (in input order) and the ones that repeat a call of another.

    Groups by call key and by parent/child between model-call spans (transitively), never
    joining two different response ids; keeps the most detailed of each group (first on ties).
    A model-call span with children of two or more different calls is a wrapper (like an
    agent span, its usage is theirs): it is not charged.
    """
    parent: dict[int, int] = {}
    response: dict[int, str | None] = {}

    def find(i: int) -> int:
        while parent.get(i, i) != i:
            i = parent[i]
        return i

    def union(a: int, b: int) -> None:
        ra, rb = find(a), find(b)
        if ra == rb:
            return
        ida, idb = response.get(ra), response.get(rb)
        if ida is not None and idb is not None and ida != idb:
            return  # two different provider calls
        low, high = min(ra, rb), max(ra, rb)
        parent[high] = low
        response[low] = ida or idb

    keys = [call_key(usage) for usage in usages]
    by_key: dict[str, int] = {}
    by_span: dict[str, int] = {}
    for i, (usage, key) in enumerate(zip(usages, keys, strict=True)):
        if key is None:
            continue
        by_span[usage.span_id] = i
        response[i] = key if usage.response_id else None
        if key in by_key:
            union(by_key[key], i)
        else:
            by_key[key] = i
    # Model-call spans whose parent is a model-call span of this export (most have none).
    nested = [
        (i, by_span[usage.parent_span_id])
        for i, (usage, key) in enumerate(zip(usages, keys, strict=True))
        if key is not None and usage.parent_span_id in by_span
    ]
    children: dict[int, set[str]] = {}
    for i, up in nested:
        children.setdefault(up, set()).add(keys[i] or usages[i].span_id)
    wrappers = {i for i, calls in children.items() if len(calls) > 1}
    for i, up in nested:
        if up not in wrappers:
            union(up, i)

    if not parent and not wrappers:  # every span is a call of its own (the usual export)
        return list(usages), []
    groups: dict[int, list[int]] = {}
    for i in range(len(usages)):
        if i not in wrappers:
            groups.setdefault(find(i), []).append(i)
    winners: set[int] = set()
    repeats: list[SameCall] = []
    for members in groups.values():
        best = max(members, key=lambda i: (usages[i].detail, -i))
        winners.add(best)
        repeats += [SameCall(usages[i].span_id, usages[best].span_id) for i in members if i != best]
    repeats += [SameCall(usages[i].span_id, "") for i in sorted(wrappers)]
    return [u for i, u in enumerate(usages) if i in winners], repeats


def replaces(stored_detail: int, new_detail: int) -> bool:
    """Whether a span of an already charged call corrects the stored event: only when it
    reports more token kinds (never on a tie, so replays and equal spans change nothing)."""
    return new_detail > stored_detail
