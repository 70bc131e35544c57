"""Malformed and random bodies on `/v1/events` and `/v1/traces`: a precise 4xx, never a 5xx,
and nothing written.

Each case counts every tenant table's rows (through the tenant's own session) before and after.
Hand-written cases cover truncated JSON, wrong types, huge numbers (1e400, 10**30 tokens),
NaN/Infinity literals, bad UTF-8, lone surrogates, NUL, deeply nested arrays, oversize bodies
and wrong media types; hypothesis then writes records with random JSON in every field.
`LEDGER_FUZZ_EXAMPLES` sets the number of random records (default 30; docs/reliability.md §6).
"""

from __future__ import annotations

import gzip
import json
import uuid
from typing import Any

import pytest
from hypothesis import HealthCheck, given
from hypothesis import strategies as st
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from sqlalchemy import text

from app.db.tables import TENANT_TABLES
from app.services.ingest.outcomes import OUTCOME_FIELDS
from app.services.ingest.records import LABEL_FIELDS, RUN_FIELDS, USAGE_FIELDS
from app.services.ingest.revenue import REVENUE_FIELDS
from app.services.tenancy.tenants import create_api_key
from tests.integration.properties import FUZZ_EXAMPLES, database_settings

# Table names come from the catalog, not from input.
COUNTS = [f"(SELECT count(*) FROM {t}) AS {t}" for t in TENANT_TABLES]  # noqa: S608
COUNT_ALL = "SELECT " + ", ".join(COUNTS)

RUN = {
    "type": "run",
    "correlationId": "fz-1",
    "workflowKey": "support",
    "startedAt": "2026-03-01T00:00:00Z",
}
USAGE = {
    "type": "usage",
    "eventId": "fz-ev-1",
    "correlationId": "fz-1",
    "workflowKey": "support",
    "kind": "TOOL",
    "occurredAt": "2026-03-01T00:01:00Z",
    "cost": "0.25",
}
VALID = json.dumps([RUN, USAGE]).encode()
DEEP = b"[" * 100_000 + b"]" * 100_000


def with_field(record: dict[str, Any], name: str, raw_json: str) -> bytes:
    """A one-record array whose `name` field is the raw JSON text `raw_json` (not re-encoded)."""
    placeholder = "__FUZZ__"
    return (
        json.dumps([{**record, name: placeholder}]).replace(f'"{placeholder}"', raw_json).encode()
    )


# (label, body, content type, expected status)
EVENT_CASES: list[tuple[str, bytes, str, int]] = [
    *[(f"truncated at {n}", VALID[:n], "application/json", 400) for n in (0, 1, 17, 60, 101, -1)],
    ("an object", b'{"type": "run"}', "application/json", 400),
    ("a string", b'"run"', "application/json", 400),
    ("null", b"null", "application/json", 400),
    ("an array of numbers", b"[1, 2]", "application/json", 400),
    ("an array of arrays", b"[[]]", "application/json", 400),
    ("NaN literal", with_field(USAGE, "cost", "NaN"), "application/json", 400),
    ("Infinity literal", with_field(USAGE, "cost", "Infinity"), "application/json", 400),
    ("-Infinity tokens", with_field(USAGE, "inputTokens", "-Infinity"), "application/json", 400),
    ("cost 1e400", with_field(USAGE, "cost", "1e400"), "application/json", 422),
    ("cost -1e400", with_field(USAGE, "cost", "-1e400"), "application/json", 422),
    ("cost string 1e400", with_field(USAGE, "cost", '"1e400"'), "application/json", 422),
    ("cost string NaN", with_field(USAGE, "cost", '"NaN"'), "application/json", 422),
    ("cost 10**30", with_field(USAGE, "cost", str(10**30)), "application/json", 422),
    ("tokens 10**30", with_field(USAGE, "inputTokens", str(10**30)), "application/json", 422),
    ("tokens 1e400", with_field(USAGE, "outputTokens", "1e400"), "application/json", 422),
    ("latency 2**63", with_field(USAGE, "latencyMs", str(2**63)), "application/json", 422),
    ("tokens 5000 digits", with_field(USAGE, "inputTokens", "9" * 5000), "application/json", 400),
    ("tokens true", with_field(USAGE, "inputTokens", "true"), "application/json", 422),
    ("cost object", with_field(USAGE, "cost", '{"a": 1}'), "application/json", 422),
    ("kind number", with_field(USAGE, "kind", "3"), "application/json", 422),
    ("startedAt number", with_field(RUN, "startedAt", "1e400"), "application/json", 422),
    (
        "startedAt year 0",
        with_field(RUN, "startedAt", '"0000-01-01T00:00Z"'),
        "application/json",
        422,
    ),
    (
        "startedAt year 99999",
        with_field(RUN, "startedAt", '"99999-01-01T00:00Z"'),
        "application/json",
        422,
    ),
    ("clientId not a uuid", with_field(RUN, "clientId", '"x"'), "application/json", 422),
    ("type unknown", with_field(RUN, "type", '"refund"'), "application/json", 422),
    ("type list", with_field(RUN, "type", "[]"), "application/json", 422),
    ("NUL in id", with_field(RUN, "correlationId", '"a\\u0000b"'), "application/json", 422),
    ("lone surrogate id", with_field(RUN, "correlationId", '"\\ud800"'), "application/json", 422),
    ("lone surrogate key", with_field(RUN, "workflowKey", '"\\udfff"'), "application/json", 422),
    ("surrogate field name", b'[{"type": "run", "\\ud800": 1}]', "application/json", 422),
    ("bad UTF-8", VALID.replace(b"fz-1", b"fz-\xff\xfe"), "application/json", 400),
    (
        "bad UTF-8 NDJSON",
        b'{"type": "run", "correlationId": "\xc3"}\n',
        "application/x-ndjson",
        400,
    ),
    ("deeply nested array", DEEP, "application/json", 400),
    ("deeply nested NDJSON", b"[" * 100_000, "application/x-ndjson", 400),
    (
        "deeply nested field",
        with_field(RUN, "team", "[" * 50_000 + "]" * 50_000),
        "application/json",
        400,
    ),
    ("too many records", json.dumps([RUN] * 1001).encode(), "application/json", 413),
    ("oversize body", b"[" + b" " * (17 * 1024 * 1024) + b"]", "application/json", 413),
    ("text/plain", VALID, "text/plain", 415),
    ("no content type", VALID, "", 415),
    ("form", VALID, "application/x-www-form-urlencoded", 415),
]


def _export() -> bytes:
    request = ExportTraceServiceRequest()
    span = request.resource_spans.add().scope_spans.add().spans.add()
    span.trace_id = bytes(range(16))
    span.span_id = bytes(range(8))
    span.name = "chat claude-sonnet-4"
    span.start_time_unix_nano = 1_772_323_200_000_000_000
    span.end_time_unix_nano = 1_772_323_201_000_000_000
    attribute = span.attributes.add()
    attribute.key, attribute.value.string_value = "gen_ai.operation.name", "chat"
    return request.SerializeToString()


PROTO = _export()
OTLP_JSON = (
    '{"resourceSpans": [{"scopeSpans": [{"spans": [{"traceId": "000102030405060708090a0b0c0d0e0f",'
    ' "spanId": "0001020304050607", "name": "chat", "startTimeUnixNano": %s,'
    ' "endTimeUnixNano": "1772323201000000000",'
    ' "attributes": [{"key": "gen_ai.usage.input_tokens", "value": {"intValue": %s}}]}]}]}]}'
)
TRACE_CASES: list[tuple[str, bytes, str, str, int]] = [
    *[(f"JSON truncated at {n}", VALID[:n], "application/json", "", 400) for n in (1, 17, -1)],
    ("JSON array", VALID, "application/json", "", 400),
    ("JSON null", b"null", "application/json", "", 400),
    ("NaN literal", (OTLP_JSON % ("NaN", "1")).encode(), "application/json", "", 400),
    ("start 1e400", (OTLP_JSON % ("1e400", "1")).encode(), "application/json", "", 400),
    ("intValue 10**30", (OTLP_JSON % ('"1"', str(10**30))).encode(), "application/json", "", 400),
    ("intValue 1e400", (OTLP_JSON % ('"1"', "1e400")).encode(), "application/json", "", 400),
    ("start -1", (OTLP_JSON % ("-1", "1")).encode(), "application/json", "", 400),
    ("bad UTF-8 JSON", b'{"resourceSpans": "\xff"}', "application/json", "", 400),
    ("deeply nested JSON", DEEP, "application/json", "", 400),
    ("protobuf garbage", b"\xff" * 64, "application/x-protobuf", "", 400),
    ("protobuf truncated", PROTO[: len(PROTO) // 2], "application/x-protobuf", "", 400),
    ("protobuf deep nesting", b"\x0a\x7f" * 20_000, "application/x-protobuf", "", 400),
    ("gzip that is not", PROTO, "application/x-protobuf", "gzip", 400),
    ("gzip truncated", gzip.compress(PROTO)[:20], "application/x-protobuf", "gzip", 400),
    ("deflate garbage", b"\x00\x01\x02", "application/x-protobuf", "deflate", 400),
    ("brotli", PROTO, "application/x-protobuf", "br", 415),
    ("text/plain", PROTO, "text/plain", "", 415),
    ("oversize", b"\x00" * (17 * 1024 * 1024), "application/x-protobuf", "", 413),
    (
        "gzip bomb",
        gzip.compress(b"\x00" * (40 * 1024 * 1024)),
        "application/x-protobuf",
        "gzip",
        413,
    ),
]


class Target:
    def __init__(self, http: Any, sessions: Any, tenant_id: uuid.UUID, key: str) -> None:
        self.http, self.sessions, self.tenant_id, self.key = http, sessions, tenant_id, key

    async def counts(self) -> dict[str, int]:
        async with self.sessions(self.tenant_id) as session:
            return dict((await session.execute(text(COUNT_ALL))).mappings().one())

    async def post(self, path: str, body: bytes, media: str, coding: str = "") -> Any:
        headers = {"Authorization": f"Bearer {self.key}"}
        if media:
            headers["Content-Type"] = media
        if coding:
            headers["Content-Encoding"] = coding
        return await self.http.post(path, content=body, headers=headers)


@pytest.fixture
async def target(http: Any, make_tenant: Any, sessions: Any) -> Target:
    tenant = await make_tenant()
    body = await tenant.gql(
        'mutation { upsertWorkflow(input: {key: "support", name: "Support"}) { key } }'
    )
    assert "errors" not in body, body
    issued = await create_api_key(
        sessions=sessions, tenant_id=tenant.tenant_id, name="fuzz", scopes=["ingest"]
    )
    return Target(http, sessions, tenant.tenant_id, issued.key)


@pytest.mark.parametrize(
    ("label", "body", "media", "status"), EVENT_CASES, ids=[c[0] for c in EVENT_CASES]
)
async def test_a_malformed_events_body_gets_a_precise_4xx_and_writes_nothing(
    target: Target, label: str, body: bytes, media: str, status: int
) -> None:
    before = await target.counts()
    response = await target.post("/v1/events", body, media)
    assert response.status_code == status, (label, response.status_code, response.text[:500])
    if status != 413 or label == "too many records":  # starlette's body limit answers in text
        assert response.json()["code"], response.text[:500]
    assert await target.counts() == before, label


@pytest.mark.parametrize(
    ("label", "body", "media", "coding", "status"), TRACE_CASES, ids=[c[0] for c in TRACE_CASES]
)
async def test_a_malformed_traces_body_gets_a_precise_4xx_and_writes_nothing(
    target: Target, label: str, body: bytes, media: str, coding: str, status: int
) -> None:
    before = await target.counts()
    response = await target.post("/v1/traces", body, media, coding)
    assert response.status_code == status, (label, response.status_code, response.text[:500])
    assert await target.counts() == before, label


async def test_the_valid_baselines_are_accepted(target: Target) -> None:
    """The malformed cases are derived from these bodies: they must pass when intact."""
    events = await target.post("/v1/events", VALID, "application/json")
    assert events.status_code == 200, events.text
    traces = await target.post("/v1/traces", PROTO, "application/x-protobuf")
    assert traces.status_code == 200, traces.text


# -- hypothesis: random JSON values in every field ------------------------------------------------

ALL_FIELDS = sorted(RUN_FIELDS | USAGE_FIELDS | LABEL_FIELDS | OUTCOME_FIELDS | REVENUE_FIELDS)
ODD_STRINGS = [
    "",
    " ",
    "\x00",
    "\ud800",
    "NaN",
    "1e400",
    "-0",
    "support",
    "fz-1",
    "TOOL",
    "ACCEPTED",
    "2026-03-01T00:00:00Z",
    "2026-02-30T00:00:00Z",
    "x" * 5000,
    "00000000-0000-0000-0000-000000000000",
]
SCALAR = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(-(10**40), 10**40),
    st.floats(allow_nan=False, allow_infinity=False),
    st.decimals(allow_nan=False, allow_infinity=False).map(str),
    st.sampled_from(ODD_STRINGS),
    st.text(st.characters(codec=None), max_size=20),
)
JSON_VALUE = st.recursive(
    SCALAR,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(st.text(max_size=5), inner, max_size=3),
    ),
    max_leaves=6,
)
RECORD = st.fixed_dictionaries(
    {"type": st.sampled_from(["run", "usage", "label", "outcome", "revenue"]) | JSON_VALUE},
    optional={name: JSON_VALUE for name in ALL_FIELDS if name != "type"},
)


@database_settings(FUZZ_EXAMPLES, HealthCheck.data_too_large)
@given(records=st.lists(RECORD, min_size=1, max_size=4), ndjson=st.booleans())
async def test_random_records_are_refused_or_stored_never_a_5xx(
    target: Target, records: list[dict[str, Any]], ndjson: bool
) -> None:
    if ndjson:
        body = "\n".join(json.dumps(record) for record in records).encode()
    else:
        body = json.dumps(records).encode()
    before = await target.counts()
    response = await target.post(
        "/v1/events", body, "application/x-ndjson" if ndjson else "application/json"
    )
    assert response.status_code in (200, 422), (records, response.status_code, response.text)
    if response.status_code == 422:
        payload = response.json()
        assert payload["code"] == "BAD_USER_INPUT" and payload["errors"], payload
        assert all(e["field"] for e in payload["errors"]), payload
        assert await target.counts() == before
