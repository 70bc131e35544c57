"""Every type, field, argument and enum value of the decision figures is described."""

from __future__ import annotations

from graphql import GraphQLObjectType

from app.settings import Settings
from graphql_schema.describe import missing_descriptions
from graphql_schema.schema import build_schema

TYPES = (
    "EffortEconomics",
    "EffortTier",
    "LiftVerdict",
    "FailureReason",
    "FailureReasons",
    "FailureReasonCode",
    "RoiRoadmap",
    "RoadmapEntry",
    "MoneyMedian",
    "RatioMedian",
    "Finding",
    "FindingEvidence",
    "FindingPattern",
    "FindingThreshold",
)
FIELDS = {
    "Query": ("findings", "findingThresholds", "roiRoadmap", "failureReasonCodes"),
    "Mutation": ("declareFailureReason", "removeFailureReason", "setFindingThreshold"),
    "Workflow": ("effortTiers", "failureReasons"),
}


def is_decision_figure(coordinate: str) -> bool:
    """Whether a schema coordinate ("Type", "Type.field", "Type.field(arg:)", "Enum.VALUE")
    belongs to the decision figures: a decision type and all in it, or a decision field."""
    type_name, _, rest = coordinate.partition(".")
    return type_name in TYPES or rest.partition("(")[0] in FIELDS.get(type_name, ())


def test_decision_types_fields_arguments_and_values_are_described() -> None:
    schema = build_schema(Settings())._schema
    assert set(TYPES) <= set(schema.type_map)
    for parent, names in FIELDS.items():
        owner = schema.type_map[parent]
        assert isinstance(owner, GraphQLObjectType)
        assert set(names) <= set(owner.fields), parent
    missing = missing_descriptions(schema)
    assert [coordinate for coordinate in missing if is_decision_figure(coordinate)] == []
