"""Every type, field, argument and enum value of the decision figures is described."""

from __future__ import annotations

from graphql import GraphQLEnumType, GraphQLObjectType

from app.settings import Settings
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


def test_decision_types_fields_arguments_and_values_are_described() -> None:
    schema = build_schema(Settings())._schema
    missing: list[str] = []
    for name in TYPES:
        kind = schema.type_map[name]
        if not kind.description:
            missing.append(name)
        if isinstance(kind, GraphQLEnumType):
            missing += [f"{name}.{v}" for v, value in kind.values.items() if not value.description]
            continue
        assert isinstance(kind, GraphQLObjectType)
        for field_name, field in kind.fields.items():
            if not field.description:
                missing.append(f"{name}.{field_name}")
    for parent, names in FIELDS.items():
        owner = schema.type_map[parent]
        assert isinstance(owner, GraphQLObjectType)
        for field_name in names:
            field = owner.fields[field_name]
            if not field.description:
                missing.append(f"{parent}.{field_name}")
            missing += [
                f"{parent}.{field_name}({arg})"
                for arg, value in field.args.items()
                if not value.description
            ]
    assert missing == []
