"""Schema-driven GraphQL fuzzing: hypothesis-graphql writes queries and mutations from the
**served** schema and an OWNER of a seeded tenant sends them over HTTP.

Whatever the document, the answer is never a 5xx and never carries `INTERNAL_SERVER_ERROR`:
a masked exception is a bug (docs/reliability.md §6). Valid documents (Mode.POSITIVE) reach the
resolvers with arbitrary argument values, the custom scalars included (valid and invalid
DateTime and Decimal strings, huge and non-finite numbers); invalid ones (Mode.NEGATIVE) must be
refused by parsing or validation with a 4xx or a coded GraphQL error.

`LEDGER_FUZZ_EXAMPLES` sets the number of examples per test (default 30, the CI budget);
docs/reliability.md records a longer run.
"""

from __future__ import annotations

from typing import Any

import pytest
from graphql import build_schema as parse_sdl
from hypothesis import HealthCheck, given
from hypothesis import strategies as st
from hypothesis_graphql import Mode, mutations, nodes, queries

from app.settings import Settings
from graphql_schema.schema import build_schema

from .isolation_seed import seed_tenant
from .properties import FUZZ_EXAMPLES, database_settings

FUZZ = database_settings(FUZZ_EXAMPLES, HealthCheck.data_too_large, HealthCheck.filter_too_much)

# The served schema (the limits do not change the SDL).
SCHEMA = parse_sdl(build_schema(Settings()).as_str())

WEIRD_STRINGS = [
    "",
    "NaN",
    "-Infinity",
    "Infinity",
    "1e400",
    "-1e400",
    "1e-400",
    "9" * 60,
    "0." + "0" * 60 + "1",
    "1_000",
    "0x10",
    " 1 ",
    "\x00",
    "2026-02-30T00:00:00Z",
    "2026-01-01T00:00:00",
    "9999-12-31T23:59:59+14:00",
    "0001-01-01T00:00:00Z",
    "10000-01-01T00:00:00Z",
    "2026-13-01",
]
DECIMAL = st.one_of(
    st.decimals(allow_nan=False, allow_infinity=False).map(str),
    st.integers(-(10**40), 10**40).map(str),
    st.sampled_from(WEIRD_STRINGS),
    st.text(max_size=12),
).map(nodes.String)
DATETIME = st.one_of(
    st.datetimes(timezones=st.timezones()).map(lambda moment: moment.isoformat()),
    st.datetimes().map(lambda moment: moment.isoformat()),
    st.sampled_from(WEIRD_STRINGS),
    st.text(max_size=12),
).map(nodes.String)
SCALARS = {"Decimal": DECIMAL, "DateTime": DATETIME}


@pytest.fixture
async def owner(make_tenant: Any) -> Any:
    """An owner of a tenant seeded with one of everything, so resolvers walk real rows."""
    tenant = await make_tenant()
    await seed_tenant(tenant, "fz", salt=7)
    return tenant


async def send(owner: Any, document: str) -> dict[str, Any]:
    response = await owner.http.post(
        "/graphql",
        json={"query": document},
        headers={"Authorization": f"Bearer {owner.token()}"},
    )
    assert response.status_code < 500, (document, response.text)
    body: dict[str, Any] = response.json()
    codes = [error.get("extensions", {}).get("code") for error in body.get("errors") or []]
    assert "INTERNAL_SERVER_ERROR" not in codes, (document, body)
    assert None not in codes, (document, body)  # every error carries a stable code
    return body


@FUZZ
@given(document=queries(SCHEMA, custom_scalars=SCALARS))
async def test_fuzzed_queries_never_fail_internally(owner: Any, document: str) -> None:
    await send(owner, document)


@FUZZ
@given(document=mutations(SCHEMA, custom_scalars=SCALARS))
async def test_fuzzed_mutations_never_fail_internally(owner: Any, document: str) -> None:
    await send(owner, document)


@FUZZ
@given(
    document=st.one_of(
        queries(SCHEMA, custom_scalars=SCALARS, mode=Mode.NEGATIVE),
        mutations(SCHEMA, custom_scalars=SCALARS, mode=Mode.NEGATIVE),
    )
)
async def test_invalid_documents_are_refused_with_a_code(owner: Any, document: str) -> None:
    body = await send(owner, document)
    assert body.get("errors"), (document, body)


async def test_a_nul_character_in_a_text_argument_is_the_callers_error(owner: Any) -> None:
    # Found by the query fuzzer: PostgreSQL text cannot hold U+0000, and the lookup failed.
    body = await send(owner, '{ workflow(key: "a\\u0000b") { key } }')
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "U+0000" in error["message"] and error["path"] == ["workflow"]
