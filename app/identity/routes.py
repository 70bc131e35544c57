"""HTTP routes of people's sign-in: the provider round trip and invitation links.

- `GET /auth/{tenant}/sign-in` sends the browser to the tenant's provider;
- `GET /auth/callback` is where the provider sends it back (state, code);
- `GET /portal/invite/{tenant}/{token}` shows a page with one button (mail scanners fetch links:
  a GET must not use up an invitation); its POST accepts the invitation.
Each ends by setting the portal's session cookie and sending the browser into the portal.
"""

from __future__ import annotations

import html
import uuid

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from app.auth.principal import Role
from app.identity import oidc
from app.identity.sign_in import CALLBACK_PATH, Identity
from app.portal.routes import PORTAL, page, with_session_cookie
from app.portal.sessions import PortalSession

INVITE_PATH = "/portal/invite/"


def _identity(request: Request) -> Identity:
    identity: Identity = request.app.state.identity
    return identity


def _tenant(request: Request) -> uuid.UUID | None:
    try:
        return uuid.UUID(request.path_params["tenant"])
    except ValueError:
        return None


def refused_page(refusal: oidc.SignInRefused, status: int = 403) -> Response:
    return page(
        "Sign-in refused · Outcome Ledger",
        f"<h1>You are not signed in</h1><p>{html.escape(refusal.message)}</p>"
        f"<p>Reason code: <code>{html.escape(refusal.reason)}</code></p>",
        status=status,
    )


def _home(portal: PortalSession, secret: str, request: Request) -> Response:
    home = PORTAL + ("#/client" if portal.role is Role.CLIENT_VIEWER else "#/")
    return with_session_cookie(RedirectResponse(home, status_code=303), secret, portal, request)


async def sign_in(request: Request) -> Response:
    tenant_id = _tenant(request)
    if tenant_id is None:
        return refused_page(oidc.SignInRefused("tenant", "This sign-in address is not valid."), 404)
    try:
        url = await _identity(request).begin(tenant_id)
    except oidc.SignInRefused as refusal:
        return refused_page(refusal, 404 if refusal.reason == "no_provider" else 502)
    return RedirectResponse(url, status_code=303, headers={"cache-control": "no-store"})


async def callback(request: Request) -> Response:
    params = request.query_params
    if "error" in params:
        refusal = oidc.SignInRefused(
            "provider_error", f"The provider did not sign you in ({params['error']})."
        )
        return refused_page(refusal)
    try:
        secret, portal = await _identity(request).complete(params.get("state"), params.get("code"))
    except oidc.SignInRefused as refusal:
        return refused_page(refusal, 400 if refusal.reason == "state" else 403)
    return _home(portal, secret, request)


async def invitation_page(request: Request) -> Response:
    return page(
        "Your invitation · Outcome Ledger",
        "<h1>Outcome Ledger</h1><p>You were invited to see your cost per outcome. This link "
        "works once.</p><form method=post><button type=submit autofocus>Accept and sign in"
        "</button></form>",
    )


async def accept_invitation(request: Request) -> Response:
    tenant_id = _tenant(request)
    accepted = (
        await _identity(request).accept_invitation(tenant_id, request.path_params["token"])
        if tenant_id is not None
        else None
    )
    if accepted is None:
        return page(
            "Invitation not valid · Outcome Ledger",
            "<h1>This invitation cannot sign you in</h1><p>It was already used, revoked, or it "
            "has expired. Ask the agency for a new one.</p>",
            status=410,
        )
    secret, portal = accepted
    return _home(portal, secret, request)


def invitation_url(base_url: str, tenant_id: uuid.UUID, token: str) -> str:
    return f"{base_url.rstrip('/')}{INVITE_PATH}{tenant_id}/{token}"


def sign_in_url(base_url: str, tenant_id: uuid.UUID) -> str:
    return f"{base_url.rstrip('/')}/auth/{tenant_id}/sign-in"


def identity_routes() -> list[BaseRoute]:
    return [
        Route("/auth/{tenant}/sign-in", sign_in),
        Route(CALLBACK_PATH, callback),
        Route(INVITE_PATH + "{tenant}/{token}", invitation_page, methods=["GET"]),
        Route(INVITE_PATH + "{tenant}/{token}", accept_invitation, methods=["POST"]),
    ]
