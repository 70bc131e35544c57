"""Domain results and stored rows → the GraphQL types of gates."""

from __future__ import annotations

import strawberry

from app import global_ids
from app.db.tables import AutonomyEvent as EventRow
from app.db.tables import AutonomyGate as GateRow
from app.db.tables import GateEvaluation as EvaluationRow
from app.domain import gates as domain
from app.domain.readiness import AutonomyEventKind, Readiness
from app.services.gates.readiness_json import readiness_from_json
from graphql_schema.costs.enums import CheckStatus
from graphql_schema.gates.types import AutonomyEvent, GateEvaluation
from graphql_schema.readiness.types import AutonomyGate, AutonomyReadiness, GateCheck


def gate_type(row: GateRow) -> AutonomyGate:
    return AutonomyGate(
        id=strawberry.ID(
            global_ids.encode("AutonomyGate", str(row.workflow_id), row.target_level, row.version)
        ),
        target_level=row.target_level,
        min_acceptance_rate=row.min_acceptance_rate,
        min_sample_size=row.min_sample_size,
        confidence=row.confidence,
        max_cost_per_outcome=row.max_cost_per_outcome,
        max_drift_pct=row.max_drift_pct,
        window_days=row.window_days,
        auto_demote_after=row.auto_demote_after,
        version=row.version,
        set_by=row.set_by,
        set_at=row.set_at,
    )


def status_type(status: domain.CheckStatus) -> CheckStatus:
    return CheckStatus[status.value]


def check_type(check: domain.GateCheck) -> GateCheck:
    return GateCheck(
        status=status_type(check.status),
        observed=check.observed,
        bound=check.bound,
        threshold=check.threshold,
        sample_size=check.sample_size,
        detail=check.detail,
    )


def readiness_type(readiness: Readiness) -> AutonomyReadiness:
    return AutonomyReadiness(
        workflow_key=readiness.workflow_key,
        current_level=readiness.current_level,
        target_level=readiness.target_level,
        ready=readiness.ready,
        quality=check_type(readiness.quality),
        cost=check_type(readiness.cost),
        drift=check_type(readiness.drift),
        blockers=list(readiness.blockers),
        evaluated_at=readiness.evaluated_at,
    )


def evaluation_type(row: EvaluationRow) -> GateEvaluation:
    readiness = readiness_from_json(row.readiness)
    return GateEvaluation(
        id=strawberry.ID(global_ids.encode("GateEvaluation", str(row.evaluation_id))),
        evaluated_at=row.evaluated_at,
        target_level=row.target_level,
        gate_version=row.gate_version,
        workflow_level=row.workflow_level,
        status=CheckStatus[row.status],
        quality=check_type(readiness.quality),
        cost=check_type(readiness.cost),
        drift=check_type(readiness.drift),
        blockers=list(readiness.blockers),
    )


def event_type(row: EventRow) -> AutonomyEvent:
    return AutonomyEvent(
        id=strawberry.ID(global_ids.encode("AutonomyEvent", str(row.event_id))),
        at=row.at,
        kind=AutonomyEventKind(row.kind),
        actor=row.actor,
        from_level=row.from_level,
        requested_level=row.requested_level,
        level=row.level_after,
        reason=row.reason,
        readiness=readiness_type(readiness_from_json(row.readiness)) if row.readiness else None,
    )
