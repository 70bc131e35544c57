"""The Decimal scalar: exact money as a JSON string in fixed-point notation.

Strawberry's built-in Decimal prints `str(value)`, so a stored NUMERIC(20, 10) zero comes out as
"0E-10". Here every value is printed with `format(value, "f")` ("0.0000000000"), and input is
parsed from a string or number without passing through float arithmetic; NaN and infinities are
refused.
"""

from __future__ import annotations

import dataclasses
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

import strawberry
from strawberry.schema.types.base_scalars import DateDefinition, DateTimeDefinition
from strawberry.types.scalar import ScalarDefinition

# The documents each custom scalar follows (`@specifiedBy(url:)` in the SDL). Decimal output is
# the lexical form of XML Schema's decimal (sign, digits, optional fraction; no exponent), in a
# JSON string; DateTime output is RFC 3339 as the GraphQL Scalars date-time specification says.
DECIMAL_SPEC = "https://www.w3.org/TR/xmlschema11-2/#decimal"
DATETIME_SPEC = "https://scalars.graphql.org/andimarek/date-time"
# Date output is RFC 3339's full-date ("2026-03-01").
DATE_SPEC = "https://www.rfc-editor.org/rfc/rfc3339#section-5.6"


def serialize_decimal(value: Decimal) -> str:
    return format(value, "f")


def parse_decimal(value: object) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, str | int | float | Decimal):
        raise ValueError('expected a decimal number as a string, e.g. "12.50"')
    try:
        parsed = Decimal(str(value).strip())
    except InvalidOperation as exc:
        raise ValueError(f"{value!r} is not a decimal number") from exc
    if not parsed.is_finite():
        raise ValueError("a decimal must be finite (no NaN or Infinity)")
    return parsed


DECIMAL: ScalarDefinition = strawberry.scalar(
    name="Decimal",
    description='Exact decimal as a JSON string in fixed-point notation, e.g. "5.2631578947"; '
    "money is never a float. Input: such a string (or a JSON number).",
    serialize=serialize_decimal,
    parse_value=parse_decimal,
    specified_by_url=DECIMAL_SPEC,
)

# strawberry's own DateTime (ISO 8601 out, dateutil's isoparse in), with its specification named.
DATETIME: ScalarDefinition = dataclasses.replace(
    DateTimeDefinition,
    description="An ISO 8601 date-time with a UTC offset (RFC 3339), e.g. "
    '"2026-03-01T09:00:00+00:00"; UTC on output.',
    specified_by_url=DATETIME_SPEC,
)

# strawberry's own Date (a UTC day), with its specification named.
DATE: ScalarDefinition = dataclasses.replace(
    DateDefinition,
    description='A calendar day (RFC 3339 full-date), e.g. "2026-03-01"; days are UTC days.',
    specified_by_url=DATE_SPEC,
)

SCALAR_MAP: dict[object, ScalarDefinition] = {Decimal: DECIMAL, datetime: DATETIME, date: DATE}
