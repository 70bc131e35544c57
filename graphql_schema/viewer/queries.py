"""`viewer`: who the caller is, as the API understands it."""

from __future__ import annotations

import strawberry

from graphql_schema.context import Info


@strawberry.type(description="Who is asking: tenant, role and, for a client viewer, client.")
class Viewer:
    tenant_id: strawberry.ID = strawberry.field(description="The caller's tenant.")
    role: str = strawberry.field(
        description="OWNER, ENGINEER, ANALYST, CLIENT_VIEWER, or API_KEY (a machine credential)."
    )
    client_id: strawberry.ID | None = strawberry.field(
        description="A client viewer's client (its UUID); null for other roles."
    )


@strawberry.type
class ViewerQueries:
    @strawberry.field(description="The caller: tenant, role and (for client viewers) client.")
    def viewer(self, info: Info) -> Viewer:
        p = info.context.principal
        return Viewer(
            tenant_id=strawberry.ID(str(p.tenant_id)),
            role=p.role.value,
            client_id=strawberry.ID(str(p.client_id)) if p.client_id else None,
        )
