"""Building a strawberry type from a record (a row, a domain result) that shares its field names.

`copy_fields(cls, source, **overrides)` takes every constructor field of `cls` from the attribute
of the same name on `source`; `overrides` supply the fields that are converted (an enum, an
opaque id), computed, or named differently. A field `source` lacks and no override gives is an
AttributeError, never a silent default.
"""

from __future__ import annotations

import dataclasses
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
