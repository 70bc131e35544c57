"""Providers' monthly invoices: what was billed, to reconcile the rack-rate LLM costs with."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Column, Date
from sqlmodel import Field, SQLModel

from app.db.tables.columns import created_at_column, money_column, references_tenant


class ProviderInvoice(SQLModel, table=True):
    """One provider's invoice for one UTC month (`month` = its first day), in USD."""

    __tablename__ = "provider_invoices"
    __table_args__ = (references_tenant(),)

    tenant_id: uuid.UUID = Field(primary_key=True)
    provider: str = Field(primary_key=True, max_length=100)
    month: date = Field(sa_column=Column(Date, primary_key=True))
    amount: Decimal = Field(sa_column=money_column())
    recorded_by: str = Field(max_length=200)
    recorded_at: datetime | None = Field(default=None, sa_column=created_at_column())
