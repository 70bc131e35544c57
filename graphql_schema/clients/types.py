"""The Client type: one client of the agency."""

from __future__ import annotations

import strawberry

from app.db.tables import Client as ClientRow


@strawberry.type
class Client:
    id: strawberry.ID
    name: str

    @classmethod
    def from_row(cls, row: ClientRow) -> Client:
        return cls(id=strawberry.ID(str(row.client_id)), name=row.name)
