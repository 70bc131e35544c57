"""Reading one raw ingest record field by field, collecting every problem instead of stopping.

Values arrive either JSON-decoded (str, int, Decimal when the JSON was parsed with
`parse_float=Decimal`, bool, None, list, dict) or already typed by the GraphQL layer (datetime,
Decimal, UUID, enum members). Both are accepted; floats never are for money, because a binary
float cannot carry an exact decimal amount.

A missing or invalid required field yields a placeholder of the right type (``""``, ``EPOCH``,
``0``) and records an error: the caller discards any record whose reader has errors, so
placeholders never reach the database.
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

from app.domain.money import quantize_money
from app.services.ingest.errors import RecordError

E = TypeVar("E", bound=enum.Enum)

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
BIGINT_MAX = 2**63 - 1
INT_MAX = 2**31 - 1
# NUMERIC(20, 10): at most ten integer digits.
MONEY_LIMIT = Decimal(10) ** 10


class Reader:
    """Typed access to the fields of one raw record; problems accumulate in `errors`."""

    def __init__(self, index: int, raw: Mapping[str, Any], allowed: frozenset[str]) -> None:
        self.index = index
        self.raw = raw
        self.errors: list[RecordError] = []
        for name in raw:
            if name not in allowed:
                self.fail(str(name), f"unknown field; expected one of {', '.join(sorted(allowed))}")

    @property
    def ok(self) -> bool:
        return not self.errors

    def fail(self, field: str, message: str) -> None:
        self.errors.append(RecordError(self.index, field, message))

    def _value(self, name: str) -> Any:
        """The raw value; None when absent or null (the two mean the same for ingest)."""
        return self.raw.get(name)

    # -- strings ---------------------------------------------------------------------------

    def text(self, name: str, *, max_length: int) -> str | None:
        """An optional string of at most `max_length` characters; None when absent."""
        value = self._value(name)
        if value is None:
            return None
        if not isinstance(value, str):
            self.fail(name, f"must be a string, not {_json_type(value)}")
            return None
        if len(value) > max_length:
            self.fail(name, f"must be at most {max_length} characters (got {len(value)})")
            return None
        if "\x00" in value:
            self.fail(name, "must not contain NUL characters")
            return None
        if not value.isascii() and not _is_utf8(value):
            # JSON's "\ud800" escape decodes to a lone surrogate, which PostgreSQL cannot store.
            self.fail(name, "must be valid Unicode (no unpaired surrogate escapes)")
            return None
        return value

    def required_text(self, name: str, *, max_length: int) -> str:
        """A required, non-blank string of at most `max_length` characters."""
        if self._value(name) is None:
            self.fail(name, "is required")
            return ""
        value = self.text(name, max_length=max_length)
        if value is not None and not value.strip():
            self.fail(name, "must not be empty")
            return ""
        return value or ""

    # -- numbers ---------------------------------------------------------------------------

    def count(self, name: str, *, maximum: int = BIGINT_MAX) -> int:
        """A non-negative integer that defaults to 0 when absent (token counts)."""
        return self.optional_count(name, maximum=maximum) or 0

    def optional_count(self, name: str, *, maximum: int = BIGINT_MAX) -> int | None:
        """A non-negative integer no larger than `maximum`; None when absent."""
        value = self._value(name)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(name, f"must be an integer, not {_json_type(value)}")
            return None
        if value < 0:
            self.fail(name, f"must be >= 0 (got {value})")
            return None
        if value > maximum:
            self.fail(name, f"must be <= {maximum} (got {value})")
            return None
        return value

    def money(self, name: str) -> Decimal | None:
        """An exact amount >= 0, as a decimal string or a JSON number parsed as Decimal.

        Quantized to 10 decimal places; must be below 10^10 (the column's range). None when
        absent. Floats, booleans, NaN and infinities are refused.
        """
        value = self._value(name)
        if value is None:
            return None
        if isinstance(value, float):
            self.fail(name, 'must be an exact decimal (a string such as "0.0125"), not a float')
            return None
        if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
            self.fail(name, f"must be a decimal string or number, not {_json_type(value)}")
            return None
        try:
            amount = Decimal(value.strip()) if isinstance(value, str) else Decimal(value)
        except InvalidOperation:
            self.fail(name, f"is not a decimal number: {value!r}")
            return None
        if not amount.is_finite():
            self.fail(name, "must be a finite decimal number")
            return None
        if amount < 0:
            self.fail(name, f"must be >= 0 (got {amount})")
            return None
        if amount >= MONEY_LIMIT:
            self.fail(name, f"must be below {MONEY_LIMIT:,}")
            return None
        return quantize_money(amount)

    # -- time, ids, enums --------------------------------------------------------------------

    def timestamp(self, name: str) -> datetime:
        """A required ISO 8601 date-time with an offset, returned in UTC; naive ones are refused."""
        value = self._value(name)
        if value is None:
            self.fail(name, "is required")
            return EPOCH
        if isinstance(value, str):
            try:
                parsed = datetime.fromisoformat(value.strip())
            except ValueError:
                self.fail(name, f"is not an ISO 8601 date-time: {value!r}")
                return EPOCH
        elif isinstance(value, datetime):
            parsed = value
        else:
            self.fail(name, f"must be an ISO 8601 date-time string, not {_json_type(value)}")
            return EPOCH
        if parsed.tzinfo is None or parsed.utcoffset() is None:
            self.fail(
                name, "needs a UTC offset (e.g. 2026-03-01T10:00:00Z); naive times are ambiguous"
            )
            return EPOCH
        try:
            return parsed.astimezone(UTC)
        except OverflowError:
            self.fail(name, f"is out of range: {value!r}")
            return EPOCH

    def client_id(self, name: str) -> uuid.UUID | None:
        """An optional client id (a UUID); whether it exists is checked against the database."""
        value = self._value(name)
        if value is None:
            return None
        if isinstance(value, uuid.UUID):
            return value
        if isinstance(value, str):
            try:
                return uuid.UUID(value.strip())
            except ValueError:
                pass
        self.fail(name, f"is not a client id (a UUID): {value!r}")
        return None

    def choice(self, name: str, kind: type[E]) -> E | None:
        """A required enum value given by its name (e.g. "LLM"); None after recording an error."""
        value = self._value(name)
        if isinstance(value, kind):
            return value
        if value is None:
            self.fail(name, "is required")
            return None
        if isinstance(value, str) and value in kind.__members__:
            return kind[value]
        self.fail(name, f"must be one of {', '.join(kind.__members__)} (got {value!r})")
        return None


def _json_type(value: object) -> str:
    """The JSON name of a value's type, for messages a caller of a JSON API understands."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | Decimal | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list | tuple):
        return "an array"
    if isinstance(value, Mapping):
        return "an object"
    return type(value).__name__


def _is_utf8(value: str) -> bool:
    """False when `value` holds an unpaired surrogate (no UTF-8 encoding exists)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
