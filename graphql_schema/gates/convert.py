"""Domain results and stored rows → the GraphQL types of gates."""

from __future__ import annotations

from typing import Any

from app.db.tables import AutonomyEvent as EventRow
from app.db.tables import AutonomyGate as GateRow
from app.db.tables import GateEvaluation as EvaluationRow
from app.domain import gates as domain
from app.domain.readiness import AutonomyEventKind, Readiness
from app.services.gates.readiness_json import readiness_from_json
from graphql_schema.costs.enums import CheckStatus
from graphql_schema.gates.types import AutonomyEvent, GateEvaluation
from graphql_schema.nodes.interface import opaque_id
from graphql_schema.readiness.types import AutonomyGate, AutonomyReadiness, GateCheck
from graphql_schema.shaping import copy_fields


def gate_type(row: GateRow) -> AutonomyGate:
    opaque = opaque_id("AutonomyGate", str(row.workflow_id), row.target_level, row.version)
    return copy_fields(AutonomyGate, row, id=opaque)


def status_type(status: domain.CheckStatus) -> CheckStatus:
    return CheckStatus[status.value]


def check_type(check: domain.GateCheck) -> GateCheck:
    return copy_fields(GateCheck, check, status=status_type(check.status))


def _checks_of(readiness: Readiness) -> dict[str, Any]:
    """The three checks and the blockers of a readiness, as the fields AutonomyReadiness and
    GateEvaluation both show them."""
    return {
        "quality": check_type(readiness.quality),
        "cost": check_type(readiness.cost),
        "drift": check_type(readiness.drift),
        "blockers": list(readiness.blockers),
    }


def readiness_type(readiness: Readiness) -> AutonomyReadiness:
    return copy_fields(AutonomyReadiness, readiness, **_checks_of(readiness))


def evaluation_type(row: EvaluationRow) -> GateEvaluation:
    return copy_fields(
        GateEvaluation,
        row,
        id=opaque_id("GateEvaluation", str(row.evaluation_id)),
        status=CheckStatus[row.status],
        **_checks_of(readiness_from_json(row.readiness)),
    )


def event_type(row: EventRow) -> AutonomyEvent:
    return copy_fields(
        AutonomyEvent,
        row,
        id=opaque_id("AutonomyEvent", str(row.event_id)),
        kind=AutonomyEventKind(row.kind),
        level=row.level_after,
        readiness=readiness_type(readiness_from_json(row.readiness)) if row.readiness else None,
    )
