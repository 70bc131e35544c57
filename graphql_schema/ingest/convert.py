"""Strawberry ingest inputs → the record mappings `ingest_records` validates.

Fields left null are dropped (absent and null mean the same to ingest); enum members become
their names; DateTime and Decimal values stay typed (the validator accepts them as they are).
"""

from __future__ import annotations

import dataclasses
import enum
from typing import Any

from strawberry.utils.str_converters import to_camel_case


def record_of(kind: str, value: Any) -> dict[str, Any]:
    """`{"type": kind, <camelCase field>: value, …}` for one strawberry input object."""
    record: dict[str, Any] = {"type": kind}
    for field in dataclasses.fields(value):
        item = getattr(value, field.name)
        if item is None:
            continue
        if isinstance(item, list):  # a list of input objects (a run's dimensions)
            item = [
                dataclasses.asdict(x)
                if dataclasses.is_dataclass(x) and not isinstance(x, type)
                else x
                for x in item
            ]
        record[to_camel_case(field.name)] = item.name if isinstance(item, enum.Enum) else item
    return record
