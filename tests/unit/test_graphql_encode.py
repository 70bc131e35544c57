"""Response bodies: orjson where it can, json.dumps where it cannot; the same JSON either way."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from graphql_schema.http import encode_response

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text()
    | st.floats(allow_nan=False, allow_infinity=False),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)  # fmt: skip


@given(JSON)
def test_any_response_decodes_to_what_was_encoded(data: Any) -> None:
    assert json.loads(encode_response(data)) == data


def test_values_orjson_refuses_fall_back_to_json_dumps() -> None:
    for data in ({"n": 2**70}, {"s": "\ud800"}):
        body = encode_response(data)
        assert isinstance(body, str)
        assert body == json.dumps(data, separators=(",", ":"))


def test_the_usual_response_is_encoded_by_orjson() -> None:
    body = encode_response({"data": {"w": [{"key": "é", "n": 1, "x": "0.50"}]}})
    assert body == '{"data":{"w":[{"key":"é","n":1,"x":"0.50"}]}}'.encode()
