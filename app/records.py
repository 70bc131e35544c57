"""Building a dataclass from a record that shares its field names: a row, a domain result, or a
mapping of columns.

`copy_fields(cls, source, **overrides)` takes every constructor field of `cls` from the attribute
of the same name on `source` (an ORM row, a domain dataclass); `copy_columns(cls, row,
**overrides)` takes it from the key of the same name in `row` (a SQL result's mapping). In both,
`overrides` supply the fields that are converted, computed, or named differently. A field the
source lacks and no override gives is an error (AttributeError, KeyError), never a silent
default. `cls`'s own checks (`__post_init__`) run as with a plain call.

Pure, no I/O: shared by the services (rows to domain records) and the GraphQL layer (records to
strawberry types, `graphql_schema.shaping`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any, TypeVar

T = TypeVar("T")


_FIELDS: dict[type, tuple[str, ...]] = {}


def _constructor_fields(cls: type) -> tuple[str, ...]:
    names = _FIELDS.get(cls)
    if names is None:
        names = _FIELDS[cls] = tuple(f.name for f in dataclasses.fields(cls) if f.init)
    return names


def copy_fields(cls: type[T], source: object, **overrides: Any) -> T:
    """`cls(...)`: each field from `source`'s attribute of the same name unless overridden."""
    values = {
        name: getattr(source, name) for name in _constructor_fields(cls) if name not in overrides
    }
    return cls(**values, **overrides)


def copy_columns(cls: type[T], row: Mapping[Any, Any], **overrides: Any) -> T:
    """`cls(...)`: each field from `row`'s key of the same name unless overridden."""
    values = {name: row[name] for name in _constructor_fields(cls) if name not in overrides}
    return cls(**values, **overrides)
