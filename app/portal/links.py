"""One-time, expiring sign-in links: `ledger portal link` mints one, opening it starts a session.

The link carries a random token; Redis keeps what it grants under the token's SHA-256, with the
link's lifetime as the key's expiry. Redeeming is an atomic GETDEL, so a link opens at most one
session even when two requests race for it.
"""

from __future__ import annotations

import json
import secrets
import uuid
from dataclasses import dataclass
from datetime import timedelta

from redis.asyncio import Redis

from app.auth.principal import Role
from app.portal.sessions import DEFAULT_SESSION_TTL, digest

DEFAULT_LINK_TTL = timedelta(hours=1)
SIGN_IN_PATH = "/portal/sign-in/"
_LINK = "portal:link:{}"


@dataclass(frozen=True)
class LinkGrant:
    """What redeeming a link grants: a session for this principal, of this lifetime."""

    tenant_id: uuid.UUID
    role: Role
    client_id: uuid.UUID | None
    session_ttl: timedelta = DEFAULT_SESSION_TTL


def check_grant(role: Role, client_id: uuid.UUID | None) -> None:
    """A portal session is a person's: a role with a client exactly when it is CLIENT_VIEWER."""
    if role is Role.API_KEY:
        raise ValueError(
            "API_KEY is a machine credential; pick OWNER, ENGINEER, ANALYST or CLIENT_VIEWER"
        )
    if role is Role.CLIENT_VIEWER and client_id is None:
        raise ValueError("a CLIENT_VIEWER link is bound to one client: pass --client CLIENT_ID")
    if role is not Role.CLIENT_VIEWER and client_id is not None:
        raise ValueError(f"only CLIENT_VIEWER links carry a client; drop --client for {role.value}")


async def create_link(redis: Redis, grant: LinkGrant, *, ttl: timedelta = DEFAULT_LINK_TTL) -> str:
    """Stores the grant and returns the link's token (shown once; only its hash is kept)."""
    check_grant(grant.role, grant.client_id)
    token = secrets.token_urlsafe(32)
    value = json.dumps(
        {
            "tenant_id": str(grant.tenant_id),
            "role": grant.role.value,
            "client_id": str(grant.client_id) if grant.client_id else None,
            "session_ttl_seconds": int(grant.session_ttl.total_seconds()),
        }
    )
    await redis.set(_LINK.format(digest(token)), value, ex=max(1, int(ttl.total_seconds())))
    return token


async def redeem_link(redis: Redis, token: str) -> LinkGrant | None:
    """The grant of an unused, unexpired link, consuming it; None otherwise."""
    if not token or len(token) > 200:
        return None
    raw = await redis.getdel(_LINK.format(digest(token)))
    if raw is None:
        return None
    value = json.loads(raw)
    return LinkGrant(
        tenant_id=uuid.UUID(value["tenant_id"]),
        role=Role(value["role"]),
        client_id=uuid.UUID(value["client_id"]) if value["client_id"] else None,
        session_ttl=timedelta(seconds=value["session_ttl_seconds"]),
    )


def link_url(base_url: str, token: str) -> str:
    return f"{base_url.rstrip('/')}{SIGN_IN_PATH}{token}"
