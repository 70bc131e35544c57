"""The Workflow type. Cost figures are resolved through loaders (see graphql_schema/costs)."""

from __future__ import annotations

import strawberry

from app.db.tables import Workflow as WorkflowRow


@strawberry.type
class LadderRung:
    key: str
    name: str
    position: int


@strawberry.type
class Workflow:
    id: strawberry.ID
    key: str
    name: str
    division: str | None
    autonomy_level: int
    acceptance_hold_hours: int

    @classmethod
    def from_row(cls, row: WorkflowRow) -> Workflow:
        return cls(
            id=strawberry.ID(str(row.workflow_id)),
            key=row.key,
            name=row.name,
            division=row.division,
            autonomy_level=row.autonomy_level,
            acceptance_hold_hours=row.acceptance_hold_hours,
        )
