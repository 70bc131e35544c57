"""Run dimensions: key and value rules, the ingest field rule, and the check against the
tenant's declarations (each problem with its stable code)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.domain.dimensions import (
    NOT_ALLOWED,
    RETIRED,
    UNDECLARED,
    DeclaredDimension,
    check_run_values,
    key_problem,
    normalize_allowed,
    value_problem,
)
from app.services.ingest.fields import DIMENSIONS, Invalid, read_column
from app.services.ingest.records import parse_record

DECLARED = {
    "segment": DeclaredDimension("segment", "ICP segment", ("enterprise", "smb")),
    "region": DeclaredDimension("region", "Region", None),
    "band": DeclaredDimension("band", "Deal size band", None, retired=True),
}


@pytest.mark.parametrize("key", ["segment", "deal_size", "a", "r2", "a" * 63])
def test_slug_keys_are_accepted(key: str) -> None:
    assert key_problem(key) is None


@pytest.mark.parametrize("key", ["", "Segment", "1st", "deal-size", "_x", "a" * 64, "dé"])
def test_other_keys_are_refused(key: str) -> None:
    assert key_problem(key) is not None


@pytest.mark.parametrize(
    ("value", "expected"),
    [("smb", None), (" ", "must not be blank"), (3, "must be a string"), ("a\x00", "NUL")],
)
def test_value_rules(value: object, expected: str | None) -> None:
    problem = value_problem(value)
    assert (problem is None) if expected is None else (expected in (problem or ""))


def test_allowed_values_are_trimmed_and_deduplicated_in_order() -> None:
    assert normalize_allowed([" smb", "enterprise", "smb ", "", "  "]) == ("smb", "enterprise")


def test_declared_values_pass() -> None:
    assert check_run_values({"segment": "smb", "region": "anything at all"}, DECLARED) == []


def test_each_problem_has_its_code_and_names_the_key_and_fix() -> None:
    problems = check_run_values(
        {"tier": "gold", "segment": "startup", "band": "10k", "region": "EU"}, DECLARED
    )
    assert [(p.key, p.code) for p in problems] == [
        ("band", RETIRED),
        ("segment", NOT_ALLOWED),
        ("tier", UNDECLARED),
    ]
    by_key = {p.key: p.message for p in problems}
    assert "declareRunDimension" in by_key["tier"] and "'tier'" in by_key["tier"]
    assert "allowed: 'enterprise', 'smb'" in by_key["segment"]
    assert by_key["band"].startswith(RETIRED)


def test_the_field_rule_reads_objects_and_key_value_lists_alike() -> None:
    as_object = DIMENSIONS.convert({"segment": "smb", "region": "EU"})
    as_list = DIMENSIONS.convert(
        [{"key": "region", "value": "EU"}, {"key": "segment", "value": "smb"}]
    )
    assert as_object == as_list == {"region": "EU", "segment": "smb"}
    assert list(as_object) == ["region", "segment"]  # sorted by key
    assert DIMENSIONS.convert(None) == {}


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        (["smb"], "list of {key, value}"),
        ("smb", "must be an object"),
        ({"Segment": "smb"}, "not a dimension key"),
        ({"segment": 3}, "must be a string"),
        ({"segment": ""}, "must not be blank"),
        ([{"key": "a", "value": "x"}, {"key": "a", "value": "y"}], "given twice"),
        ({f"k{i}": "v" for i in range(21)}, "at most 20"),
    ],
)
def test_the_field_rule_refuses_bad_shapes(raw: object, fragment: str) -> None:
    with pytest.raises(Invalid, match=None) as caught:
        DIMENSIONS.convert(raw)
    assert fragment in str(caught.value)


def test_a_run_record_reports_its_dimension_error_on_the_field() -> None:
    record, errors = parse_record(
        0,
        {
            "type": "run",
            "correlationId": "r",
            "workflowKey": "w",
            "startedAt": "2026-03-01T00:00:00Z",
            "dimensions": {"Bad Key": "x"},
        },
    )
    assert record is not None
    assert [(e.field, e.code) for e in errors] == [("dimensions", None)]


values = st.dictionaries(
    st.from_regex(r"[a-z][a-z0-9_]{0,10}", fullmatch=True),
    st.text(min_size=1, max_size=20).filter(lambda v: v.strip() and "\x00" not in v),
    max_size=20,
)


@given(st.lists(st.one_of(st.none(), values), min_size=1, max_size=5))
def test_the_column_shortcut_equals_the_rule(column: list) -> None:
    """read_column (the batch path) gives what the rule gives record by record."""
    expected = [DIMENSIONS.convert(v) for v in column]
    assert read_column(DIMENSIONS, column) == expected


@given(values, values)
def test_a_problem_is_reported_exactly_for_each_bad_key(run: dict, declared_values: dict) -> None:
    declared = {k: DeclaredDimension(k, "d", (v,)) for k, v in declared_values.items()}
    problems = {p.key: p.code for p in check_run_values(run, declared)}
    for key, value in run.items():
        if key not in declared:
            assert problems[key] == UNDECLARED
        elif declared_values[key] != value:
            assert problems[key] == NOT_ALLOWED
        else:
            assert key not in problems
