"""What makes a portal session a person's: idle expiry, the provider re-checked, revocation.

A session opened by an OpenID Connect sign-in or an accepted invitation has a record here, under
its session id, expiring with the session: the user, when it was last used, and (for provider
sign-ins) the refresh token, encrypted, and when to next ask the provider. `check` runs on every
request made with the session:

- idle longer than `session_idle_seconds` → revoked;
- a provider session past its refresh time → a refresh grant; the person's groups are mapped
  again, and a person who lost the group (or whose role changed, or whose provider was removed)
  loses the session at this request;
- otherwise the last use is noted (at most once a minute: a write per request is not needed).

Sessions of `ledger portal link` have no record and keep only their absolute expiry.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from redis.asyncio import Redis

from app.auth.errors import AuthenticationFailed
from app.portal.sessions import PortalSession, SessionStore

_PERSON = "identity:session:{}"  # session id -> record (JSON)
_USER = "identity:user-sessions:{}:{}"  # tenant, user -> set of session ids
_REFRESHING = "identity:refreshing:{}"
TOUCH_EVERY = timedelta(minutes=1)


@dataclass(frozen=True)
class PersonSession:
    session_id: str
    tenant_id: uuid.UUID
    user_id: uuid.UUID
    kind: str  # "oidc" | "invitation"
    last_seen: datetime
    refresh_at: datetime | None
    refresh_token_encrypted: str | None

    def to_json(self) -> str:
        return json.dumps(
            {
                "session_id": self.session_id,
                "tenant_id": str(self.tenant_id),
                "user_id": str(self.user_id),
                "kind": self.kind,
                "last_seen": self.last_seen.isoformat(),
                "refresh_at": self.refresh_at.isoformat() if self.refresh_at else None,
                "refresh_token_encrypted": self.refresh_token_encrypted,
            }
        )

    @classmethod
    def from_json(cls, raw: str | bytes) -> PersonSession:
        value: dict[str, Any] = json.loads(raw)
        return cls(
            session_id=value["session_id"],
            tenant_id=uuid.UUID(value["tenant_id"]),
            user_id=uuid.UUID(value["user_id"]),
            kind=value["kind"],
            last_seen=datetime.fromisoformat(value["last_seen"]),
            refresh_at=datetime.fromisoformat(value["refresh_at"]) if value["refresh_at"] else None,
            refresh_token_encrypted=value["refresh_token_encrypted"],
        )


class PersonSessions:
    def __init__(self, redis: Redis) -> None:
        self.redis = redis
        self.store = SessionStore(redis)

    async def remember(self, person: PersonSession, *, expires_at: datetime) -> None:
        seconds = max(1, int((expires_at - person.last_seen).total_seconds()))
        user_key = _USER.format(person.tenant_id, person.user_id)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.set(_PERSON.format(person.session_id), person.to_json(), ex=seconds)
            pipe.sadd(user_key, person.session_id)
            # The newest session lives longest (one lifetime for all): its expiry is the set's.
            pipe.expire(user_key, seconds)
            await pipe.execute()

    async def get(self, session_id: str) -> PersonSession | None:
        raw = await self.redis.get(_PERSON.format(session_id))
        return PersonSession.from_json(raw) if raw is not None else None

    async def save(self, person: PersonSession) -> None:
        """Updates the record, keeping its expiry."""
        await self.redis.set(_PERSON.format(person.session_id), person.to_json(), keepttl=True)

    async def end(self, tenant_id: uuid.UUID, session_id: str) -> bool:
        person = await self.get(session_id)
        ended = await self.store.revoke(tenant_id, session_id)
        await self.redis.delete(_PERSON.format(session_id))
        if person is not None:
            await self.redis.srem(_USER.format(tenant_id, person.user_id), session_id)  # type: ignore[misc]
        return ended

    async def end_user(self, tenant_id: uuid.UUID, user_id: uuid.UUID) -> int:
        """Ends every session of one person (sign-out everywhere, removal)."""
        members = await self.redis.smembers(_USER.format(tenant_id, user_id))  # type: ignore[misc]
        ended = 0
        for member in members:
            ended += await self.end(tenant_id, _text(member))
        await self.redis.delete(_USER.format(tenant_id, user_id))
        return ended

    async def end_provider_sessions(self, tenant_id: uuid.UUID) -> int:
        """Ends every provider (OIDC) session of the tenant: its provider was removed."""
        ended = 0
        for session in await self.store.list(tenant_id):
            person = await self.get(session.session_id)
            if person is not None and person.kind == "oidc":
                ended += await self.end(tenant_id, session.session_id)
        return ended

    async def claim_refresh(self, session_id: str) -> bool:
        """One refresh at a time per session (concurrent requests keep the current session)."""
        return bool(await self.redis.set(_REFRESHING.format(session_id), "1", nx=True, ex=30))

    async def release_refresh(self, session_id: str) -> None:
        await self.redis.delete(_REFRESHING.format(session_id))


def idle_expired(person: PersonSession, now: datetime, idle: timedelta) -> bool:
    return now - person.last_seen > idle


def needs_touch(person: PersonSession, now: datetime) -> bool:
    return now - person.last_seen >= TOUCH_EVERY


async def refuse(people: PersonSessions, session: PortalSession, reason: str) -> None:
    await people.end(session.tenant_id, session.session_id)
    raise AuthenticationFailed(reason)


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
