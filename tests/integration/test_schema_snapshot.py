"""The schema served over HTTP is the committed snapshot (graphql_schema/schema.graphql) that
frontend codegen reads: same types, fields, arguments, defaults, descriptions and @specifiedBy."""

from __future__ import annotations

from graphql import (
    build_client_schema,
    build_schema,
    get_introspection_query,
    lexicographic_sort_schema,
    print_schema,
)

from graphql_schema.snapshot import SNAPSHOT


async def test_introspection_over_http_prints_as_the_snapshot(make_tenant) -> None:
    tenant = await make_tenant()
    query = get_introspection_query(descriptions=True, specified_by_url=True)

    body = await tenant.gql(query)

    assert "errors" not in body, body
    served = lexicographic_sort_schema(build_client_schema(body["data"]))
    committed = lexicographic_sort_schema(build_schema(SNAPSHOT.read_text()))
    assert print_schema(served) == print_schema(committed)
    assert 'scalar Decimal @specifiedBy(url: "https://www.w3.org/TR/xmlschema11-2/#decimal")' in (
        print_schema(served)
    )
