"""HTTP routes of the portal: sign-in by link, sign-out, the session for the web app, the assets.

Opening a link shows a page with one button; the POST it sends redeems the link. Link scanners
in mail clients fetch (GET) links they see, so a GET must not use up a one-time link.
"""

from __future__ import annotations

import html
import json
from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from app.auth.principal import Role
from app.portal.links import SIGN_IN_PATH, redeem_link
from app.portal.sessions import (
    CSRF_HEADER,
    SESSION_COOKIE,
    PortalSession,
    SessionStore,
    csrf_matches,
    utc_now,
)

PORTAL = "/portal/"
NOT_BUILT = (
    "The portal's web app is not built in {dir}. Build it with `scripts/demo` (or "
    "`.venv/bin/npm --prefix web ci && .venv/bin/npm --prefix web run build`)."
)


def csrf_refused_response() -> Response:
    body = {
        "errors": [
            {
                "message": "A request signed in by the portal cookie must send the session's "
                f"CSRF token in the `{CSRF_HEADER}` header (GET /portal/session gives it).",
                "extensions": {"code": "FORBIDDEN"},
            }
        ]
    }
    return Response(json.dumps(body), status_code=403, media_type="application/json")


def page(title: str, body: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        '<meta name=viewport content="width=device-width,initial-scale=1">'
        f"<title>{html.escape(title)}</title><style>body{{font:16px system-ui,sans-serif;"
        "max-width:32rem;margin:4rem auto;padding:0 1rem;color:#1a1a1a}button{font:inherit;"
        "padding:.6rem 1.4rem;background:#1d4ed8;color:#fff;border:0;border-radius:6px;"
        f"cursor:pointer}}button:focus{{outline:3px solid #f59e0b}}</style></head><body>{body}"
        "</body></html>",
        status_code=status,
        headers={"cache-control": "no-store", "referrer-policy": "no-referrer"},
    )


def _store(request: Request) -> SessionStore:
    return SessionStore(request.app.state.arq)


async def sign_in_page(request: Request) -> Response:
    return page(
        "Sign in · Outcome Ledger",
        "<h1>Outcome Ledger</h1><p>This one-time link signs you in to the portal.</p>"
        "<form method=post><button type=submit autofocus>Sign in</button></form>",
    )


async def sign_in(request: Request) -> Response:
    grant = await redeem_link(request.app.state.arq, request.path_params["token"])
    if grant is None:
        return page(
            "Link not valid · Outcome Ledger",
            "<h1>This link cannot sign you in</h1><p>It was already used or it has expired. "
            "Ask the agency for a new link (<code>ledger portal link</code>).</p>",
            status=410,
        )
    store = _store(request)
    # A second link opened in the same browser replaces the session: end the one it had.
    await store.revoke_secret(request.cookies.get(SESSION_COOKIE, ""))
    secret, session = await store.create(
        tenant_id=grant.tenant_id,
        role=grant.role,
        client_id=grant.client_id,
        ttl=grant.session_ttl,
        now=utc_now(),
    )
    home = PORTAL + ("#/client" if grant.role is Role.CLIENT_VIEWER else "#/")
    return with_session_cookie(RedirectResponse(home, status_code=303), secret, session, request)


def with_session_cookie(
    response: Response, secret: str, session: PortalSession, request: Request
) -> Response:
    """Sets the session cookie: HttpOnly, SameSite=Strict, Secure over https, as long as the
    session lives."""
    response.set_cookie(
        SESSION_COOKIE,
        secret,
        max_age=max(1, int((session.expires_at - utc_now()).total_seconds())),
        path="/",
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    return response


async def session_info(request: Request) -> Response:
    session = await _store(request).get(request.cookies.get(SESSION_COOKIE, ""))
    if session is None:
        return JSONResponse(
            {"signedIn": False}, status_code=401, headers={"cache-control": "no-store"}
        )
    return JSONResponse(
        {
            "signedIn": True,
            "sessionId": session.session_id,
            "tenantId": str(session.tenant_id),
            "role": session.role.value,
            "clientId": str(session.client_id) if session.client_id else None,
            "csrfToken": session.csrf_token,
            "expiresAt": session.expires_at.isoformat(),
        },
        headers={"cache-control": "no-store"},
    )


async def sign_out(request: Request) -> Response:
    store = _store(request)
    secret = request.cookies.get(SESSION_COOKIE, "")
    session = await store.get(secret)
    if session is not None:
        if not csrf_matches(session, request.headers.get(CSRF_HEADER)):
            return csrf_refused_response()
        await store.revoke(session.tenant_id, session.session_id)
        identity = getattr(request.app.state, "identity", None)
        if identity is not None:
            await identity.signed_out(session)
    response = JSONResponse({"signedOut": True})
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict")
    return response


def portal_routes(dist: Path) -> list[BaseRoute]:
    """Sign-in and session routes, and the built web app under /portal/ (index.html at its root,
    revalidated; hashed assets cached for a year)."""

    def built(name: str) -> Response:
        path = dist / name
        if not path.is_file():
            return page(
                "Portal not built", f"<p>{html.escape(NOT_BUILT.format(dir=dist))}</p>", 503
            )
        return FileResponse(path, headers={"cache-control": "no-cache"})

    async def index(request: Request) -> Response:
        return built("index.html")

    async def graphiql(request: Request) -> Response:
        # The IDE runs queries as the signed-in person: without a session it sends them home.
        if await _store(request).get(request.cookies.get(SESSION_COOKIE, "")) is None:
            return RedirectResponse(PORTAL, status_code=303)
        return built("graphiql.html")

    async def root(request: Request) -> Response:
        return RedirectResponse(PORTAL, status_code=307)

    assets = (dist / "assets").resolve()

    async def asset(request: Request) -> Response:
        # Hashed names: a file never changes, so browsers keep it for a year.
        path = (assets / request.path_params["path"]).resolve()
        if not path.is_relative_to(assets) or not path.is_file():
            return Response("Not Found", status_code=404, media_type="text/plain")
        return FileResponse(path, headers={"cache-control": "public, max-age=31536000, immutable"})

    return [
        Route("/", root),
        Route("/portal", root),
        Route(PORTAL, index),
        Route(PORTAL + "graphiql", graphiql),
        Route(PORTAL + "session", session_info),
        Route(PORTAL + "sign-out", sign_out, methods=["POST"]),
        Route(SIGN_IN_PATH + "{token}", sign_in_page, methods=["GET"]),
        Route(SIGN_IN_PATH + "{token}", sign_in, methods=["POST"]),
        Route(PORTAL + "assets/{path:path}", asset),
    ]
