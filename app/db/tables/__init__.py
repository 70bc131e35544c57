"""Every table of the ledger. Importing this package registers them all on `SQLModel.metadata`."""

from app.db.tables.decisions import FailureReasonCode, FindingThreshold, RunDimension
from app.db.tables.gates import AutonomyEvent, AutonomyGate, GateEvaluation
from app.db.tables.identity import AuditEvent, IdentityProvider, Invitation, User
from app.db.tables.invoices import ProviderInvoice
from app.db.tables.ladders import CostCeiling, OutcomeEvent
from app.db.tables.otlp import IngestHealth, ProviderCall
from app.db.tables.repricing import UsageRepricing
from app.db.tables.roi import RevenueAllocation, RevenueEvent, RoiBaseline, RoiDirty, RoiWindow
from app.db.tables.rollups import CohortDay, LadderReach, LadderReachDay, LadderReachDirty, RunCost
from app.db.tables.runs import Run, RunLabel, UsageEvent
from app.db.tables.tenancy import ApiKey, Client, Tenant
from app.db.tables.workflows import LadderRung, ModelPrice, Workflow

__all__ = [
    "ApiKey",
    "AuditEvent",
    "AutonomyEvent",
    "AutonomyGate",
    "Client",
    "CohortDay",
    "CostCeiling",
    "FailureReasonCode",
    "FindingThreshold",
    "GateEvaluation",
    "IdentityProvider",
    "IngestHealth",
    "Invitation",
    "LadderReach",
    "LadderReachDay",
    "LadderReachDirty",
    "LadderRung",
    "ModelPrice",
    "OutcomeEvent",
    "ProviderCall",
    "ProviderInvoice",
    "RevenueAllocation",
    "RevenueEvent",
    "RoiBaseline",
    "RoiDirty",
    "RoiWindow",
    "Run",
    "RunCost",
    "RunDimension",
    "RunLabel",
    "Tenant",
    "UsageEvent",
    "UsageRepricing",
    "User",
    "Workflow",
]

# Tables that carry tenant data: row-level security is enabled and forced on each of them.
TENANT_TABLES: tuple[str, ...] = tuple(
    model.__tablename__
    for model in (
        Tenant,
        Client,
        ApiKey,
        Workflow,
        LadderRung,
        ModelPrice,
        Run,
        RunLabel,
        UsageEvent,
        OutcomeEvent,
        CostCeiling,
        AutonomyGate,
        GateEvaluation,
        AutonomyEvent,
        RevenueEvent,
        RoiBaseline,
        RevenueAllocation,
        RoiWindow,
        RoiDirty,
        ProviderInvoice,
        UsageRepricing,
        RunCost,
        CohortDay,
        LadderReach,
        LadderReachDay,
        LadderReachDirty,
        ProviderCall,
        IngestHealth,
        FailureReasonCode,
        FindingThreshold,
        RunDimension,
        IdentityProvider,
        User,
        Invitation,
        AuditEvent,
    )
)
