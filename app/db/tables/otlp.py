"""OTLP ingest bookkeeping: which usage event charges a provider call, and the ingest health."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import BigInteger, Column, Index, SmallInteger, String, Text, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlmodel import Field, SQLModel

from app.db.tables.columns import timestamp_column


class ProviderCall(SQLModel, table=True):
    """The usage event (`event_id`, a span id) that charges one provider call.

    `call_key` is `response:<provider>:<response id>`, or `span:<span id>` when the span
    reports no response id; `detail` is how many token kinds that span reported;
    `parent_span_id` the span's parent (a model-call span nested in another is the same call).
    """

    __tablename__ = "provider_calls"
    __table_args__ = (
        Index("ix_provider_calls_event", "tenant_id", "event_id"),
        Index(
            "ix_provider_calls_parent",
            "tenant_id",
            "parent_span_id",
            postgresql_where=text("parent_span_id IS NOT NULL"),
        ),
    )

    tenant_id: uuid.UUID = Field(primary_key=True)
    call_key: str = Field(sa_column=Column(String(300), primary_key=True))
    event_id: str = Field(sa_column=Column(String(200), nullable=False))
    detail: int = Field(sa_column=Column(SmallInteger, nullable=False))
    parent_span_id: str | None = Field(default=None, sa_column=Column(String(16), nullable=True))


class IngestHealth(SQLModel, table=True):
    """Per UTC day, source (instrumentation scope), workflow and reason: how many spans were
    rejected or stored with less detail than their provider gives; the latest few examples."""

    __tablename__ = "ingest_health"

    tenant_id: uuid.UUID = Field(primary_key=True)
    day: date = Field(primary_key=True)
    source: str = Field(sa_column=Column(String(200), primary_key=True))
    workflow_key: str = Field(sa_column=Column(String(200), primary_key=True))
    reason: str = Field(sa_column=Column(String(300), primary_key=True))
    spans: int = Field(sa_column=Column(BigInteger, nullable=False))
    examples: list[str] = Field(sa_column=Column(ARRAY(Text), nullable=False))
    last_seen_at: datetime = Field(sa_column=timestamp_column())
