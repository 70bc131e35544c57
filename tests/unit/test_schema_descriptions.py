"""The schema describes itself: every type, field, argument, input field and enum value has a
description, custom scalars name their specification, and the committed SDL snapshot is current."""

from __future__ import annotations

from graphql import GraphQLScalarType, specified_scalar_types
from graphql import build_schema as build_sdl

from app.settings import Settings
from graphql_schema.describe import missing_descriptions
from graphql_schema.schema import build_schema
from graphql_schema.snapshot import SNAPSHOT, current_sdl


def test_nothing_in_the_served_schema_lacks_a_description() -> None:
    assert missing_descriptions(build_schema(Settings())._schema) == []


def test_the_check_names_each_undescribed_coordinate() -> None:
    schema = build_sdl(
        """
        "Described."
        type Query { a(x: Int): E  "ok" b: I }
        enum E { ONE "ok" TWO }
        input I2 { f: Int }
        "ok" type I { "ok" g("ok" y: Int): Int }
        """
    )
    assert missing_descriptions(schema) == [
        "E", "E.ONE", "I2", "I2.f", "Query.a", "Query.a(x:)",
    ]  # fmt: skip


SPECIFIED = set(specified_scalar_types)


def test_custom_scalars_name_their_specification() -> None:
    schema = build_schema(Settings())._schema
    custom = [n for n, t in schema.type_map.items() if isinstance(t, GraphQLScalarType)]
    custom = sorted(n for n in custom if not n.startswith("__") and n not in SPECIFIED)
    urls = {name: schema.type_map[name].specified_by_url for name in custom}  # type: ignore[union-attr]
    specs = {
        "Date": "https://www.rfc-editor.org/rfc/rfc3339#section-5.6",
        "DateTime": "https://scalars.graphql.org/andimarek/date-time",
        "Decimal": "https://www.w3.org/TR/xmlschema11-2/#decimal",
    }
    assert {"DateTime", "Decimal"} <= set(urls)  # Date appears only while a field uses it
    assert urls == {name: specs.get(name) for name in urls}


def test_the_committed_snapshot_is_the_schema_the_code_serves() -> None:
    assert SNAPSHOT.read_text() == current_sdl(), (
        "graphql_schema/schema.graphql is stale: run `ledger schema export` and commit it"
    )
