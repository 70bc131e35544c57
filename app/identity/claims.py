"""What an ID token's claims allow: whose email may sign in, and with which role. Pure rules."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from app.auth.principal import Role

# When a person's groups map to several roles, the most capable one is theirs.
ROLE_RANK = {Role.OWNER: 3, Role.ENGINEER: 2, Role.ANALYST: 1}


def claim_values(claims: Mapping[str, Any], path: str) -> list[str]:
    """The string values at a claim path: `groups`, or a dotted path such as Keycloak's
    `realm_access.roles`. A single string counts as one value; anything else as none."""
    value: Any = claims
    for part in path.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return []
        value = value[part]
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [item for item in value if isinstance(item, str)]
    return []


def role_from_claims(
    claims: Mapping[str, Any], role_claim: str, role_map: Mapping[str, Role]
) -> Role | None:
    """The role the mapping grants, or None: no access until one of the values is mapped."""
    granted = [role_map[v] for v in claim_values(claims, role_claim) if v in role_map]
    return max(granted, key=ROLE_RANK.__getitem__) if granted else None


def email_domain(email: str) -> str | None:
    local, at, domain = email.strip().rpartition("@")
    return domain.lower() if at and local and domain else None


def email_allowed(claims: Mapping[str, Any], allowed_domains: Iterable[str]) -> str | None:
    """The verified email when its domain is allowed; None otherwise. A provider that says the
    address is unverified (`email_verified: false`) is not trusted with it."""
    email = claims.get("email")
    if not isinstance(email, str) or claims.get("email_verified") is False:
        return None
    domain = email_domain(email)
    return email if domain is not None and domain in set(allowed_domains) else None
