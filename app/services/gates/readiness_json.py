"""Readiness as JSON (stored with every evaluation and every promotion decision) and back.

The JSON keeps every number and sentence the caller saw, so the audit trail shows *why* a
decision was taken even after the gate or the data changed. Keys are the contract's camelCase.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from app.domain.gates import CheckStatus, GateCheck
from app.domain.readiness import Readiness

CHECKS = ("quality", "cost", "drift")


def check_to_json(check: GateCheck) -> dict[str, Any]:
    return {
        "status": check.status.value,
        "observed": check.observed,
        "bound": check.bound,
        "threshold": check.threshold,
        "sampleSize": check.sample_size,
        "detail": check.detail,
    }


def check_from_json(data: dict[str, Any]) -> GateCheck:
    return GateCheck(
        status=CheckStatus(data["status"]),
        observed=data.get("observed"),
        bound=data.get("bound"),
        threshold=data.get("threshold"),
        sample_size=int(data.get("sampleSize", 0)),
        detail=str(data.get("detail", "")),
    )


def readiness_to_json(readiness: Readiness) -> dict[str, Any]:
    return {
        "workflowKey": readiness.workflow_key,
        "currentLevel": readiness.current_level,
        "targetLevel": readiness.target_level,
        "ready": readiness.ready,
        "status": readiness.status.value,
        **{name: check_to_json(getattr(readiness, name)) for name in CHECKS},
        "blockers": list(readiness.blockers),
        "evaluatedAt": readiness.evaluated_at.isoformat(),
    }


def readiness_from_json(data: dict[str, Any]) -> Readiness:
    return Readiness(
        workflow_key=str(data["workflowKey"]),
        current_level=int(data["currentLevel"]),
        target_level=data.get("targetLevel"),
        ready=bool(data["ready"]),
        quality=check_from_json(data["quality"]),
        cost=check_from_json(data["cost"]),
        drift=check_from_json(data["drift"]),
        blockers=tuple(data.get("blockers", ())),
        evaluated_at=datetime.fromisoformat(data["evaluatedAt"]),
    )
