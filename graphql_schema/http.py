"""The GraphQL endpoint: GraphQL over HTTP (docs/graphql-http.md), then strawberry's executor.

One request, in order:

1. the method: GET or POST, else 405 with `Allow: GET, POST`; a browser's GET (Accept: text/html)
   without a query gets GraphiQL when LEDGER_GRAPHIQL is on, else a JSON 404;
2. the response media type, from `Accept` (graphql_schema/media.py), else 406;
3. the request parameters: a JSON object in the POST body (`Content-Type: application/json`,
   else 415) or the GET query string; a malformed request is 400 `BAD_REQUEST`;
4. the credential (401 UNAUTHENTICATED with `WWW-Authenticate`);
5. variables holding an unpaired surrogate, and the persisted-query extension
   (graphql_schema/persisted.py): request errors;
6. execution: a GET may run queries only (a mutation is 405 with `Allow: POST`).

Every answer is JSON. A *request error* (the document does not parse or validate, variables do
not coerce, a persisted query is unknown) is 400 without `data` under
`application/graphql-response+json`, and 200 with `"data": null` under legacy `application/json`.
While PostgreSQL is away the errors carry DATABASE_UNAVAILABLE and `Retry-After`; an answer with
no data is then 503 under `application/graphql-response+json`.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from dataclasses import dataclass
from typing import Any

import orjson
from graphql import GraphQLSyntaxError
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send
from strawberry.asgi import GraphQL
from strawberry.exceptions import MissingQueryError
from strawberry.http import GraphQLHTTPResponse
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.types import ExecutionResult
from strawberry.types.execution import PreExecutionError
from strawberry.types.graphql import OperationType

from app.auth.authenticate import Authenticator
from app.auth.errors import TOKEN_EXPIRED, UNKNOWN_TENANT, AuthenticationFailed, CsrfRefused
from app.ingest.unavailable import RETRY_AFTER_DATABASE, is_database_unavailable
from app.portal.routes import csrf_refused_response
from app.portal.sessions import CSRF_HEADER, SESSION_COOKIE
from graphql_schema.context import Context
from graphql_schema.errors import (
    BAD_REQUEST,
    BAD_USER_INPUT,
    DATABASE_UNAVAILABLE,
    GRAPHQL_PARSE_FAILED,
    GRAPHQL_VALIDATION_FAILED,
    UNAUTHENTICATED,
    log_client_errors,
)
from graphql_schema.loaders import build_loaders
from graphql_schema.media import APPLICATION_JSON, GRAPHQL_RESPONSE_JSON, negotiate, wants_html
from graphql_schema.persisted import (
    PERSISTED_QUERY_NOT_FOUND,
    PersistedQueries,
    PersistedQueryError,
    read_extension,
)
from graphql_schema.surrogates import unpaired_surrogate_path

log = logging.getLogger("ledger.graphql.http")
auth_log = logging.getLogger("ledger.auth")

QUERY_ONLY = frozenset({OperationType.QUERY})
QUERY_OR_MUTATION = frozenset({OperationType.QUERY, OperationType.MUTATION})


def encode_response(data: object) -> str | bytes:
    """A response body: orjson (~1 ms less per dashboard response than `json.dumps`). A value
    orjson refuses (an integer beyond 64 bits, a lone surrogate) is encoded by `json.dumps`, as
    strawberry did before."""
    try:
        return orjson.dumps(data)
    except TypeError:  # orjson.JSONEncodeError is a TypeError
        return json.dumps(data, separators=(",", ":"))


def error_body(message: str, code: str, **extensions: Any) -> dict[str, Any]:
    return {"errors": [{"message": message, "extensions": {"code": code, **extensions}}]}


def json_response(
    body: object, status: int, media: str = APPLICATION_JSON, headers: dict[str, str] | None = None
) -> Response:
    return Response(encode_response(body), status_code=status, media_type=media, headers=headers)


@dataclass
class TransportError(Exception):
    """A request that is not a well-formed GraphQL-over-HTTP request: answered before execution."""

    status: int
    code: str
    message: str
    headers: dict[str, str] | None = None

    def response(self, media: str = APPLICATION_JSON) -> Response:
        log.info("graphql transport error %s %s: %s", self.status, self.code, self.message)
        return json_response(error_body(self.message, self.code), self.status, media, self.headers)


PUBLIC_REASONS = {
    UNKNOWN_TENANT: "The token's tenant does not exist on this server: use a token issued for "
    "an existing tenant.",
    TOKEN_EXPIRED: "The token has expired: get a new one.",
}


def unauthenticated_response(
    failure: AuthenticationFailed, media: str = APPLICATION_JSON
) -> Response:
    """401 with one message; `extensions.reason` only for the reasons a client can act on."""
    auth_log.info("authentication failed: %s", failure.reason)
    extra = {"reason": failure.public} if failure.public else {}
    message = PUBLIC_REASONS.get(
        failure.public or "", "Authentication required: send a valid bearer token or API key."
    )
    body = error_body(message, UNAUTHENTICATED, **extra)
    return json_response(
        body, 401, media, headers={"WWW-Authenticate": 'Bearer realm="outcome-ledger"'}
    )


@dataclass(frozen=True)
class Params:
    query: str | None
    operation_name: str | None
    variables: dict[str, Any] | None
    extensions: dict[str, Any] | None


def _decode_json(raw: str | bytes, what: str) -> Any:
    try:
        return json.loads(raw)
    except ValueError as exc:  # JSONDecodeError, or bytes that are not UTF-8
        raise TransportError(400, BAD_REQUEST, f"{what} is not valid JSON: {exc}.") from None


async def read_params(request: Request) -> Params:
    if request.method == "GET":
        raw: dict[str, Any] = dict(request.query_params)
        for name in ("variables", "extensions"):
            if raw.get(name):
                raw[name] = _decode_json(raw[name], f"The `{name}` query parameter")
            elif name in raw:
                raw[name] = None
    else:
        media, _, parameters = (request.headers.get("content-type") or "").partition(";")
        if media.strip().lower() != "application/json":
            raise TransportError(
                415,
                "UNSUPPORTED_MEDIA_TYPE",
                "Send GraphQL requests with `Content-Type: application/json` "
                f"(got {media.strip() or 'none'!r}).",
            )
        charset = re.search(r"charset\s*=\s*\"?([\w-]+)", parameters, re.IGNORECASE)
        if charset and charset.group(1).lower() not in ("utf-8", "utf8"):
            raise TransportError(
                415, "UNSUPPORTED_MEDIA_TYPE", "The request body must be UTF-8 (charset=utf-8)."
            )
        body = await request.body()
        if not body.strip():
            raise TransportError(
                400, BAD_REQUEST, "The request body is empty: send a JSON object with `query`."
            )
        raw = _decode_json(body, "The request body")
        if isinstance(raw, list):
            raise TransportError(
                400,
                BAD_REQUEST,
                "Batched requests (a JSON array) are not supported: "
                "send one operation per request.",
            )
        if not isinstance(raw, dict):
            raise TransportError(
                400, BAD_REQUEST, "The request body must be a JSON object with `query`."
            )
    params = Params(
        query=_typed(raw, "query", str, "a string"),
        operation_name=_typed(raw, "operationName", str, "a string"),
        variables=_typed(raw, "variables", dict, "an object"),
        extensions=_typed(raw, "extensions", dict, "an object"),
    )
    if params.query is None and not (params.extensions or {}).get("persistedQuery"):
        raise TransportError(
            400, BAD_REQUEST, "No GraphQL document: send it in the `query` parameter."
        )
    return params


def _typed(raw: dict[str, Any], name: str, kind: type, article: str) -> Any:
    value = raw.get(name)
    if value is not None and not isinstance(value, kind):
        raise TransportError(
            400,
            BAD_REQUEST,
            f"The `{name}` parameter must be {article} or null, not {type(value).__name__}.",
        )
    return value


def request_error(message: str, code: str, media: str, **extensions: Any) -> Response:
    """A GraphQL request error answered without executing: 400 without `data` under
    graphql-response+json, 200 with `"data": null` under legacy application/json."""
    log.info("graphql client error %s: %s", code, message)
    body = error_body(message, code, **extensions)
    if media == GRAPHQL_RESPONSE_JSON:
        return json_response(body, 400, media, {"Cache-Control": "no-store"})
    return json_response({"data": None, **body}, 200, media, {"Cache-Control": "no-store"})


def code_errors(result: ExecutionResult) -> None:
    """Every error carries `extensions.code`. Errors that leave strawberry before the ErrorCodes
    extension sees them (a parse error raised by the parser cache, e.g. the token limit) get one
    here: GRAPHQL_PARSE_FAILED for syntax, BAD_USER_INPUT otherwise."""
    for error in result.errors or ():
        if "code" not in (error.extensions or {}):
            code = GRAPHQL_PARSE_FAILED if isinstance(error, GraphQLSyntaxError) else BAD_USER_INPUT
            error.extensions = {**(error.extensions or {}), "code": code}


def is_request_error(result: ExecutionResult) -> bool:
    """No execution happened: the document did not parse or validate, or variables did not
    coerce (graphql-core returns those errors without a path and without data)."""
    if isinstance(result, PreExecutionError):
        return True
    return result.data is None and all(error.path is None for error in result.errors or ())


async def authenticate_request(request: Request) -> Any:
    authenticator: Authenticator = request.app.state.authenticator
    headers = request.headers
    bearer_or_key = "authorization" in headers or "x-api-key" in headers
    if not bearer_or_key and SESSION_COOKIE in request.cookies:
        return await authenticator.authenticate_session(
            request.cookies[SESSION_COOKIE], headers.get(CSRF_HEADER)
        )
    return await authenticator.authenticate(
        request.headers.get("authorization"), request.headers.get("x-api-key")
    )


class LedgerGraphQL(GraphQL[Context, None]):
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        request = Request(scope, receive)
        response = await self.respond(request)
        await response(scope, receive, send)

    async def respond(self, request: Request) -> Response:
        method = request.method
        accept = request.headers.get("accept")
        if method not in ("GET", "POST"):
            return TransportError(
                405,
                "METHOD_NOT_ALLOWED",
                f"{method} is not supported here: send POST, or GET for queries.",
                {"Allow": "GET, POST"},
            ).response()
        if method == "GET" and not request.query_params and wants_html(accept):
            if self.graphql_ide:
                return await self.render_graphql_ide(request)
            return TransportError(
                404,
                "NOT_FOUND",
                "GraphiQL is off on this server (LEDGER_GRAPHIQL); send "
                "GraphQL requests as POST, or GET with ?query=.",
            ).response()
        media = negotiate(accept)
        if media is None:
            return TransportError(
                406,
                "NOT_ACCEPTABLE",
                f"Accept application/graphql-response+json or application/json (got {accept!r}).",
            ).response()
        try:
            params = await read_params(request)
            request.scope.setdefault("state", {})["principal"] = await authenticate_request(request)
        except TransportError as exc:
            return exc.response(media)
        except CsrfRefused:
            return csrf_refused_response()
        except AuthenticationFailed as exc:
            return unauthenticated_response(exc, media)
        except Exception as exc:
            if not is_database_unavailable(exc):
                raise
            log.warning("authentication: database unavailable: %s", exc)
            return database_unavailable_response(media)
        return await self.execute_request(request, params, media)

    async def execute_request(self, request: Request, params: Params, media: str) -> Response:
        path = unpaired_surrogate_path(params.variables)
        if path is not None:
            return request_error(
                f"Variable `{path}` holds an unpaired UTF-16 surrogate (such as \\ud800), "
                "which is not valid Unicode text; send well-formed UTF-8 strings.",
                BAD_USER_INPUT,
                media,
                field=path,
            )
        try:
            persisted = read_extension(params.extensions, params.query)
        except PersistedQueryError as exc:
            return request_error(str(exc), BAD_USER_INPUT, media, field=exc.field)
        store = PersistedQueries(request.app.state.arq, request.app.state.settings)
        query = params.query
        if persisted is not None and query is None:
            query = await store.load(persisted.sha256)
            if query is None:
                return request_error("PersistedQueryNotFound", PERSISTED_QUERY_NOT_FOUND, media)
        context = await self.get_context(request, response=None)
        allowed = QUERY_ONLY if request.method == "GET" else QUERY_OR_MUTATION
        try:
            result = await self.schema.execute(
                query,
                variable_values=params.variables,
                context_value=context,
                operation_name=params.operation_name,
                allowed_operation_types=allowed,
                operation_extensions=params.extensions,
            )
        except InvalidOperationTypeError as exc:
            if exc.operation_type is OperationType.MUTATION:
                return TransportError(
                    405,
                    "METHOD_NOT_ALLOWED",
                    "Mutations are sent with POST, never GET.",
                    {"Allow": "POST"},
                ).response(media)
            return request_error(
                "Subscriptions are not served over HTTP.", GRAPHQL_VALIDATION_FAILED, media
            )
        except CannotGetOperationTypeError as exc:
            return request_error(exc.as_http_error_reason(), GRAPHQL_VALIDATION_FAILED, media)
        except MissingQueryError:
            return TransportError(
                400, BAD_REQUEST, "No GraphQL document: send it in the `query` parameter."
            ).response(media)
        if persisted is not None and persisted.register and query is not None:
            if not isinstance(result, PreExecutionError):
                await store.keep(persisted.sha256, query)
        return self.result_response(request, result, media)

    def result_response(self, request: Request, result: ExecutionResult, media: str) -> Response:
        code_errors(result)
        log_client_errors(list(result.errors or ()))
        body: dict[str, Any] = dict(self.format_result(result))
        codes = {(e.extensions or {}).get("code") for e in result.errors or ()}
        status = 200
        headers: dict[str, str] = {}
        if DATABASE_UNAVAILABLE in codes:
            headers["Retry-After"] = RETRY_AFTER_DATABASE
            # Nothing answered (no data, or every root field null): the whole request can be
            # retried, so the status says so.
            data = body.get("data")
            if media == GRAPHQL_RESPONSE_JSON and (
                data is None or all(value is None for value in data.values())
            ):
                status = 503
        if media == GRAPHQL_RESPONSE_JSON and status == 200 and is_request_error(result):
            status = 400
            body.pop("data", None)
        encoded = encode_response(body)
        raw = encoded.encode("utf-8", "surrogatepass") if isinstance(encoded, str) else encoded
        if request.method == "GET":
            if status != 200 or result.errors:
                headers["Cache-Control"] = "no-store"
            else:
                etag = 'W/"' + hashlib.sha256(raw).hexdigest()[:32] + '"'
                max_age = request.app.state.settings.graphql_get_max_age
                headers["Cache-Control"] = (
                    f"private, max-age={max_age}" if max_age > 0 else "private, no-cache"
                )
                headers["ETag"] = etag
                headers["Vary"] = "Accept, Authorization, X-API-Key, Cookie"
                if etag in request.headers.get("if-none-match", ""):
                    return Response(status_code=304, headers=headers)
        return Response(raw, status_code=status, media_type=media, headers=headers)

    def format_result(self, result: ExecutionResult) -> GraphQLHTTPResponse:
        body: GraphQLHTTPResponse = {"data": result.data}
        if result.errors:
            body["errors"] = [error.formatted for error in result.errors]
        if result.extensions:
            body["extensions"] = result.extensions
        return body

    async def get_context(self, request: Any, response: Any) -> Context:
        state = request.app.state
        context = Context(
            request=request,
            principal=request.scope["state"]["principal"],
            sessions=state.sessions,
            settings=state.settings,
            arq=getattr(state, "arq", None),
        )
        context.loaders = build_loaders(context)
        return context

    def encode_json(self, data: object) -> str | bytes:
        return encode_response(data)


def database_unavailable_response(media: str) -> Response:
    body = error_body(
        f"The database is unavailable; retry in {RETRY_AFTER_DATABASE} seconds.",
        DATABASE_UNAVAILABLE,
        retryAfter=int(RETRY_AFTER_DATABASE),
    )
    return json_response(body, 503, media, {"Retry-After": RETRY_AFTER_DATABASE})


__all__ = ["LedgerGraphQL", "encode_response", "unauthenticated_response"]
