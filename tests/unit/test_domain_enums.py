"""Enums: values equal names, failure statuses in canonical order."""

from __future__ import annotations

from app.domain.enums import FAILURE_STATUSES, RunStatus, UsageKind


def test_run_status_members_and_values() -> None:
    assert [s.value for s in RunStatus] == [
        "RUNNING",
        "ACCEPTED",
        "REJECTED",
        "ABANDONED",
        "TIMED_OUT",
        "TOOL_ERROR",
        "ESCALATED",
    ]
    for status in RunStatus:
        assert status.value == status.name
        assert isinstance(status, str)
        assert status == status.value  # compares equal to its plain string
        assert f"{status}" == status.value
        assert RunStatus(status.value) is status


def test_failure_statuses_are_the_five_failures_in_order() -> None:
    assert FAILURE_STATUSES == (
        RunStatus.REJECTED,
        RunStatus.ABANDONED,
        RunStatus.TIMED_OUT,
        RunStatus.TOOL_ERROR,
        RunStatus.ESCALATED,
    )
    assert RunStatus.ACCEPTED not in FAILURE_STATUSES
    assert RunStatus.RUNNING not in FAILURE_STATUSES
    assert set(FAILURE_STATUSES) | {RunStatus.RUNNING, RunStatus.ACCEPTED} == set(RunStatus)


def test_usage_kind_members_and_values() -> None:
    assert [k.value for k in UsageKind] == ["LLM", "TOOL", "RETRIEVAL", "THIRD_PARTY", "INFRA"]
    for kind in UsageKind:
        assert kind.value == kind.name
        assert isinstance(kind, str)
