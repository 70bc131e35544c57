"""Who is calling: a verified principal, never a claim taken on trust from GraphQL arguments."""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass, field


class Role(enum.StrEnum):
    OWNER = "OWNER"
    ENGINEER = "ENGINEER"
    ANALYST = "ANALYST"
    CLIENT_VIEWER = "CLIENT_VIEWER"
    API_KEY = "API_KEY"  # a machine credential; what it may do is its scopes


class Scope(enum.StrEnum):
    READ = "read"  # tenant-wide reads
    INGEST = "ingest"  # runs, usage, labels, outcomes, revenue
    CONFIGURE = "configure"  # clients, workflows, prices, gates, ceilings, invoices
    CLIENT_READ = "client_read"  # one client's own figures


ROLE_SCOPES: dict[Role, frozenset[Scope]] = {
    Role.OWNER: frozenset({Scope.READ, Scope.INGEST, Scope.CONFIGURE}),
    Role.ENGINEER: frozenset({Scope.READ, Scope.INGEST, Scope.CONFIGURE}),
    Role.ANALYST: frozenset({Scope.READ}),
    Role.CLIENT_VIEWER: frozenset({Scope.CLIENT_READ}),
}

API_KEY_SCOPES = frozenset({Scope.READ, Scope.INGEST})


@dataclass(frozen=True)
class Principal:
    tenant_id: uuid.UUID
    role: Role
    subject: str
    client_id: uuid.UUID | None = None
    scopes: frozenset[Scope] = field(default_factory=frozenset)

    @classmethod
    def for_role(
        cls, *, tenant_id: uuid.UUID, role: Role, subject: str, client_id: uuid.UUID | None = None
    ) -> Principal:
        return cls(tenant_id, role, subject, client_id, ROLE_SCOPES.get(role, frozenset()))

    def can(self, scope: Scope) -> bool:
        return scope in self.scopes

    @property
    def is_client_viewer(self) -> bool:
        return self.role is Role.CLIENT_VIEWER
