"""Errors of the write services: per-record problems as data, configuration ones as exceptions."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RecordError:
    """One problem with one ingested record.

    `index` is the record's 0-based position in the batch; `field` is the contract's camelCase
    name of the offending field (e.g. "inputTokens", "occurredAt", "workflowKey", or "type";
    "dimensions.<key>" for one run dimension). `code` is a stable code for problems a client
    may handle by code (e.g. UNDECLARED_DIMENSION, app.domain.dimensions); None for the others.
    """

    index: int
    field: str
    message: str
    code: str | None = None


class FieldError(ValueError):
    """A configuration write (workflow, price, client) refused because of one named field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class BatchTooLarge(ValueError):
    """A batch with more records than `settings.max_batch_records`; refused before any work."""

    def __init__(self, count: int, limit: int) -> None:
        super().__init__(f"a batch holds at most {limit} records; got {count}")
        self.count = count
        self.limit = limit
