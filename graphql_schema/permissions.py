"""Field permissions: what each kind of principal may ask for."""

from __future__ import annotations

import uuid
from typing import Any

from strawberry.permission import BasePermission

from app.auth.principal import Principal, Scope
from graphql_schema.context import Info
from graphql_schema.errors import FORBIDDEN, Forbidden


class _HasScope(BasePermission):
    scope: Scope
    message = "Forbidden."
    error_extensions = {"code": FORBIDDEN}

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        return info.context.principal.can(self.scope)


class CanRead(_HasScope):
    """Tenant-wide reads: OWNER, ENGINEER, ANALYST, and API keys with the `read` scope."""

    scope = Scope.READ
    message = (
        "Forbidden: this field is tenant-wide; client viewers read their own figures "
        "through client(id)."
    )


class CanIngest(_HasScope):
    scope = Scope.INGEST
    message = "Forbidden: ingest needs the OWNER or ENGINEER role, or an API key with `ingest`."


class CanConfigure(_HasScope):
    scope = Scope.CONFIGURE
    message = "Forbidden: configuration needs the OWNER or ENGINEER role."


def ensure_client_visible(principal: Principal, client_id: uuid.UUID) -> None:
    """Tenant readers see every client; a client viewer sees only its own."""
    if principal.can(Scope.READ):
        return
    if principal.can(Scope.CLIENT_READ) and principal.client_id == client_id:
        return
    raise Forbidden("Forbidden: a client viewer can read only its own client.", field="id")
