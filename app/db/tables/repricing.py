"""Audit of repricing: what a price-book change did to each priced usage event's cost."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

from sqlalchemy import Column, ForeignKeyConstraint, String
from sqlmodel import Field, SQLModel

from app.db.tables.columns import money_column, timestamp_column


class UsageRepricing(SQLModel, table=True):
    """One repricing of one event: cost (USD) and price version (`effective_from`) old → new.

    `old_price_from` is None for an event priced before price versions were recorded.
    """

    __tablename__ = "usage_repricings"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "event_id"],
            ["usage_events.tenant_id", "usage_events.event_id"],
            ondelete="CASCADE",
        ),
    )

    tenant_id: uuid.UUID = Field(primary_key=True)
    event_id: str = Field(sa_column=Column(String(200), primary_key=True))
    repriced_at: datetime = Field(sa_column=timestamp_column(primary_key=True))
    old_cost: Decimal = Field(sa_column=money_column())
    new_cost: Decimal = Field(sa_column=money_column())
    old_price_from: datetime | None = Field(default=None, sa_column=timestamp_column(nullable=True))
    new_price_from: datetime = Field(sa_column=timestamp_column())
