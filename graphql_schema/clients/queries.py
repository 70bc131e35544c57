"""`clients` (tenant-wide) and `client(id)` (a client viewer: its own client only)."""

from __future__ import annotations

from typing import Annotated

import strawberry

from app.services.tenancy import catalog
from graphql_schema.clients.types import Client, visible_client
from graphql_schema.context import Info
from graphql_schema.costs.inputs import parse_id
from graphql_schema.permissions import CanRead


@strawberry.type
class ClientQueries:
    @strawberry.field(permission_classes=[CanRead], description="Every client, by name.")
    async def clients(self, info: Info) -> list[Client] | None:
        rows = await info.context.call(catalog.list_clients)
        return [Client.from_row(row) for row in rows]

    @strawberry.field(
        description="One client; null if unknown. A client viewer may ask only for its own "
        "client (any other id is FORBIDDEN, known or not)."
    )
    async def client(
        self,
        info: Info,
        id: Annotated[
            strawberry.ID,
            strawberry.argument(description="Client.id, or the client's UUID (Client.clientId)."),
        ],
    ) -> Client | None:
        return await visible_client(info, parse_id(id, field="id"))
