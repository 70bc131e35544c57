"""The ingest body decoder (`_loads`: orjson for plain batches, json.loads for everything else)
gives exactly what `json.loads(parse_float=Decimal)` with constants refused gives: equal values
of the same types in the same key order, and the same error for every input it refuses —
so `decode_json_array` and `decode_ndjson` answer byte-identically to the json.loads decoder."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.ingest import events
from app.ingest.events import BadBody, decode_json_array, decode_ndjson


def reference_loads(text: bytes | str) -> Any:
    """The decoder before orjson, verbatim."""
    return json.loads(text, parse_float=Decimal, parse_constant=events._refuse_constant)


def typed(value: Any) -> Any:
    """A value with every type and key order spelled out (1, 1.0, True and Decimal("1.0")
    compare equal in Python; these do not)."""
    if isinstance(value, dict):
        return ("dict", [(typed(k), typed(v)) for k, v in value.items()])
    if isinstance(value, list):
        return ("list", [typed(v) for v in value])
    return (type(value).__name__, repr(value))


def outcome(loads: Any, text: bytes | str) -> Any:
    try:
        return ("value", typed(loads(text)))
    except Exception as exc:  # the error a caller would word into its 400
        return ("error", type(exc).__name__, str(exc))


def same_as_reference(text: bytes | str) -> None:
    assert outcome(events._loads, text) == outcome(reference_loads, text)


def reference_decode_json_array(body: bytes) -> Any:
    saved = events._loads
    events._loads = reference_loads
    try:
        return outcome(decode_json_array, body)
    finally:
        events._loads = saved


def reference_decode_ndjson(body: bytes) -> Any:
    saved = events._loads
    events._loads = reference_loads
    try:
        return outcome(lambda b: decode_ndjson(b)[0], body)
    finally:
        events._loads = saved


scalars = (
    st.text()
    | st.integers()
    | st.integers(min_value=2**62, max_value=2**66)
    | st.integers(min_value=-(2**66), max_value=-(2**62))
    | st.booleans()
    | st.none()
    | st.floats(allow_nan=False, allow_infinity=False)
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=6,
)
records = st.dictionaries(st.text(max_size=8), values, max_size=6)


def usage(i: int) -> dict[str, Any]:
    return {
        "type": "usage",
        "eventId": f"e-{i}",
        "correlationId": f"run-{i // 5}",
        "workflowKey": "outreach",
        "kind": "LLM",
        "occurredAt": "2026-10-01T00:00:00+00:00",
        "provider": "openai",
        "model": "gpt-4o",
        "inputTokens": 800 + i,
        "outputTokens": 200,
        "cacheReadTokens": 0,
        "latencyMs": None,
        "retried": False,
    }


@settings(max_examples=300, deadline=None)
@given(st.lists(records, max_size=5), st.booleans())
def test_arrays_of_records_decode_as_json_loads(batch: list[dict[str, Any]], ascii: bool) -> None:
    text = json.dumps(batch, ensure_ascii=ascii)
    same_as_reference(text)
    same_as_reference(text.encode("utf-8", "surrogatepass"))


@settings(max_examples=300, deadline=None)
@given(values)
def test_any_json_value_decodes_as_json_loads(value: Any) -> None:
    same_as_reference(json.dumps(value).encode())


@settings(max_examples=500, deadline=None)
@given(st.binary(max_size=40))
def test_any_bytes_decode_or_fail_as_json_loads(body: bytes) -> None:
    same_as_reference(body)
    same_as_reference(b'[{"a": ' + body + b"}]")


@settings(max_examples=300, deadline=None)
@given(st.lists(records, min_size=1, max_size=4), st.data())
def test_damaged_bodies_fail_as_json_loads(batch: list[dict[str, Any]], data: Any) -> None:
    body = json.dumps(batch).encode()
    at = data.draw(st.integers(min_value=0, max_value=len(body) - 1))
    cut = data.draw(st.integers(min_value=0, max_value=3))
    insert = data.draw(st.binary(max_size=3))
    same_as_reference(body[:at] + insert + body[at + cut :])


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"[]",
        b"{}",
        b"1",
        b'"x"',
        b"null",
        b"[1, 2]",
        b"[{}, 1]",
        b'[{"cost": 0.1}]',
        b'[{"cost": 1e-7}]',
        b'[{"cost": 1E+400}]',
        b'[{"cost": -0.0}]',
        b'[{"inputTokens": -0}]',
        b'[{"inputTokens": 18446744073709551615}]',
        b'[{"inputTokens": 18446744073709551616}]',
        b'[{"inputTokens": -9223372036854775808}]',
        b'[{"inputTokens": -9223372036854775809}]',
        b'[{"inputTokens": 1' + b"0" * 5000 + b"}]",
        b'[{"cost": NaN}]',
        b'[{"cost": Infinity}]',
        b'[{"cost": -Infinity}]',
        b'[{"a": 1, "b": 2, "a": 3}]',
        b'[{"a": {"b": [1, 2.5]}}]',
        b"[" * 990 + b"]" * 990,
        b"[" * 1100 + b"]" * 1100,
        b'[{"a": ' + b"[" * 1000 + b"]" * 1000 + b"}]",
        b'\xef\xbb\xbf[{"a": 1}]',
        '[{"a": 1}]'.encode("utf-16"),
        '[{"a": 1}]'.encode("utf-32-le"),
        b'[{"a": "\\ud800"}]',
        b'[{"a": "\\ud83d\\ude00"}]',
        b'[{"a": "\xed\xa0\x80"}]',
        b'[{"a": "\xc0\xaf"}]',
        b'[{"a": "\xff"}]',
        b'[{"a": "\x00"}]',
        b'[{"a": "\\u0000\x7f\xef\xbf\xbf"}]',
        b'[{"a": 1}] ',
        b' \t\r\n[{"a": 1}]\n',
        b'[{"a": 1}]\x0c',
        b'[{"a": 1}],',
        b'[{"a": 1},]',
        b'[{"a": 01}]',
        b'[{"a": 1.}]',
        b'[{"a": .5}]',
        b'[{"a": +1}]',
        b'[{"a": true, "b": false, "c": null}]',
        b'[{"a": tru}]',
        b"[{'a': 1}]",
    ],
)
def test_edge_cases_decode_or_fail_as_json_loads(body: bytes) -> None:
    same_as_reference(body)
    assert outcome(decode_json_array, body) == reference_decode_json_array(body)
    assert outcome(lambda b: decode_ndjson(b)[0], body) == reference_decode_ndjson(body)


def test_a_usage_batch_takes_the_fast_path_with_equal_records(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    body = json.dumps([usage(i) for i in range(50)]).encode()
    ndjson = b"\n".join(json.dumps(usage(i)).encode() for i in range(5))
    expected = typed(reference_loads(body))
    expected_lines = typed([reference_loads(line) for line in ndjson.split(b"\n")])
    monkeypatch.setattr(events, "_json_loads", None)  # the fallback is not called
    assert typed(decode_json_array(body)) == expected
    assert typed(decode_ndjson(ndjson)[0]) == expected_lines


def test_a_cost_sent_as_a_json_number_stays_an_exact_decimal() -> None:
    body = b'[{"type": "usage", "cost": 0.1000000000000000055511151231257827}]'
    (record,) = decode_json_array(body)
    assert type(record["cost"]) is Decimal
    assert str(record["cost"]) == "0.1000000000000000055511151231257827"


def test_errors_name_the_same_place() -> None:
    for body in (b'[{"a": 1}, 2]', b'{"a": 1}', b"[1, {", b'[{"cost": NaN}]'):
        with pytest.raises(BadBody) as fast:
            decode_json_array(body)
        assert ("error", "BadBody", str(fast.value)) == reference_decode_json_array(body)
