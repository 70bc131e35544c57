"""app.records: a dataclass built from a record or a mapping that shares its field names."""

from __future__ import annotations

from dataclasses import dataclass, field
from types import SimpleNamespace

import pytest

from app.records import copy_columns, copy_fields


@dataclass(frozen=True)
class Totals:
    runs: int
    cost: str
    computed: int = field(init=False, default=0)

    def __post_init__(self) -> None:
        if self.runs < 0:
            raise ValueError("runs < 0")


def test_copy_fields_takes_each_constructor_field_from_the_attribute_of_that_name() -> None:
    source = SimpleNamespace(runs=3, cost="1.50", computed=99, extra="ignored")

    assert copy_fields(Totals, source) == Totals(runs=3, cost="1.50")


def test_copy_columns_takes_each_constructor_field_from_the_key_of_that_name() -> None:
    row = {"runs": 3, "cost": "1.50", "extra": "ignored"}

    assert copy_columns(Totals, row) == Totals(runs=3, cost="1.50")


def test_an_override_replaces_the_source_and_may_stand_for_a_missing_name() -> None:
    assert copy_fields(Totals, SimpleNamespace(runs=3), cost="2") == Totals(runs=3, cost="2")
    assert copy_columns(Totals, {"runs": 3, "total": "2"}, cost="2") == Totals(runs=3, cost="2")


def test_a_missing_field_is_an_error_not_a_default() -> None:
    with pytest.raises(AttributeError):
        copy_fields(Totals, SimpleNamespace(runs=3))
    with pytest.raises(KeyError):
        copy_columns(Totals, {"runs": 3})


def test_the_dataclass_checks_still_run() -> None:
    with pytest.raises(ValueError, match="runs < 0"):
        copy_columns(Totals, {"runs": -1, "cost": "0"})
