"""Parsing revenue ingest records: signed whole cents, a required client, optional links."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest

from app.services.ingest.records import parse_record
from app.services.ingest.revenue import RevenueRecord

ACME = "6f1c2a4e-0000-4000-8000-000000000001"


def revenue(**fields: object) -> dict[str, object]:
    return {
        "type": "revenue",
        "eventId": "deal-1",
        "clientId": ACME,
        "amount": "1250.00",
        "occurredAt": "2026-03-04T10:00:00+01:00",
        **fields,
    }


def problems(raw: dict[str, object]) -> list[tuple[str, str]]:
    return [(e.field, e.message) for e in parse_record(0, raw)[1]]


def test_a_full_record_parses_to_utc_and_exact_cents() -> None:
    record, errors = parse_record(
        3,
        revenue(workflowKey="outreach", subject="lead-7", correlationId="run-1", kind="deal_won"),
    )
    assert errors == []
    assert isinstance(record, RevenueRecord)
    assert (record.index, record.client_id) == (3, uuid.UUID(ACME))
    assert record.amount == Decimal("1250.00")
    assert record.occurred_at.isoformat() == "2026-03-04T09:00:00+00:00"
    assert (record.workflow_key, record.subject, record.correlation_id, record.kind) == (
        "outreach",
        "lead-7",
        "run-1",
        "deal_won",
    )


@pytest.mark.parametrize("amount", ["-120.50", "0", 7, Decimal("99.9"), "12.3400000000", " 5.00 "])
def test_refunds_zero_and_whole_cents_are_accepted(amount: object) -> None:
    assert problems(revenue(amount=amount)) == []


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("1.005", "whole cents"),
        (1.5, "not a float"),
        ("NaN", "finite"),
        ("ten", "not a decimal"),
        ("10000000000.00", "below"),
        ("-10000000000", "above"),
        (True, "decimal string or number"),
        (None, "is required"),
    ],
)
def test_bad_amounts_are_refused_naming_the_field(amount: object, message: str) -> None:
    [(field, text)] = problems(revenue(amount=amount))
    assert field == "amount" and message in text


def test_the_client_is_required_and_unknown_fields_are_refused() -> None:
    raw = revenue(clientId=None, team="sales")
    assert sorted(field for field, _ in problems(raw)) == ["clientId", "team"]
    assert problems(revenue(clientId="acme"))[0][0] == "clientId"
