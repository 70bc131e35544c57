"""A small OpenID Connect provider for the sign-in tests, served by uvicorn on a local port.

It follows the parts of the standards the ledger relies on: discovery, the authorization code
flow with PKCE (S256 only), client authentication by HTTP Basic, one-time codes bound to the
client, redirect URI and code challenge, ID tokens signed RS256 with a key published as JWKS
(iss, aud, sub, exp, iat, nonce, email, email_verified, groups), and refresh tokens that answer
with the person's *current* groups. Tests choose who "logs in" with `login_as` (the provider
has no login form) and change a person's groups with `people`.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from tests.live_server import free_port, serving_in_thread


@dataclass
class Person:
    sub: str
    email: str
    groups: list[str]
    email_verified: bool = True


@dataclass
class Provider:
    url: str = ""
    key: RSAKey = field(default_factory=lambda: RSAKey.generate_key(2048, parameters={"kid": "k1"}))
    clients: dict[str, tuple[str, str]] = field(default_factory=dict)  # id -> (secret, redirect)
    people: dict[str, Person] = field(default_factory=dict)  # email -> person
    login_as: str | None = None
    codes: dict[str, dict[str, Any]] = field(default_factory=dict)
    refresh_tokens: dict[str, tuple[str, str]] = field(default_factory=dict)  # -> (client, email)

    def register(self, client_id: str, redirect_uri: str) -> str:
        secret = secrets.token_urlsafe(16)
        self.clients[client_id] = (secret, redirect_uri)
        return secret

    def person(self, email: str, groups: list[str], *, verified: bool = True) -> Person:
        found = Person(f"sub-{secrets.token_hex(4)}", email, groups, verified)
        self.people[email] = found
        return found

    def id_token(self, client_id: str, person: Person, nonce: str | None) -> str:
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.url,
            "aud": client_id,
            "sub": person.sub,
            "iat": now,
            "exp": now + 300,
            "email": person.email,
            "email_verified": person.email_verified,
            "groups": list(person.groups),
        }
        if nonce is not None:
            claims["nonce"] = nonce
        return jwt.encode({"alg": "RS256", "kid": "k1"}, claims, self.key)

    def app(self) -> Starlette:
        async def discovery(request: Request) -> Response:
            return JSONResponse(
                {
                    "issuer": self.url,
                    "authorization_endpoint": f"{self.url}/authorize",
                    "token_endpoint": f"{self.url}/token",
                    "jwks_uri": f"{self.url}/jwks",
                    "response_types_supported": ["code"],
                    "subject_types_supported": ["public"],
                    "id_token_signing_alg_values_supported": ["RS256"],
                    "code_challenge_methods_supported": ["S256"],
                    "grant_types_supported": ["authorization_code", "refresh_token"],
                }
            )

        async def jwks(request: Request) -> Response:
            return JSONResponse(KeySet([self.key]).as_dict(private=False))

        async def authorize(request: Request) -> Response:
            q = request.query_params
            client = self.clients.get(q.get("client_id", ""))
            if client is None or q.get("redirect_uri") != client[1]:
                return JSONResponse({"error": "invalid_request"}, status_code=400)
            if q.get("response_type") != "code" or "openid" not in q.get("scope", "").split():
                return JSONResponse({"error": "invalid_request"}, status_code=400)
            if q.get("code_challenge_method") != "S256" or not q.get("code_challenge"):
                return JSONResponse({"error": "invalid_request", "why": "PKCE"}, status_code=400)
            if self.login_as is None or self.login_as not in self.people:
                params = {"error": "access_denied", "state": q.get("state", "")}
                return RedirectResponse(f"{client[1]}?{urlencode(params)}", status_code=302)
            code = secrets.token_urlsafe(16)
            self.codes[code] = {
                "client_id": q["client_id"],
                "redirect_uri": q["redirect_uri"],
                "challenge": q["code_challenge"],
                "nonce": q.get("nonce"),
                "email": self.login_as,
            }
            params = {"code": code, "state": q.get("state", "")}
            return RedirectResponse(f"{client[1]}?{urlencode(params)}", status_code=302)

        async def token(request: Request) -> Response:
            form = await request.form()
            auth = request.headers.get("authorization", "")
            try:
                client_id, _, secret = (
                    base64.b64decode(auth.removeprefix("Basic ")).decode().partition(":")
                )
            except ValueError:
                return JSONResponse({"error": "invalid_client"}, status_code=401)
            client = self.clients.get(client_id)
            if client is None or not secrets.compare_digest(client[0], secret):
                return JSONResponse({"error": "invalid_client"}, status_code=401)
            if form.get("grant_type") == "authorization_code":
                grant = self.codes.pop(str(form.get("code", "")), None)  # one use only
                if grant is None or grant["client_id"] != client_id:
                    return JSONResponse({"error": "invalid_grant"}, status_code=400)
                if form.get("redirect_uri") != grant["redirect_uri"]:
                    return JSONResponse({"error": "invalid_grant"}, status_code=400)
                verifier = str(form.get("code_verifier", ""))
                digest = hashlib.sha256(verifier.encode()).digest()
                if base64.urlsafe_b64encode(digest).rstrip(b"=").decode() != grant["challenge"]:
                    return JSONResponse({"error": "invalid_grant", "why": "PKCE"}, status_code=400)
                email, nonce = grant["email"], grant["nonce"]
            elif form.get("grant_type") == "refresh_token":
                held = self.refresh_tokens.get(str(form.get("refresh_token", "")))
                if held is None or held[0] != client_id or held[1] not in self.people:
                    return JSONResponse({"error": "invalid_grant"}, status_code=400)
                email, nonce = held[1], None
            else:
                return JSONResponse({"error": "unsupported_grant_type"}, status_code=400)
            refresh = secrets.token_urlsafe(16)
            self.refresh_tokens[refresh] = (client_id, email)
            return JSONResponse(
                {
                    "access_token": secrets.token_urlsafe(16),
                    "token_type": "Bearer",
                    "expires_in": 300,
                    "refresh_token": refresh,
                    "id_token": self.id_token(client_id, self.people[email], nonce),
                }
            )

        return Starlette(
            routes=[
                Route("/.well-known/openid-configuration", discovery),
                Route("/jwks", jwks),
                Route("/authorize", authorize),
                Route("/token", token, methods=["POST"]),
            ]
        )


class RunningProvider:
    """The provider on a free local port, in a thread, until `stop`."""

    def __init__(self) -> None:
        port = free_port()
        self.provider = Provider(url=f"http://127.0.0.1:{port}")
        self._serving = ExitStack()
        self._serving.enter_context(
            serving_in_thread(self.provider.app(), port, start_seconds=10, stop_seconds=5)
        )

    def stop(self) -> None:
        self._serving.close()
