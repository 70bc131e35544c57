"""Server-side portal sessions in Redis: created by redeeming a sign-in link, revocable, expiring.

The browser holds only an opaque secret in an HttpOnly cookie; Redis keeps what the session may
do under the secret's SHA-256 (a leaked Redis dump does not hand out live cookies). Each session
also has a public id, for listing and revoking it without knowing the secret. Cookie-authenticated
requests must echo the session's CSRF token in a header (`x-csrf-token`): a cross-site form or
fetch can make the browser send the cookie but cannot read the token.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import uuid
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from redis.asyncio import Redis

from app.auth.principal import Principal, Role

SESSION_COOKIE = "ledger_session"
CSRF_HEADER = "x-csrf-token"
DEFAULT_SESSION_TTL = timedelta(hours=12)

_SESSION = "portal:session:{}"  # sha256(secret) -> the session as JSON
_BY_ID = "portal:session-id:{}"  # public id -> sha256(secret)
_TENANT = "portal:tenant-sessions:{}"  # tenant id -> set of public ids (may hold expired ones)


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True)
class PortalSession:
    session_id: str
    tenant_id: uuid.UUID
    role: Role
    client_id: uuid.UUID | None
    csrf_token: str
    created_at: datetime
    expires_at: datetime

    def principal(self) -> Principal:
        return Principal.for_role(
            tenant_id=self.tenant_id,
            role=self.role,
            subject=f"portal:{self.session_id}",
            client_id=self.client_id,
        )

    def to_json(self) -> str:
        raw: dict[str, Any] = asdict(self)
        raw.update(
            tenant_id=str(self.tenant_id),
            role=self.role.value,
            client_id=str(self.client_id) if self.client_id else None,
            created_at=self.created_at.isoformat(),
            expires_at=self.expires_at.isoformat(),
        )
        return json.dumps(raw)

    @classmethod
    def from_json(cls, text: str | bytes) -> PortalSession:
        raw = json.loads(text)
        return cls(
            session_id=raw["session_id"],
            tenant_id=uuid.UUID(raw["tenant_id"]),
            role=Role(raw["role"]),
            client_id=uuid.UUID(raw["client_id"]) if raw["client_id"] else None,
            csrf_token=raw["csrf_token"],
            created_at=datetime.fromisoformat(raw["created_at"]),
            expires_at=datetime.fromisoformat(raw["expires_at"]),
        )


class SessionStore:
    def __init__(self, redis: Redis) -> None:
        self.redis = redis

    async def create(
        self,
        *,
        tenant_id: uuid.UUID,
        role: Role,
        client_id: uuid.UUID | None,
        ttl: timedelta,
        now: datetime,
    ) -> tuple[str, PortalSession]:
        """A new session; returns (the cookie secret, the session). The secret is not stored."""
        secret = secrets.token_urlsafe(32)
        session = PortalSession(
            session_id=secrets.token_hex(8),
            tenant_id=tenant_id,
            role=role,
            client_id=client_id,
            csrf_token=secrets.token_urlsafe(24),
            created_at=now,
            expires_at=now + ttl,
        )
        seconds = max(1, int(ttl.total_seconds()))
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.set(_SESSION.format(digest(secret)), session.to_json(), ex=seconds)
            pipe.set(_BY_ID.format(session.session_id), digest(secret), ex=seconds)
            pipe.sadd(_TENANT.format(tenant_id), session.session_id)
            await pipe.execute()
        return secret, session

    async def get(self, secret: str) -> PortalSession | None:
        """The live session for a cookie secret; None when unknown, expired or revoked."""
        if not secret or len(secret) > 200:
            return None
        raw = await self.redis.get(_SESSION.format(digest(secret)))
        return PortalSession.from_json(raw) if raw is not None else None

    async def revoke_secret(self, secret: str) -> bool:
        session = await self.get(secret)
        return session is not None and await self.revoke(session.tenant_id, session.session_id)

    async def revoke(self, tenant_id: uuid.UUID, session_id: str) -> bool:
        """Ends one session of the tenant; False when it is unknown or already over."""
        hashed = await self.redis.get(_BY_ID.format(session_id))
        await self.redis.srem(_TENANT.format(tenant_id), session_id)  # type: ignore[misc]
        if hashed is None:
            return False
        key = _SESSION.format(hashed.decode() if isinstance(hashed, bytes) else hashed)
        raw = await self.redis.get(key)
        if raw is None or PortalSession.from_json(raw).tenant_id != tenant_id:
            return False
        await self.redis.delete(key, _BY_ID.format(session_id))
        return True

    async def list(self, tenant_id: uuid.UUID) -> list[PortalSession]:
        """The tenant's live sessions, oldest first (forgets the ids of expired ones)."""
        live: list[PortalSession] = []
        members = await self.redis.smembers(_TENANT.format(tenant_id))  # type: ignore[misc]
        for member in members:
            session_id = member.decode() if isinstance(member, bytes) else str(member)
            hashed = await self.redis.get(_BY_ID.format(session_id))
            raw = await self.redis.get(_SESSION.format(_text(hashed))) if hashed else None
            if raw is None:
                await self.redis.srem(_TENANT.format(tenant_id), session_id)  # type: ignore[misc]
                continue
            live.append(PortalSession.from_json(raw))
        return sorted(live, key=lambda s: s.created_at)

    async def revoke_all(self, tenant_id: uuid.UUID) -> int:
        count = 0
        for session in await self.list(tenant_id):
            count += await self.revoke(tenant_id, session.session_id)
        return count


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def csrf_matches(session: PortalSession, presented: str | None) -> bool:
    return presented is not None and hmac.compare_digest(
        session.csrf_token.encode(), presented.encode()
    )


def utc_now() -> datetime:
    return datetime.now(UTC)
