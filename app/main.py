"""create_app(settings) -> Starlette: routes, middleware, lifespan."""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from arq import create_pool
from arq.connections import RedisSettings
from sqlalchemy import text
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from app.auth.authenticate import Authenticator
from app.auth.tokens import TokenVerifier
from app.body_limit import JsonBodyLimit
from app.db.sessions import tenant_sessions
from app.identity.routes import identity_routes
from app.identity.sign_in import Identity
from app.ingest.routes import ingest_routes
from app.portal.routes import portal_routes
from app.portal.sessions import SessionStore
from app.settings import Settings
from graphql_schema.http import LedgerGraphQL
from graphql_schema.schema import build_schema

log = logging.getLogger("ledger.http")

# What browser GraphQL clients send (Apollo, urql, APQ and CSRF headers), and what they may read.
CORS_ALLOW_HEADERS = [
    "authorization",
    "content-type",
    "x-api-key",
    "apollographql-client-name",
    "apollographql-client-version",
    "apollo-require-preflight",
    "x-request-id",
    "x-csrf-token",
]
CORS_EXPOSE_HEADERS = ["x-request-id", "retry-after"]


class RequestLog:
    """Logs one structured line per HTTP request, with a request id echoed to the caller."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = uuid.uuid4().hex[:16]
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Any) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", []).append((b"x-request-id", request_id.encode()))
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            log.info(
                "request",
                extra={
                    "request_id": request_id,
                    "method": scope["method"],
                    "path": scope["path"],
                    "status": status,
                    "ms": round((time.perf_counter() - started) * 1000, 2),
                },
            )


def redis_settings(url: str) -> RedisSettings:
    return RedisSettings.from_dsn(url)


async def healthz(request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> JSONResponse:
    checks: dict[str, str] = {}
    try:
        async with request.app.state.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as exc:
        log.warning("readiness: database unreachable: %s", exc)
        checks["database"] = "unreachable"
    try:
        await request.app.state.arq.ping()
        checks["redis"] = "ok"
    except Exception as exc:
        log.warning("readiness: redis unreachable: %s", exc)
        checks["redis"] = "unreachable"
    ready = all(v == "ok" for v in checks.values())
    return JSONResponse(
        {"status": "ready" if ready else "not ready", **checks}, 200 if ready else 503
    )


def create_app(settings: Settings) -> Starlette:
    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if not settings.redis_url:
            raise RuntimeError("REDIS_URL is not set and no embedded Redis was started")
        async with tenant_sessions(settings) as sessions:
            app.state.settings = settings
            app.state.engine = sessions.engine
            app.state.sessions = sessions
            app.state.authenticator = Authenticator(TokenVerifier(settings), sessions)
            app.state.arq = await create_pool(redis_settings(settings.redis_url))
            app.state.authenticator.portal = SessionStore(app.state.arq)
            app.state.oidc_http = httpx.AsyncClient(timeout=10)
            app.state.identity = Identity(settings, sessions, app.state.arq, app.state.oidc_http)
            app.state.authenticator.session_check = app.state.identity.check
            try:
                yield
            finally:
                await app.state.oidc_http.aclose()
                await app.state.arq.aclose()

    graphql = LedgerGraphQL(
        build_schema(settings),
        graphql_ide="graphiql" if settings.graphiql else None,
        allow_queries_via_get=False,
    )
    # The body limit answers JSON (app/body_limit.py), not starlette's plain-text 413.
    middleware = [Middleware(RequestLog), Middleware(JsonBodyLimit, settings.max_body_bytes)]
    if settings.cors_origins:
        middleware.append(
            Middleware(
                CORSMiddleware,
                allow_origins=settings.cors_origins,
                allow_methods=["GET", "POST"],
                allow_headers=CORS_ALLOW_HEADERS,
                expose_headers=CORS_EXPOSE_HEADERS,
                # Credentials (cookies) only for origins named one by one, never for "*".
                allow_credentials="*" not in settings.cors_origins,
                max_age=600,
            )
        )
    routes = [
        Route("/graphql", graphql),
        Route("/healthz", healthz),
        Route("/readyz", readyz),
        *ingest_routes(),
        *portal_routes(settings.portal_dir),
        *identity_routes(),
    ]
    return Starlette(
        routes=routes,
        middleware=middleware,
        lifespan=lifespan,
    )
