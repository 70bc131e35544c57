"""GraphQL over HTTP through the real ASGI app: methods, media types and status codes, transport
errors as JSON, persisted queries, GET caching and CORS (docs/graphql-http.md)."""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import redis.asyncio as aioredis

from app.main import create_app
from app.settings import Settings
from graphql_schema.persisted import DOCUMENT_KEY, RECENCY_KEY

GR_JSON = "application/graphql-response+json"
VIEWER = "{ viewer { role tenantId } }"
CLIENTS = "{ clients { id name } }"
CREATE_CLIENT = "mutation($input: ClientInput!) { createClient(input: $input) { id name } }"


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def auth(tenant: Any, accept: str | None = None) -> dict[str, str]:
    headers = {"Authorization": f"Bearer {tenant.token()}"}
    if accept is not None:
        headers["Accept"] = accept
    return headers


def only_error(response: httpx.Response) -> dict[str, Any]:
    (error,) = response.json()["errors"]
    return error  # type: ignore[no-any-return]


# -- GET ----------------------------------------------------------------------------------------


async def test_get_runs_a_query_with_the_same_answer_as_post(make_tenant, http) -> None:
    tenant = await make_tenant()
    posted = await http.post("/graphql", json={"query": VIEWER}, headers=auth(tenant))
    got = await http.get("/graphql", params={"query": VIEWER}, headers=auth(tenant))
    assert got.status_code == 200, got.text
    assert got.json() == posted.json() and got.json()["data"]["viewer"]["role"] == "OWNER"
    assert got.headers["content-type"].startswith("application/json")
    # per principal: cacheable by the browser only, revalidated by its ETag
    assert got.headers["cache-control"] == "private, no-cache"
    assert "authorization" in got.headers["vary"].lower()
    again = await http.get(
        "/graphql",
        params={"query": VIEWER},
        headers={**auth(tenant), "If-None-Match": got.headers["etag"]},
    )
    assert again.status_code == 304 and again.content == b""


async def test_get_with_variables_and_operation_name(make_tenant, http) -> None:
    tenant = await make_tenant()
    query = "query One($key: String!) { workflow(key: $key) { key } } query Two { __typename }"
    response = await http.get(
        "/graphql",
        params={"query": query, "variables": json.dumps({"key": "none"}), "operationName": "One"},
        headers=auth(tenant, GR_JSON),
    )
    assert response.status_code == 200, response.text
    assert response.json() == {"data": {"workflow": None}}


async def test_get_never_runs_a_mutation(make_tenant, http) -> None:
    tenant = await make_tenant()
    name = f"via-get-{uuid.uuid4().hex[:6]}"
    for accept in (GR_JSON, "application/json"):
        response = await http.get(
            "/graphql",
            params={"query": f'mutation {{ createClient(input: {{name: "{name}"}}) {{ id }} }}'},
            headers=auth(tenant, accept),
        )
        assert response.status_code == 405, response.text
        assert response.headers["allow"] == "POST"
        assert only_error(response)["extensions"]["code"] == "METHOD_NOT_ALLOWED"
    clients = (await tenant.gql(CLIENTS))["data"]["clients"]
    assert name not in {c["name"] for c in clients}


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH"])
async def test_other_methods_are_a_json_405(http, method: str) -> None:
    response = await http.request(method, "/graphql", json={"query": VIEWER})
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, POST"
    assert only_error(response)["extensions"]["code"] == "METHOD_NOT_ALLOWED"


async def test_a_browser_get_without_query_is_a_json_404_when_graphiql_is_off(http) -> None:
    response = await http.get("/graphql", headers={"Accept": "text/html,*/*;q=0.8"})
    assert response.status_code == 404
    assert "LEDGER_GRAPHIQL" in only_error(response)["message"]


# -- media types and status codes ---------------------------------------------------------------

REQUEST_ERRORS = [
    ("parse", {"query": "{ viewer { role "}, "GRAPHQL_PARSE_FAILED"),
    ("validation", {"query": "{ viewer { noSuchField } }"}, "GRAPHQL_VALIDATION_FAILED"),
    (
        "variable coercion",
        {"query": "query($key: String!) { workflow(key: $key) { key } }", "variables": {}},
        "BAD_USER_INPUT",
    ),
    (
        "unknown operation name",
        {"query": "query A { __typename }", "operationName": "B"},
        "GRAPHQL_VALIDATION_FAILED",
    ),
]


@pytest.mark.parametrize(("case", "body", "code"), REQUEST_ERRORS)
async def test_request_errors_are_400_without_data_under_graphql_response_json(
    make_tenant, http, case: str, body: dict[str, Any], code: str
) -> None:
    tenant = await make_tenant()
    response = await http.post("/graphql", json=body, headers=auth(tenant, GR_JSON))
    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith(GR_JSON)
    payload = response.json()
    assert "data" not in payload, payload
    assert payload["errors"][0]["extensions"]["code"] == code


@pytest.mark.parametrize(("case", "body", "code"), REQUEST_ERRORS)
async def test_request_errors_stay_200_with_null_data_under_application_json(
    make_tenant, http, case: str, body: dict[str, Any], code: str
) -> None:
    tenant = await make_tenant()
    response = await http.post("/graphql", json=body, headers=auth(tenant, "application/json"))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    payload = response.json()
    assert payload["data"] is None and payload["errors"][0]["extensions"]["code"] == code


@pytest.mark.parametrize(
    ("accept", "media"),
    [
        (None, "application/json"),
        ("*/*", "application/json"),
        ("application/json", "application/json"),
        (GR_JSON, GR_JSON),
        (f"{GR_JSON}, application/json;q=0.9", GR_JSON),
        (f"application/json, {GR_JSON};q=0.5", "application/json"),
    ],
)
async def test_the_media_type_follows_accept(make_tenant, http, accept, media) -> None:
    tenant = await make_tenant()
    headers = auth(tenant, accept)
    response = await http.post("/graphql", json={"query": VIEWER}, headers=headers)
    assert response.status_code == 200
    assert response.headers["content-type"].split(";")[0] == media


async def test_an_unacceptable_accept_is_a_json_406(make_tenant, http) -> None:
    tenant = await make_tenant()
    response = await http.post(
        "/graphql", json={"query": VIEWER}, headers=auth(tenant, "image/png")
    )
    assert response.status_code == 406
    assert only_error(response)["extensions"]["code"] == "NOT_ACCEPTABLE"


@pytest.mark.parametrize(
    ("content", "content_type", "status", "code"),
    [
        (b'{"query": "{ viewer { role } }"}', "text/plain", 415, "UNSUPPORTED_MEDIA_TYPE"),
        (b'{"query": "{ viewer { role } }"}', None, 415, "UNSUPPORTED_MEDIA_TYPE"),
        (b'{"query": "{ viewer { role } }"}', "application/json; charset=latin-1", 415,
         "UNSUPPORTED_MEDIA_TYPE"),
        (b'{ "not json', "application/json", 400, "BAD_REQUEST"),
        (b"", "application/json", 400, "BAD_REQUEST"),
        (b"\xff\xfe", "application/json", 400, "BAD_REQUEST"),
        (b'[{"query": "{ __typename }"}]', "application/json", 400, "BAD_REQUEST"),
        (b'"{ __typename }"', "application/json", 400, "BAD_REQUEST"),
        (b'{"query": {"a": 1}}', "application/json", 400, "BAD_REQUEST"),
        (b'{"query": "{ __typename }", "variables": "x"}', "application/json", 400, "BAD_REQUEST"),
        (b'{"query": "{ __typename }", "extensions": 1}', "application/json", 400, "BAD_REQUEST"),
        (b'{"query": "{ __typename }", "operationName": 0}', "application/json", 400,
         "BAD_REQUEST"),
        (b'{"qeury": "{ __typename }"}', "application/json", 400, "BAD_REQUEST"),
    ],
)  # fmt: skip
async def test_malformed_requests_are_json_errors(
    make_tenant, http, content: bytes, content_type: str | None, status: int, code: str
) -> None:
    tenant = await make_tenant()
    headers = auth(tenant)
    if content_type is not None:
        headers["Content-Type"] = content_type
    response = await http.post("/graphql", content=content, headers=headers)
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    assert only_error(response)["extensions"]["code"] == code


async def test_a_missing_credential_is_a_json_401_naming_what_to_send(http) -> None:
    response = await http.post("/graphql", json={"query": VIEWER}, headers={"Accept": GR_JSON})
    assert response.status_code == 401
    assert response.headers["content-type"].startswith(GR_JSON)
    error = only_error(response)
    assert error["extensions"] == {"code": "UNAUTHENTICATED", "reason": "NO_CREDENTIAL"}
    assert response.headers["www-authenticate"].startswith("Bearer")


# -- persisted queries --------------------------------------------------------------------------


def persisted(query_hash: str, version: int = 1) -> dict[str, Any]:
    return {"persistedQuery": {"version": version, "sha256Hash": query_hash}}


async def test_a_hash_alone_is_not_found_until_the_query_is_sent_once(make_tenant, http) -> None:
    tenant = await make_tenant()
    query = f"{{ viewer {{ role }} }} # {uuid.uuid4()}"
    extensions = persisted(sha256(query))
    missing = await http.post(
        "/graphql", json={"extensions": extensions}, headers=auth(tenant, GR_JSON)
    )
    assert missing.status_code == 400
    assert "data" not in missing.json()
    error = only_error(missing)
    assert error["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
    assert error["message"] == "PersistedQueryNotFound"  # what Apollo's link also matches

    registered = await http.post(
        "/graphql", json={"query": query, "extensions": extensions}, headers=auth(tenant)
    )
    assert registered.json() == {"data": {"viewer": {"role": "OWNER"}}}

    # now a short GET carries only the hash, and another tenant's caller may use it too
    other = await make_tenant()
    short = await http.get(
        "/graphql", params={"extensions": json.dumps(extensions)}, headers=auth(other)
    )
    assert short.status_code == 200, short.text
    assert short.json() == {"data": {"viewer": {"role": "OWNER"}}}
    assert short.headers["cache-control"].startswith("private")


async def test_a_hash_that_is_not_the_querys_is_refused_and_nothing_is_kept(
    make_tenant, http, servers
) -> None:
    tenant = await make_tenant()
    query = f"{{ viewer {{ role }} }} # {uuid.uuid4()}"
    wrong = sha256(query + " ")
    response = await http.post(
        "/graphql",
        json={"query": query, "extensions": persisted(wrong)},
        headers=auth(tenant, GR_JSON),
    )
    assert response.status_code == 400
    error = only_error(response)
    assert error["extensions"] == {
        "code": "BAD_USER_INPUT",
        "field": "extensions.persistedQuery.sha256Hash",
    }
    redis = aioredis.from_url(servers.redis_url)
    try:
        assert await redis.exists(DOCUMENT_KEY + wrong) == 0
        assert await redis.exists(DOCUMENT_KEY + sha256(query)) == 0
    finally:
        await redis.aclose()


@pytest.mark.parametrize(
    ("extensions", "field"),
    [
        (persisted("ab" * 32, version=2), "extensions.persistedQuery.version"),
        (persisted("not-a-hash"), "extensions.persistedQuery.sha256Hash"),
        ({"persistedQuery": "x"}, "extensions.persistedQuery"),
    ],
)
async def test_a_malformed_persisted_query_names_its_field(
    make_tenant, http, extensions: dict[str, Any], field: str
) -> None:
    tenant = await make_tenant()
    response = await http.post(
        "/graphql", json={"query": VIEWER, "extensions": extensions}, headers=auth(tenant)
    )
    assert response.status_code == 200  # application/json: a request error keeps 200
    assert only_error(response)["extensions"] == {"code": "BAD_USER_INPUT", "field": field}


async def test_an_invalid_document_is_never_kept(make_tenant, http, servers) -> None:
    tenant = await make_tenant()
    query = f"{{ viewer {{ nope }} }} # {uuid.uuid4()}"
    await http.post(
        "/graphql",
        json={"query": query, "extensions": persisted(sha256(query))},
        headers=auth(tenant),
    )
    redis = aioredis.from_url(servers.redis_url)
    try:
        assert await redis.exists(DOCUMENT_KEY + sha256(query)) == 0
    finally:
        await redis.aclose()


@pytest.fixture
async def small_store(migrated: Settings, servers) -> AsyncIterator[httpx.AsyncClient]:
    """An app keeping at most 3 documents of at most 200 bytes, on an empty store."""
    redis = aioredis.from_url(servers.redis_url)
    keys = [key async for key in redis.scan_iter(match=DOCUMENT_KEY + "*")]
    await redis.delete(RECENCY_KEY, *keys)
    await redis.aclose()
    app = create_app(
        migrated.model_copy(update={"apq_max_documents": 3, "apq_max_document_bytes": 200})
    )
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://apq.test") as client:
            yield client


async def test_the_store_keeps_the_most_recently_used_documents_up_to_its_cap(
    make_tenant, small_store: httpx.AsyncClient, servers
) -> None:
    tenant = await make_tenant()
    queries = [f"{{ viewer {{ role }} }} # {i} {uuid.uuid4()}" for i in range(5)]

    async def send(query: str, with_text: bool) -> httpx.Response:
        body: dict[str, Any] = {"extensions": persisted(sha256(query))}
        if with_text:
            body["query"] = query
        return await small_store.post("/graphql", json=body, headers=auth(tenant))

    for query in queries[:3]:
        assert "errors" not in (await send(query, True)).json()
    # using the first again makes the second the least recently used
    assert "errors" not in (await send(queries[0], False)).json()
    for query in queries[3:]:
        assert "errors" not in (await send(query, True)).json()

    found = {
        i: "errors" not in (await send(query, False)).json() for i, query in enumerate(queries)
    }
    assert found == {0: False, 1: False, 2: False, 3: True, 4: True} or found == {
        0: True, 1: False, 2: False, 3: True, 4: True
    }  # fmt: skip
    redis = aioredis.from_url(servers.redis_url)
    try:
        assert await redis.zcard(RECENCY_KEY) <= 3
    finally:
        await redis.aclose()

    # a document over the size cap still runs, but is not kept
    big = "{ viewer { role } } #" + "x" * 300
    assert (await send(big, True)).json() == {"data": {"viewer": {"role": "OWNER"}}}
    error = (await send(big, False)).json()["errors"][0]
    assert error["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"


# -- CORS ---------------------------------------------------------------------------------------


@pytest.fixture
async def cors_client(
    migrated: Settings, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[httpx.AsyncClient]:
    # the README's comma-separated form, read from the environment as `ledger serve` does
    monkeypatch.setenv("LEDGER_CORS_ORIGINS", "http://localhost:3000, https://app.example")
    origins = Settings().cors_origins
    assert origins == ["http://localhost:3000", "https://app.example"]
    app = create_app(migrated.model_copy(update={"cors_origins": origins}))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://cors.test") as client:
            yield client


async def test_cors_preflight_allows_the_headers_browser_clients_send(cors_client) -> None:
    headers = (
        "authorization, content-type, apollographql-client-name, apollographql-client-version, "
        "apollo-require-preflight, x-request-id, x-csrf-token, x-api-key"
    )
    response = await cors_client.options(
        "/graphql",
        headers={
            "Origin": "http://localhost:3000",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": headers,
        },
    )
    assert response.status_code == 200, response.text
    assert response.headers["access-control-allow-origin"] == "http://localhost:3000"
    assert response.headers["access-control-allow-credentials"] == "true"
    allowed = {h.strip() for h in response.headers["access-control-allow-headers"].split(",")}
    assert {h.strip() for h in headers.split(",")} <= {h.lower() for h in allowed}

    refused = await cors_client.options(
        "/graphql",
        headers={"Origin": "http://evil.test", "Access-Control-Request-Method": "POST"},
    )
    assert refused.status_code == 400


async def test_cors_exposes_the_request_id(make_tenant, cors_client) -> None:
    tenant = await make_tenant()
    response = await cors_client.post(
        "/graphql",
        json={"query": VIEWER},
        headers={**auth(tenant), "Origin": "https://app.example"},
    )
    assert response.status_code == 200
    exposed = response.headers["access-control-expose-headers"].lower()
    assert "x-request-id" in exposed and response.headers["x-request-id"]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("http://a", ["http://a"]),
        ("http://a,http://b", ["http://a", "http://b"]),
        (' ["http://a", "http://b"] ', ["http://a", "http://b"]),
        ("", []),
    ],
)
def test_cors_origins_accept_the_comma_separated_and_json_forms(
    monkeypatch: pytest.MonkeyPatch, raw: str, expected: list[str]
) -> None:
    monkeypatch.setenv("LEDGER_CORS_ORIGINS", raw)
    assert Settings().cors_origins == expected


def test_a_broken_json_list_of_origins_names_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEDGER_CORS_ORIGINS", '["http://a",')
    with pytest.raises(ValueError, match="LEDGER_CORS_ORIGINS"):
        Settings()
