"""From an HTTP credential to a Principal: JWT bearer tokens for people, API keys for machines."""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Awaitable, Callable

from sqlalchemy import select
from sqlmodel import col

from app.auth.api_keys import looks_like_api_key, parse_key, secret_matches
from app.auth.errors import NO_CREDENTIAL, UNKNOWN_TENANT, AuthenticationFailed, CsrfRefused
from app.auth.principal import API_KEY_SCOPES, Principal, Role, Scope
from app.auth.tokens import TokenVerifier
from app.db.sessions import TenantSessions
from app.db.tables import ApiKey
from app.portal.sessions import PortalSession, SessionStore, csrf_matches
from app.services.tenancy.tenants import tenant_exists

log = logging.getLogger(__name__)


class KnownTenants:
    """Tenants seen to exist, remembered for `ttl` seconds (at most `size` of them), so a valid
    token costs one lookup per tenant per `ttl`, not one per request. Unknown tenants are not
    remembered: a tenant created a moment later is known at once."""

    def __init__(self, sessions: TenantSessions, *, ttl: float = 300.0, size: int = 10_000) -> None:
        self.sessions = sessions
        self.ttl = ttl
        self.size = size
        self._until: dict[uuid.UUID, float] = {}

    async def exists(self, tenant_id: uuid.UUID) -> bool:
        now = time.monotonic()
        if self._until.get(tenant_id, 0.0) > now:
            return True
        if not await tenant_exists(sessions=self.sessions, tenant_id=tenant_id):
            self._until.pop(tenant_id, None)
            return False
        if len(self._until) >= self.size:
            self._until = {t: u for t, u in self._until.items() if u > now}
            if len(self._until) >= self.size:
                self._until.clear()
        self._until[tenant_id] = now + self.ttl
        return True


class Authenticator:
    def __init__(self, verifier: TokenVerifier, sessions: TenantSessions) -> None:
        self.verifier = verifier
        self.sessions = sessions
        self.tenants = KnownTenants(sessions)
        self.portal: SessionStore | None = None  # set once Redis is connected (app.main)
        self.session_check: Callable[[PortalSession], Awaitable[None]] | None = None

    async def authenticate(
        self, authorization: str | None, api_key: str | None = None
    ) -> Principal:
        """`Authorization: Bearer <jwt or key>` or `X-API-Key: <key>`; raises when absent/bad."""
        credential = api_key
        if credential is None and authorization:
            scheme, _, value = authorization.partition(" ")
            if scheme.lower() != "bearer" or not value.strip():
                raise AuthenticationFailed("Authorization header is not 'Bearer <token>'")
            credential = value.strip()
        if not credential:
            raise AuthenticationFailed("no credential", NO_CREDENTIAL)
        if looks_like_api_key(credential):
            return await self._api_key(credential)
        if self.verifier.fetches_keys:
            # A JWKS (re)fetch is blocking HTTP: keep it off the event loop.
            principal = await asyncio.to_thread(self.verifier.verify, credential)
        else:
            principal = self.verifier.verify(credential)
        # A correctly signed token still names a tenant this server must know (an API key
        # proves its tenant by its stored row).
        if not await self.tenants.exists(principal.tenant_id):
            raise AuthenticationFailed(
                f"token for unknown tenant {principal.tenant_id}", UNKNOWN_TENANT
            )
        return principal

    async def authenticate_session(self, secret: str, csrf_token: str | None) -> Principal:
        """A portal session cookie: live in Redis, and the request echoes its CSRF token."""
        session = await self.portal.get(secret) if self.portal is not None else None
        if session is None:
            raise AuthenticationFailed("unknown, expired or revoked portal session")
        if not csrf_matches(session, csrf_token):
            raise CsrfRefused("portal session without its CSRF token")
        if self.session_check is not None:
            await self.session_check(session)  # people's sessions: idle, provider re-check
        return session.principal()

    async def _api_key(self, credential: str) -> Principal:
        parsed = parse_key(credential)
        if parsed is None:
            raise AuthenticationFailed("malformed API key")
        async with self.sessions(parsed.tenant_id) as session:
            row = (
                await session.execute(select(ApiKey).where(col(ApiKey.key_id) == parsed.key_id))
            ).scalar_one_or_none()
        if row is None or not secret_matches(parsed.secret, row.secret_hash):
            raise AuthenticationFailed("unknown API key")
        if row.revoked_at is not None:
            raise AuthenticationFailed("revoked API key")
        scopes = frozenset(Scope(s) for s in row.scopes if Scope(s) in API_KEY_SCOPES)
        return Principal(parsed.tenant_id, Role.API_KEY, f"apikey:{row.key_id}", None, scopes)
