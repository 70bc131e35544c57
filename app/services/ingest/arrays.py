"""Shaping rows for `unnest($1::…[], $2::…[], …)`: one Python list per column."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from typing import Any, TypeVar

T = TypeVar("T")


def columns(rows: Sequence[Sequence[Any]], width: int) -> list[list[Any]]:
    """Row tuples of `width` values → `width` column lists (empty lists for no rows)."""
    return [[row[i] for row in rows] for i in range(width)]


def unique_sorted(items: Sequence[T], key: Callable[[T], Hashable]) -> list[T]:
    """The first occurrence of each key, ordered by key (a stable lock order across batches)."""
    first: dict[Any, T] = {}
    for item in items:
        first.setdefault(key(item), item)
    return [first[k] for k in sorted(first)]


def counted(insert: str) -> str:
    """`insert` (an `INSERT … SELECT … ON CONFLICT …` without RETURNING) as a statement whose
    one value is the number of rows it wrote. Exact on one PostgreSQL and on Citus, where the
    command tag of such an insert counts the rows offered."""
    return f"WITH written AS ({insert.strip()}\nRETURNING 1)\nSELECT count(*) FROM written"
