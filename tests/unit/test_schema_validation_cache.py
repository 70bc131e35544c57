"""The schema validates a query text once: later requests hit strawberry's ValidationCache.

The cache keys on (schema, document, validation rules); the limit rules are built once per
schema, so the same query text is a cache hit, and a refused query is refused every time.
"""

from __future__ import annotations

import asyncio
from typing import Any

from strawberry.extensions.validation_cache import DEFAULT_MAXSIZE, _get_validate_cache

from app.settings import Settings
from graphql_schema.schema import build_schema


def test_the_second_request_reuses_the_validation() -> None:
    schema = build_schema(Settings(env="test"))
    cache: Any = _get_validate_cache(DEFAULT_MAXSIZE)  # functools.lru_cache
    query = "query ValidationCacheProbe { __typename }"
    assert schema.execute_sync(query).errors is None
    before = cache.cache_info()
    result = schema.execute_sync(query)
    after = cache.cache_info()
    assert result.errors is None and result.data == {"__typename": "Query"}
    assert (after.hits, after.misses) == (before.hits + 1, before.misses)


def test_a_refused_query_is_refused_again_from_the_cache() -> None:
    schema = build_schema(Settings(env="test", max_query_depth=1))
    query = "query TooDeepProbe { workflows { ladder { key } } }"
    messages = []
    for _ in range(2):
        result = asyncio.run(schema.execute(query))
        assert result.data is None and result.errors
        messages.append([(e.message, (e.extensions or {}).get("code")) for e in result.errors])
    assert messages[0] == messages[1]
    assert "exceeds maximum operation depth" in messages[0][0][0]
    assert messages[0][0][1] == "GRAPHQL_VALIDATION_FAILED"
