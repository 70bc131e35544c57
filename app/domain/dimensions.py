"""A tenant's own run dimensions (ICP segment, region, deal size band…): the rules, pure.

A dimension is declared by a slug key (`segment`), a description, and either a list of allowed
values or none (free text). A run carries its values as a mapping key → string. Ingest checks a
run's values against the declarations with `check_run_values`; each problem has a stable code:

- UNDECLARED_DIMENSION: the key was never declared (fix: declareRunDimension);
- RETIRED_DIMENSION: the key was retired (fix: declare it again, or drop the value);
- DIMENSION_VALUE_NOT_ALLOWED: the value is not one of the key's allowed values (the message
  lists them; fix: send one of them, or declare the key again with the value added).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

KEY_PATTERN = re.compile(r"[a-z][a-z0-9_]{0,62}")
MAX_KEY_LENGTH = 63
MAX_VALUE_LENGTH = 200
MAX_DESCRIPTION_LENGTH = 500
MAX_ALLOWED_VALUES = 200
MAX_DIMENSIONS = 50  # declared per tenant, retired ones included
MAX_RUN_DIMENSIONS = 20  # values on one run

UNDECLARED = "UNDECLARED_DIMENSION"
RETIRED = "RETIRED_DIMENSION"
NOT_ALLOWED = "DIMENSION_VALUE_NOT_ALLOWED"


@dataclass(frozen=True)
class DeclaredDimension:
    """One declared dimension: `allowed` is None for free text; `retired` refuses new values."""

    key: str
    description: str
    allowed: tuple[str, ...] | None
    retired: bool = False


@dataclass(frozen=True)
class DimensionProblem:
    """Why one value of a run is refused: the key, a stable code and a message with the fix."""

    key: str
    code: str
    message: str


def key_problem(key: str) -> str | None:
    """Why `key` cannot be a dimension key, or None when it can."""
    if not KEY_PATTERN.fullmatch(key):
        return (
            f"{key[:80]!r} is not a dimension key: 1-{MAX_KEY_LENGTH} characters, lowercase "
            "letters, digits and _, starting with a letter (e.g. segment, deal_size)"
        )
    return None


def value_problem(value: object) -> str | None:
    """Why `value` cannot be a dimension value, or None when it can."""
    if not isinstance(value, str):
        return "must be a string"
    if not value.strip():
        return "must not be blank"
    if len(value) > MAX_VALUE_LENGTH:
        return f"must be at most {MAX_VALUE_LENGTH} characters (got {len(value)})"
    if "\x00" in value:
        return "must not contain NUL characters"
    return None


def normalize_allowed(values: Iterable[str]) -> tuple[str, ...]:
    """Allowed values trimmed, blanks and repeats dropped, in the order given."""
    seen: dict[str, None] = {}
    for value in values:
        text = value.strip()
        if text:
            seen.setdefault(text, None)
    return tuple(seen)


def check_run_values(
    values: Mapping[str, str], declared: Mapping[str, DeclaredDimension]
) -> list[DimensionProblem]:
    """Every problem with a run's dimension values, in key order (none: the values are valid)."""
    problems: list[DimensionProblem] = []
    for key in sorted(values):
        value = values[key]
        found = declared.get(key)
        if found is None:
            problems.append(
                DimensionProblem(
                    key,
                    UNDECLARED,
                    f"{UNDECLARED}: no run dimension {key!r} is declared in this tenant; "
                    "declare it with declareRunDimension (or drop the value)",
                )
            )
        elif found.retired:
            problems.append(
                DimensionProblem(
                    key,
                    RETIRED,
                    f"{RETIRED}: run dimension {key!r} is retired and takes no new values; "
                    "declare it again with declareRunDimension (or drop the value)",
                )
            )
        elif found.allowed is not None and value not in found.allowed:
            allowed = ", ".join(repr(v) for v in found.allowed)
            problems.append(
                DimensionProblem(
                    key,
                    NOT_ALLOWED,
                    f"{NOT_ALLOWED}: {value[:80]!r} is not an allowed value of run dimension "
                    f"{key!r}; allowed: {allowed} (add it with declareRunDimension)",
                )
            )
    return problems
