"""Reading a batch column by column (`parse_records`) must be `parse_record` on every item.

The field rules exist once (app.services.ingest.fields); a rule's `quick` column shortcut only
accelerates plainly valid values. These tests pin both: the shortcut never disagrees with the
rule, and a whole batch read column-wise gives the same records and the same errors, in the same
order, as reading it record by record — valid batches, and batches with any mix of bad fields.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.domain.enums import UsageKind
from app.domain.pricing import TokenCounts
from app.services.ingest.errors import RecordError
from app.services.ingest.fields import Invalid, Rule, read_column
from app.services.ingest.records import (
    LABEL_READ,
    RUN_READ,
    USAGE_READ,
    UsageRecord,
    parse_record,
    parse_records,
    read_usage_columns,
)

RULES: list[tuple[str, Rule]] = [*RUN_READ, *USAGE_READ, *LABEL_READ]

USAGE = {
    "type": "usage",
    "eventId": "ev-1",
    "correlationId": "run-1",
    "workflowKey": "outreach",
    "kind": "LLM",
    "occurredAt": "2026-10-01T10:00:00+02:00",
    "provider": "anthropic",
    "model": "claude-sonnet-4",
    "step": "planner",
    "inputTokens": 800,
    "outputTokens": 200,
    "cacheReadTokens": 3000,
    "latencyMs": 900,
}
RUN = {
    "type": "run",
    "correlationId": "run-1",
    "workflowKey": "outreach",
    "startedAt": "2026-10-01T09:00:00Z",
    "campaign": "spring",
}
LABEL = {
    "type": "label",
    "correlationId": "run-1",
    "status": "ACCEPTED",
    "at": "2026-10-02T09:00:00Z",
}

# JSON-decoded values of every kind, and the edge cases of the rules: blank and whitespace-only
# strings, NUL, non-ASCII, a lone surrogate, over-long strings, negative and huge ints, bools,
# floats, Decimals, enum names, timestamps with and without offsets, arrays, objects.
json_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**64), max_value=2**64),
    st.sampled_from([0, 1, 2**31 - 1, 2**31, 2**63 - 1, 2**63]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.decimals(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.sampled_from(
        ["", " ", "\t\n", "\x1c", "a\x00b", "é", "\ud800", "x" * 201, "LLM", "TOOL", "ACCEPTED"]
    ),
    st.sampled_from(["2026-10-01T10:00:00Z", "2026-10-01T10:00:00", "yesterday", "0.5"]),
    st.sampled_from(["3f0e2a6e-8d2b-4c31-9b63-1f1c2a3d4e5f", " 1.25 ", "-1", "1e10", "NaN"]),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)


def _convert_all(rule: Rule, values: list[Any]) -> list[Any] | None:
    """What the rule itself says of each value; None when it refuses any."""
    try:
        return [rule.convert(value) for value in values]
    except Invalid:
        return None


@settings(max_examples=300, deadline=None)
@given(rule=st.sampled_from(RULES), values=st.lists(json_values, max_size=6))
def test_quick_column_never_disagrees_with_the_rule(rule: tuple[str, Rule], values: list) -> None:
    _, field_rule = rule
    if field_rule.quick is None:
        return
    quick = field_rule.quick(list(values))
    if quick is not None:  # the shortcut took the column: every value is valid, same result
        assert quick == _convert_all(field_rule, values)
        assert [type(v) for v in quick] == [type(v) for v in _convert_all(field_rule, values) or []]


@settings(max_examples=300, deadline=None)
@given(rule=st.sampled_from(RULES), values=st.lists(json_values, max_size=6))
def test_read_column_is_the_rule_on_every_value(rule: tuple[str, Rule], values: list) -> None:
    _, field_rule = rule
    expected = _convert_all(field_rule, values)
    if expected is None:
        with pytest.raises(Invalid):
            read_column(field_rule, list(values))
    else:
        assert read_column(field_rule, list(values)) == expected


def test_quick_paths_take_plain_values_and_leave_the_rest_to_the_rule() -> None:
    rules = dict(USAGE_READ)
    assert rules["eventId"].quick is not None
    assert rules["eventId"].quick(["ev-1", "ev-2"]) == ["ev-1", "ev-2"]
    assert (
        rules["eventId"].quick(["ev-1", "   "]) is None
    )  # blank: the rule says "must not be empty"
    assert rules["eventId"].quick(["évé"]) is None  # non-ASCII: the rule decides (it is valid)
    assert read_column(rules["eventId"], ["évé"]) == ["évé"]
    assert rules["inputTokens"].quick is not None
    assert rules["inputTokens"].quick([None, 5]) == [0, 5]  # absent token counts are 0
    assert rules["inputTokens"].quick([True]) is None  # a bool is not an integer here
    assert rules["kind"].quick is not None
    assert rules["kind"].quick(["LLM", "TOOL"]) == [UsageKind.LLM, UsageKind.TOOL]
    with pytest.raises(Invalid, match="must be an integer, not a boolean"):
        read_column(rules["inputTokens"], [1, True])


def test_a_valid_usage_batch_reads_to_the_same_records() -> None:
    batch = [{**USAGE, "eventId": f"ev-{i}", "inputTokens": 800 + i} for i in range(3)]
    parsed = parse_records(batch)
    assert parsed == [parse_record(i, record) for i, record in enumerate(batch)]
    record, errors = parsed[2]
    assert errors == []
    assert isinstance(record, UsageRecord)
    assert record.index == 2
    assert record.tokens == TokenCounts(input=802, output=200, cache_read=3000)
    assert record.occurred_at == datetime(2026, 10, 1, 8, 0, tzinfo=UTC)  # +02:00 → UTC
    assert record.kind is UsageKind.LLM
    assert record.cost is None


def test_one_bad_record_reports_exactly_as_record_by_record() -> None:
    batch: list[Any] = [
        USAGE,
        {**USAGE, "eventId": "", "inputTokens": -1, "latencyMs": 2**31},
        {**USAGE, "kind": "TOOL"},  # non-LLM usage needs a cost
        {**USAGE, "cost": 0.5},  # a float cost
        {**USAGE, "colour": "red"},  # an unknown field
        RUN,
        ["not", "an", "object"],
        {"type": "nope"},
    ]
    parsed = parse_records(batch)
    assert parsed == [parse_record(i, record) for i, record in enumerate(batch)]
    assert parsed[1][1] == [
        RecordError(1, "inputTokens", "must be >= 0 (got -1)"),
        RecordError(1, "eventId", "must not be empty"),
        RecordError(1, "latencyMs", f"must be <= {2**31 - 1} (got {2**31})"),
    ]
    assert [e.field for e in parsed[2][1]] == ["cost"]
    assert [e.field for e in parsed[3][1]] == ["cost"]
    assert [e.field for e in parsed[4][1]] == ["colour"]
    assert parsed[5][1] == []
    assert [e.field for e in parsed[6][1]] == ["record"]
    assert [e.field for e in parsed[7][1]] == ["type"]


fields_of = {"usage": USAGE, "run": RUN, "label": LABEL}


def altered(draw: st.DrawFn, kind: str, other_names: tuple[str, ...]) -> dict[str, Any]:
    """A valid record of `kind` with up to two fields, its own or among `other_names`, set to
    any JSON value (so replaced, or added)."""
    record = dict(fields_of[kind])
    for _ in range(draw(st.integers(min_value=0, max_value=2))):
        name = draw(st.sampled_from([*record, *other_names]))
        record[name] = draw(json_values)
    return record


@st.composite
def batches(draw: st.DrawFn) -> list[Any]:
    """Valid records of the three column-read types, some with fields replaced or added."""
    names = ("cost", "clientId", "kind", "status", "extra")
    return [
        altered(draw, draw(st.sampled_from(["usage", "run", "label"])), names)
        for _ in range(draw(st.integers(min_value=0, max_value=6)))
    ]


@settings(max_examples=300, deadline=None)
@given(batch=batches())
def test_column_read_equals_record_by_record(batch: list[Any]) -> None:
    assert parse_records(batch) == [parse_record(i, record) for i, record in enumerate(batch)]


def test_reported_costs_are_read_exactly() -> None:
    batch = [{**USAGE, "cost": "0.0125"}, {**USAGE, "cost": Decimal("0.10000000005")}]
    parsed = parse_records(batch)
    assert parsed == [parse_record(i, record) for i, record in enumerate(batch)]
    costs = [record.cost for record, _ in parsed if isinstance(record, UsageRecord)]
    assert costs == [Decimal("0.0125000000"), Decimal("0.1000000000")]  # 10 dp, half even


@st.composite
def usage_batches(draw: st.DrawFn) -> list[Any]:
    """Mostly usage records, valid or with fields replaced or added; now and then another type."""
    names = ("cost", "clientId", "kind", "extra")
    return [
        altered(draw, draw(st.sampled_from(["usage"] * 8 + ["run", "label"])), names)
        for _ in range(draw(st.integers(min_value=1, max_value=6)))
    ]


@settings(max_examples=300, deadline=None)
@given(batch=usage_batches())
def test_usage_columns_only_for_a_clean_usage_batch_with_its_values(batch: list[Any]) -> None:
    parsed = parse_records(batch)
    columns = read_usage_columns(batch)
    clean = all(isinstance(r, UsageRecord) and not errors for r, errors in parsed)
    assert (columns is not None) == clean
    if columns is None:
        return
    for i, (record, _) in enumerate(parsed):
        assert isinstance(record, UsageRecord)
        values = [column[i] for column in columns]
        t = record.tokens
        assert values == [
            record.kind, t.input, t.output, t.cache_read, t.cache_write, t.reasoning,
            record.event_id, record.correlation_id, record.workflow_key, record.client_id,
            record.occurred_at, record.provider, record.model, record.step, record.team,
            record.reasoning_effort, record.latency_ms, record.cost,
        ]  # fmt: skip


def test_usage_columns_hand_checked() -> None:
    batch = [USAGE, {**USAGE, "eventId": "ev-2", "kind": "TOOL", "cost": "0.5"}]
    columns = read_usage_columns(batch)
    assert columns is not None
    assert columns[0] == [UsageKind.LLM, UsageKind.TOOL]
    assert columns[3] == [3000, 3000]  # cacheReadTokens
    assert columns[4] == [0, 0]  # cacheWriteTokens: absent is 0
    assert columns[6] == ["ev-1", "ev-2"]
    assert columns[10] == [datetime(2026, 10, 1, 8, 0, tzinfo=UTC)] * 2
    assert columns[-1] == [None, Decimal("0.5000000000")]
    assert read_usage_columns([USAGE, {**USAGE, "kind": "TOOL"}]) is None  # TOOL needs a cost
    assert read_usage_columns([USAGE, RUN]) is None  # not usage only
    assert read_usage_columns([{**USAGE, "inputTokens": -1}]) is None
