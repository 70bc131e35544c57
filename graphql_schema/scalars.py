"""The Decimal scalar: exact money as a JSON string in fixed-point notation.

Strawberry's built-in Decimal prints `str(value)`, so a stored NUMERIC(20, 10) zero comes out as
"0E-10". Here every value is printed with `format(value, "f")` ("0.0000000000"), and input is
parsed from a string or number without passing through float arithmetic; NaN and infinities are
refused.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

import strawberry
from strawberry.types.scalar import ScalarDefinition


def serialize_decimal(value: Decimal) -> str:
    return format(value, "f")


def parse_decimal(value: object) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, str | int | float | Decimal):
        raise ValueError("expected a decimal number as a string, e.g. \"12.50\"")
    try:
        parsed = Decimal(str(value).strip())
    except InvalidOperation as exc:
        raise ValueError(f"{value!r} is not a decimal number") from exc
    if not parsed.is_finite():
        raise ValueError("a decimal must be finite (no NaN or Infinity)")
    return parsed


DECIMAL: ScalarDefinition = strawberry.scalar(
    name="Decimal",
    description='Exact decimal as a JSON string, e.g. "5.2631578947"; money is never a float.',
    serialize=serialize_decimal,
    parse_value=parse_decimal,
)

SCALAR_MAP: dict[object, ScalarDefinition] = {Decimal: DECIMAL}
