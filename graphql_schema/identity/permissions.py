"""Who may manage sign-in: the tenant's OWNER (provider settings, the audit log)."""

from __future__ import annotations

from typing import Any

from strawberry.permission import BasePermission

from app.auth.principal import Role
from graphql_schema.context import Info
from graphql_schema.errors import FORBIDDEN


class IsOwner(BasePermission):
    message = "Forbidden: this needs the OWNER role."
    error_extensions = {"code": FORBIDDEN}

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        return info.context.principal.role is Role.OWNER
