"""The tenant's price book: effective-dated per-million-token prices per (provider, model)."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.db.tables import ModelPrice
from app.domain.money import quantize_money
from app.domain.pricing import Price
from app.services.ingest.errors import FieldError

PROVIDER_LENGTH = 100
MODEL_LENGTH = 200
# NUMERIC(20, 10): at most ten integer digits.
RATE_LIMIT = Decimal(10) ** 10
RATE_COLUMNS = (
    "input_per_million",
    "output_per_million",
    "cache_read_per_million",
    "cache_write_per_million",
    "reasoning_per_million",
)

PRICE_FIELDS = ("provider", "model", "effective_from", *RATE_COLUMNS)


def price_row(tenant_id: uuid.UUID, price: Price) -> dict[str, Any]:
    """The `model_prices` row of a checked price."""
    return {"tenant_id": tenant_id, **{field: getattr(price, field) for field in PRICE_FIELDS}}


async def set_model_price(*, session: AsyncSession, tenant_id: uuid.UUID, price: Price) -> Price:
    """Insert, or replace, the price of (provider, model) in force from `price.effective_from`.

    Rates are USD per million tokens, >= 0 and below 10^10, rounded to 10 decimal places. A
    cache or reasoning rate left None falls back as app.domain.pricing says (cache → input
    rate, reasoning → output rate). Usage already stored keeps the cost it was priced at.
    Raises FieldError naming the contract field ("provider", "effectiveFrom", "inputPerMillion"…).
    Returns the price as stored (rates rounded).
    """
    checked = make_price(**{field: getattr(price, field) for field in PRICE_FIELDS})
    statement = insert(ModelPrice).values(price_row(tenant_id, checked))
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=["tenant_id", "provider", "model", "effective_from"],
            set_={column: statement.excluded[column] for column in RATE_COLUMNS},
        )
    )
    return checked


async def add_model_price_if_absent(
    *, session: AsyncSession, tenant_id: uuid.UUID, price: Price
) -> Price | None:
    """Insert the price unless the tenant already has one for (provider, model,
    effective_from); never overwrites. Returns None when inserted, else the price already there
    (the tenant's own, left untouched). Validation as in set_model_price.
    """
    checked = make_price(**{field: getattr(price, field) for field in PRICE_FIELDS})
    inserted = await session.execute(
        insert(ModelPrice)
        .values(price_row(tenant_id, checked))
        .on_conflict_do_nothing(index_elements=["tenant_id", "provider", "model", "effective_from"])
        .returning(col(ModelPrice.provider))
    )
    if inserted.first() is not None:
        return None
    existing = (
        await session.execute(
            select(ModelPrice).where(
                col(ModelPrice.tenant_id) == tenant_id,
                col(ModelPrice.provider) == checked.provider,
                col(ModelPrice.model) == checked.model,
                col(ModelPrice.effective_from) == checked.effective_from,
            )
        )
    ).scalar_one()
    return Price(
        provider=existing.provider,
        model=existing.model,
        effective_from=existing.effective_from,
        **{column: getattr(existing, column) for column in RATE_COLUMNS},
    )


def make_price(
    *,
    provider: str,
    model: str,
    effective_from: datetime,
    input_per_million: Decimal,
    output_per_million: Decimal,
    cache_read_per_million: Decimal | None = None,
    cache_write_per_million: Decimal | None = None,
    reasoning_per_million: Decimal | None = None,
) -> Price:
    """A domain Price from untrusted input, or FieldError naming the first bad field.

    (Price itself refuses a bad rate with a plain ValueError; this names the contract field.)
    """
    return Price(
        provider=_name("provider", provider, PROVIDER_LENGTH),
        model=_name("model", model, MODEL_LENGTH),
        effective_from=_aware("effectiveFrom", effective_from),
        input_per_million=_rate("inputPerMillion", input_per_million),
        output_per_million=_rate("outputPerMillion", output_per_million),
        cache_read_per_million=_optional_rate("cacheReadPerMillion", cache_read_per_million),
        cache_write_per_million=_optional_rate("cacheWritePerMillion", cache_write_per_million),
        reasoning_per_million=_optional_rate("reasoningPerMillion", reasoning_per_million),
    )


def _name(field: str, value: str, max_length: int) -> str:
    if not value.strip():
        raise FieldError(field, "must not be empty")
    if len(value) > max_length:
        raise FieldError(field, f"must be at most {max_length} characters")
    return value


def _aware(field: str, value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise FieldError(field, "needs a UTC offset (e.g. 2026-03-01T00:00:00Z)")
    return value


def _rate(field: str, value: Decimal) -> Decimal:
    if not value.is_finite() or value < 0:
        raise FieldError(field, f"must be a finite rate >= 0 (got {value})")
    if value >= RATE_LIMIT:
        raise FieldError(field, f"must be below {RATE_LIMIT:,}")
    return quantize_money(value)


def _optional_rate(field: str, value: Decimal | None) -> Decimal | None:
    return None if value is None else _rate(field, value)
