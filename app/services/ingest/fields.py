"""Reading one raw ingest record field by field, collecting every problem instead of stopping.

Values arrive either JSON-decoded (str, int, Decimal when the JSON was parsed with
`parse_float=Decimal`, bool, None, list, dict) or already typed by the GraphQL layer (datetime,
Decimal, UUID, enum members). Both are accepted; floats never are for money, because a binary
float cannot carry an exact decimal amount.

A missing or invalid required field yields a placeholder of the right type (``""``, ``EPOCH``,
``0``) and records an error: the caller discards any record whose reader has errors, so
placeholders never reach the database.

Each rule is one `Rule` object, applied to one field (`Reader`) or to one field of many records
at once (`read_column`, which batch reading in `app.services.ingest.records` uses).
"""

from __future__ import annotations

import enum
import functools
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

from app import global_ids
from app.domain.dimensions import MAX_RUN_DIMENSIONS, key_problem, value_problem
from app.domain.money import quantize_money
from app.services.ingest.errors import RecordError

E = TypeVar("E", bound=enum.Enum)

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
BIGINT_MAX = 2**63 - 1
INT_MAX = 2**31 - 1
# NUMERIC(20, 10): at most ten integer digits.
MONEY_LIMIT = Decimal(10) ** 10


class Invalid(Exception):
    """A field value breaks its rule; the message is the one the caller sees."""


@dataclass(frozen=True, slots=True)
class Rule:
    """How one field is read: `convert(value)` gives the typed value (the raw value is None when
    the field is absent or null) or raises Invalid; after a failure the reader uses `placeholder`.

    The rules below are the only statement of the field rules: `Reader`'s methods apply one
    rule to one field, `Reader.read` applies a compiled tuple of them to a whole record, and
    `read_column` applies one to a field of many records at once.

    `quick`, when given, is a shortcut for a whole column: it returns the converted values when
    every value is plainly valid (e.g. a short ASCII string, a small non-negative int), or None
    to make the caller run `convert` on each value. It never decides that a value is invalid,
    and whatever it returns equals what `convert` gives (a property test checks both).
    """

    convert: Callable[[Any], Any]
    placeholder: Any
    quick: Callable[[list[Any]], list[Any] | None] | None = None


def read_column(rule: Rule, values: list[Any]) -> list[Any]:
    """The rule applied to every value of a column; raises Invalid at the first bad value (the
    caller then reads record by record, for every error with its field)."""
    if rule.quick is not None:
        converted = rule.quick(values)
        if converted is not None:
            return converted
    convert = rule.convert
    return [convert(value) for value in values]


def _text_value(value: Any, max_length: int) -> str | None:
    if value is None:
        return None
    if value.__class__ is not str and not isinstance(value, str):
        raise Invalid(f"must be a string, not {_json_type(value)}")
    if len(value) > max_length:
        raise Invalid(f"must be at most {max_length} characters (got {len(value)})")
    if "\x00" in value:
        raise Invalid("must not contain NUL characters")
    if not value.isascii() and not _is_utf8(value):
        # JSON's "\ud800" escape decodes to a lone surrogate, which PostgreSQL cannot store.
        raise Invalid("must be valid Unicode (no unpaired surrogate escapes)")
    return value


@functools.cache
def text_rule(max_length: int) -> Rule:
    """An optional string of at most `max_length` characters; None when absent."""

    def quick(values: list[Any]) -> list[Any] | None:
        for v in values:
            if v is not None and (
                v.__class__ is not str or len(v) > max_length or not v.isascii() or "\x00" in v
            ):
                return None
        return values

    return Rule(lambda value: _text_value(value, max_length), None, quick)


@functools.cache
def required_text_rule(max_length: int) -> Rule:
    """A required, non-blank string of at most `max_length` characters."""

    def convert(value: Any) -> str:
        if value is None:
            raise Invalid("is required")
        text = _text_value(value, max_length)
        if not text.strip():  # type: ignore[union-attr]  # not None: value is not None
            raise Invalid("must not be empty")
        return text  # type: ignore[return-value]

    def quick(values: list[Any]) -> list[Any] | None:
        for v in values:
            if (
                v.__class__ is not str
                or not 0 < len(v) <= max_length
                or not v.isascii()
                or "\x00" in v
                or v.isspace()
            ):
                return None
        return values

    return Rule(convert, "", quick)


def _count_value(value: Any, maximum: int) -> int | None:
    if value is None:
        return None
    if value.__class__ is not int and (isinstance(value, bool) or not isinstance(value, int)):
        raise Invalid(f"must be an integer, not {_json_type(value)}")
    if value < 0:
        raise Invalid(f"must be >= 0 (got {value})")
    if value > maximum:
        raise Invalid(f"must be <= {maximum} (got {value})")
    return value


def _plain_counts(values: list[Any], maximum: int) -> bool:
    """Whether every value is absent (None) or a plain int in [0, `maximum`]: the counts the
    quick paths pass through as they are."""
    for v in values:
        if v is not None and (v.__class__ is not int or not 0 <= v <= maximum):
            return False
    return True


@functools.cache
def optional_count_rule(maximum: int = BIGINT_MAX) -> Rule:
    """A non-negative integer no larger than `maximum`; None when absent."""

    def quick(values: list[Any]) -> list[Any] | None:
        return values if _plain_counts(values, maximum) else None

    return Rule(lambda value: _count_value(value, maximum), None, quick)


@functools.cache
def count_rule(maximum: int = BIGINT_MAX) -> Rule:
    """A non-negative integer that defaults to 0 when absent (token counts)."""

    def quick(values: list[Any]) -> list[Any] | None:
        if not _plain_counts(values, maximum):
            return None
        return [0 if v is None else v for v in values]

    return Rule(lambda value: _count_value(value, maximum) or 0, 0, quick)


def _money_value(value: Any) -> Decimal | None:
    if value is None:
        return None
    if isinstance(value, float):
        raise Invalid('must be an exact decimal (a string such as "0.0125"), not a float')
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
        raise Invalid(f"must be a decimal string or number, not {_json_type(value)}")
    try:
        amount = Decimal(value.strip()) if isinstance(value, str) else Decimal(value)
    except InvalidOperation:
        raise Invalid(f"is not a decimal number: {value!r}") from None
    if not amount.is_finite():
        raise Invalid("must be a finite decimal number")
    if amount < 0:
        raise Invalid(f"must be >= 0 (got {amount})")
    if amount >= MONEY_LIMIT:
        raise Invalid(f"must be below {MONEY_LIMIT:,}")
    return quantize_money(amount)


def _all_absent(values: list[Any]) -> list[Any] | None:
    for v in values:
        if v is not None:
            return None
    return values


MONEY = Rule(_money_value, None, _all_absent)
"""An exact amount >= 0, as a decimal string or a JSON number parsed as Decimal.

Quantized to 10 decimal places; must be below 10^10 (the column's range). None when absent.
Floats, booleans, NaN and infinities are refused."""


def _timestamp_value(value: Any) -> datetime:
    if value is None:
        raise Invalid("is required")
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.strip())
        except ValueError:
            raise Invalid(f"is not an ISO 8601 date-time: {value!r}") from None
    elif isinstance(value, datetime):
        parsed = value
    else:
        raise Invalid(f"must be an ISO 8601 date-time string, not {_json_type(value)}")
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise Invalid("needs a UTC offset (e.g. 2026-03-01T10:00:00Z); naive times are ambiguous")
    try:
        return parsed.astimezone(UTC)
    except OverflowError:
        raise Invalid(f"is out of range: {value!r}") from None


TIMESTAMP = Rule(_timestamp_value, EPOCH)
"""A required ISO 8601 date-time with an offset, returned in UTC; naive ones are refused."""


def _client_id_value(value: Any) -> uuid.UUID | None:
    if value is None:
        return None
    if isinstance(value, uuid.UUID):
        return value
    if isinstance(value, str):
        try:
            return global_ids.client_uuid(value)
        except ValueError:
            pass
    raise Invalid(f"is not a client id (a UUID or a Client.id): {value!r}")


CLIENT_ID = Rule(_client_id_value, None, _all_absent)
"""An optional client id (a UUID); whether it exists is checked against the database."""


@functools.cache
def choice_rule(kind: type[enum.Enum]) -> Rule:
    """A required enum value given by its name (e.g. "LLM")."""
    members = dict(kind.__members__)
    names = ", ".join(members)

    def convert(value: Any) -> enum.Enum:
        if isinstance(value, kind):
            return value
        if value is None:
            raise Invalid("is required")
        if isinstance(value, str) and value in members:
            return members[value]
        raise Invalid(f"must be one of {names} (got {value!r})")

    def quick(values: list[Any]) -> list[Any] | None:
        for v in values:
            if v.__class__ is not str or v not in members:
                return None
        return [members[v] for v in values]

    return Rule(convert, None, quick)


def _dimensions_value(value: Any) -> dict[str, str]:
    """A run's dimension values: a JSON object key → string, or (from GraphQL) a list of
    {key, value} objects; {} when absent. Keys and values are checked by shape here; whether a
    key is declared and a value allowed is checked against the database in validation."""
    if value is None:
        return {}
    pairs: list[tuple[Any, Any]]
    if isinstance(value, Mapping):
        pairs = list(value.items())
    elif isinstance(value, list | tuple):
        pairs = []
        for item in value:
            if not isinstance(item, Mapping) or item.keys() != {"key", "value"}:
                raise Invalid("must be a list of {key, value} objects")
            pairs.append((item["key"], item["value"]))
    else:
        raise Invalid(f"must be an object of dimension key to value, not {_json_type(value)}")
    if len(pairs) > MAX_RUN_DIMENSIONS:
        raise Invalid(f"a run carries at most {MAX_RUN_DIMENSIONS} dimensions (got {len(pairs)})")
    values: dict[str, str] = {}
    for key, item in pairs:
        if not isinstance(key, str):
            raise Invalid("dimension keys must be strings")
        problem = key_problem(key)
        if problem is not None:
            raise Invalid(problem)
        if key in values:
            raise Invalid(f"dimension {key!r} is given twice")
        problem = value_problem(item)
        if problem is not None:
            raise Invalid(f"the value of {key!r} {problem}")
        if not item.isascii() and not _is_utf8(item):
            raise Invalid(f"the value of {key!r} must be valid Unicode")
        values[key] = item
    return dict(sorted(values.items()))


def _no_dimensions(values: list[Any]) -> list[Any] | None:
    for v in values:
        if v is not None:
            return None
    return [{} for _ in values]


DIMENSIONS = Rule(_dimensions_value, {}, _no_dimensions)
"""A run's own dimension values (app.domain.dimensions), sorted by key; {} when absent."""


Fields = tuple[tuple[str, Rule], ...]
"""A record's fields in reading order (the order their errors are reported in)."""


class Reader:
    """Typed access to the fields of one raw record; problems accumulate in `errors`."""

    __slots__ = ("errors", "index", "raw")

    def __init__(self, index: int, raw: Mapping[str, Any], allowed: frozenset[str]) -> None:
        self.index = index
        self.raw = raw
        self.errors: list[RecordError] = []
        if not raw.keys() <= allowed:
            for name in raw:
                if name not in allowed:
                    message = f"unknown field; expected one of {', '.join(sorted(allowed))}"
                    self.fail(str(name), message)

    @property
    def ok(self) -> bool:
        return not self.errors

    def fail(self, field: str, message: str) -> None:
        self.errors.append(RecordError(self.index, field, message))

    def field(self, name: str, rule: Rule) -> Any:
        """One field by its rule (absent and null mean the same for ingest)."""
        try:
            return rule.convert(self.raw.get(name))
        except Invalid as exc:
            self.fail(name, str(exc))
            return rule.placeholder

    def read(self, fields: Fields) -> list[Any]:
        """Every field of `fields`, in order: the typed value, or the placeholder after an error."""
        get = self.raw.get
        values: list[Any] = []
        append = values.append
        for name, rule in fields:
            try:
                append(rule.convert(get(name)))
            except Invalid as exc:
                self.fail(name, str(exc))
                append(rule.placeholder)
        return values

    def text(self, name: str, *, max_length: int) -> str | None:
        """An optional string of at most `max_length` characters; None when absent."""
        return self.field(name, text_rule(max_length))  # type: ignore[no-any-return]

    def required_text(self, name: str, *, max_length: int) -> str:
        """A required, non-blank string of at most `max_length` characters."""
        return self.field(name, required_text_rule(max_length))  # type: ignore[no-any-return]

    def count(self, name: str, *, maximum: int = BIGINT_MAX) -> int:
        """A non-negative integer that defaults to 0 when absent (token counts)."""
        return self.field(name, count_rule(maximum))  # type: ignore[no-any-return]

    def optional_count(self, name: str, *, maximum: int = BIGINT_MAX) -> int | None:
        """A non-negative integer no larger than `maximum`; None when absent."""
        return self.field(name, optional_count_rule(maximum))  # type: ignore[no-any-return]

    def money(self, name: str) -> Decimal | None:
        """An exact amount >= 0 (see MONEY); None when absent."""
        return self.field(name, MONEY)  # type: ignore[no-any-return]

    def timestamp(self, name: str) -> datetime:
        """A required ISO 8601 date-time with an offset, in UTC (see TIMESTAMP)."""
        return self.field(name, TIMESTAMP)  # type: ignore[no-any-return]

    def client_id(self, name: str) -> uuid.UUID | None:
        """An optional client id (a UUID); whether it exists is checked against the database."""
        return self.field(name, CLIENT_ID)  # type: ignore[no-any-return]

    def choice(self, name: str, kind: type[E]) -> E | None:
        """A required enum value given by its name (e.g. "LLM"); None after recording an error."""
        return self.field(name, choice_rule(kind))  # type: ignore[no-any-return]


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
