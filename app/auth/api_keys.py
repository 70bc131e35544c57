"""API keys for machines: `olk_<tenant hex>_<key hex>_<secret>`, shown once, stored as SHA-256.

The tenant is part of the key so the lookup runs inside that tenant's row-level security scope;
the secret is compared in constant time against the stored hash.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass

PREFIX = "olk"


@dataclass(frozen=True)
class ParsedKey:
    tenant_id: uuid.UUID
    key_id: uuid.UUID
    secret: str


def new_key(tenant_id: uuid.UUID) -> tuple[uuid.UUID, str, str]:
    """Returns (key_id, the full key to show once, the hash to store)."""
    key_id = uuid.uuid4()
    secret = secrets.token_urlsafe(32)
    full = f"{PREFIX}_{tenant_id.hex}_{key_id.hex}_{secret}"
    return key_id, full, hash_secret(secret)


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def looks_like_api_key(token: str) -> bool:
    return token.startswith(f"{PREFIX}_")


def parse_key(token: str) -> ParsedKey | None:
    parts = token.split("_", 3)
    if len(parts) != 4 or parts[0] != PREFIX or not parts[3]:
        return None
    try:
        return ParsedKey(uuid.UUID(hex=parts[1]), uuid.UUID(hex=parts[2]), parts[3])
    except ValueError:
        return None


def secret_matches(secret: str, stored_hash: str) -> bool:
    return hmac.compare_digest(hash_secret(secret), stored_hash)
