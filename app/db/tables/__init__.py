"""Every table of the ledger. Importing this package registers them all on `SQLModel.metadata`."""

from app.db.tables.runs import Run, RunLabel, UsageEvent
from app.db.tables.tenancy import ApiKey, Client, Tenant
from app.db.tables.workflows import LadderRung, ModelPrice, Workflow

__all__ = [
    "ApiKey",
    "Client",
    "LadderRung",
    "ModelPrice",
    "Run",
    "RunLabel",
    "Tenant",
    "UsageEvent",
    "Workflow",
]

# Tables that carry tenant data: row-level security is enabled and forced on each of them.
TENANT_TABLES: tuple[str, ...] = tuple(
    model.__tablename__  # type: ignore[misc]
    for model in (Tenant, Client, ApiKey, Workflow, LadderRung, ModelPrice, Run, RunLabel, UsageEvent)
)
