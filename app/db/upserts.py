"""The `SET` of an upsert (`INSERT ... ON CONFLICT ... DO UPDATE`) written by SQLAlchemy.

`excluded_values(statement, *columns)` is the `set_` that stores each of `columns` as the insert
proposed it (`column = EXCLUDED.column`), so an upsert names each column it overwrites once.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects.postgresql import Insert


def excluded_values(statement: Insert, *columns: str) -> dict[str, Any]:
    """`{column: EXCLUDED.column}` for each of `columns`, for `statement.on_conflict_do_update`."""
    return {column: statement.excluded[column] for column in columns}
