"""Enumerations shared by the whole domain: run statuses and usage kinds.

Values equal names, so they round-trip unchanged through GraphQL enums, PostgreSQL text
columns and JSON payloads. Both are :class:`enum.StrEnum` (a ``str`` and an ``Enum``), so
``str(RunStatus.ACCEPTED)`` and f-strings give ``"ACCEPTED"``, never ``"RunStatus.ACCEPTED"``.
"""

from __future__ import annotations

import enum


class RunStatus(enum.StrEnum):
    """Status of one task attempt (a run).

    ``RUNNING`` is the initial state; every other member is a terminal label set by a reviewer
    or a system signal. Only ``ACCEPTED`` can become an outcome; the other five are failures.
    """

    RUNNING = "RUNNING"
    ACCEPTED = "ACCEPTED"
    REJECTED = "REJECTED"
    ABANDONED = "ABANDONED"
    TIMED_OUT = "TIMED_OUT"
    TOOL_ERROR = "TOOL_ERROR"
    ESCALATED = "ESCALATED"


FAILURE_STATUSES: tuple[RunStatus, ...] = (
    RunStatus.REJECTED,
    RunStatus.ABANDONED,
    RunStatus.TIMED_OUT,
    RunStatus.TOOL_ERROR,
    RunStatus.ESCALATED,
)
"""The five failure statuses, in the order every failure breakdown lists them."""


class UsageKind(enum.StrEnum):
    """What a usage event metered."""

    LLM = "LLM"
    TOOL = "TOOL"
    RETRIEVAL = "RETRIEVAL"
    THIRD_PARTY = "THIRD_PARTY"
    INFRA = "INFRA"
