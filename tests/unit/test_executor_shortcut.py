"""The leaf shortcut executor answers exactly as graphql-core's executor does.

A small schema holds every kind of leaf the shortcut meets or must refuse: plain values, the
Decimal scalar, enums, nulls in nullable and non-null fields, a value of the wrong type, a
serializer that fails, a subclass of str, a raising property, aliases, @skip/@include,
__typename, fields with arguments and resolvers, nested lists. Each query is executed by both
executors on the same schema and the results (data, errors, paths, locations) must be equal.
Hypothesis draws the selections and the values.
"""

from __future__ import annotations

import asyncio
import enum
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import strawberry
from hypothesis import given, settings
from hypothesis import strategies as st
from strawberry.schema.config import StrawberryConfig
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from graphql_schema.executor import LeafShortcutExecutor, leaves_of
from graphql_schema.scalars import SCALAR_MAP


@strawberry.enum
class Colour(enum.Enum):
    RED = "red"
    BLUE = "blue"


@strawberry.type
class Item:
    name: str
    count: int
    maybe: int | None
    amount: Decimal
    ratio: float | None
    ok: bool
    colour: Colour
    flag: str | None
    strict: str

    @strawberry.field
    def doubled(self, times: int = 2) -> int:
        return self.count * times

    @strawberry.field
    async def later(self) -> str:
        await asyncio.sleep(0)
        return self.name.upper()


@dataclass
class Holder:
    items: list[Any]
    single: Any


@strawberry.type
class Query:
    @strawberry.field
    def items(self, info: strawberry.Info) -> list[Item]:
        return info.context["holder"].items

    @strawberry.field
    def single(self, info: strawberry.Info) -> Item | None:
        return info.context["holder"].single


def schema(executor: type) -> strawberry.Schema:
    return strawberry.Schema(
        query=Query,
        execution_context_class=executor,
        config=StrawberryConfig(scalar_map=SCALAR_MAP),
    )


SHORTCUT = schema(LeafShortcutExecutor)
GENERAL = schema(StrawberryGraphQLCoreExecutionContext)


class Raising:
    """An item whose `name` property raises and whose `strict` is missing entirely."""

    count = 3
    maybe = None
    amount = Decimal("1.50")
    ratio = None
    ok = True
    colour = Colour.BLUE
    flag = None

    @property
    def name(self) -> str:
        raise RuntimeError("name exploded")


class Tagged(str):
    """A str subclass: not a plain type, so the general path serializes it."""


def weird_item(kind: int) -> Any:
    """Items whose values the shortcut must hand back to the general path."""
    base: dict[str, Any] = dict(
        name="n", count=1, maybe=None, amount=Decimal("0E-10"), ratio=0.5, ok=False,
        colour=Colour.RED, flag="f", strict="s",
    )  # fmt: skip
    if kind == 0:
        base["strict"] = None  # null in a non-null field
    elif kind == 1:
        base["count"] = "not a number"  # wrong type: Int serializer raises
    elif kind == 2:
        base["amount"] = object()  # Decimal serializer raises
    elif kind == 3:
        base["colour"] = "GREEN"  # not a member
    elif kind == 4:
        base["count"] = 2**40  # Int out of range
    elif kind == 5:
        base["flag"] = 7  # int into a String: coerced
    elif kind == 6:
        return Raising()
    elif kind == 7:
        base["ratio"] = float("nan")  # Float serializer refuses NaN
    elif kind == 8:
        base["flag"] = Tagged("tagged")
    return Item(**base)


FIELDS = [
    "name", "count", "maybe", "amount", "ratio", "ok", "colour", "flag", "strict", "__typename",
    "doubled", "doubled(times: 3)", "later", "al: count", "al2: amount",
    "count @skip(if: true)", "ok @include(if: false)", "name @include(if: $on)",
]  # fmt: skip

ITEM = st.builds(
    Item,
    name=st.text(max_size=5),
    count=st.integers(-(2**31), 2**31 - 1),
    maybe=st.none() | st.integers(-5, 5),
    amount=st.decimals(allow_nan=False, allow_infinity=False, places=4),
    ratio=st.none() | st.floats(allow_nan=False, allow_infinity=False),
    ok=st.booleans(),
    colour=st.sampled_from(Colour),
    flag=st.none() | st.text(max_size=3),
    strict=st.text(max_size=3),
)


def run(target: strawberry.Schema, query: str, holder: Holder, on: bool) -> Any:
    result = asyncio.run(
        target.execute(query, variable_values={"on": on}, context_value={"holder": holder})
    )
    errors = sorted((e.message, tuple(e.path or ()), str(e.locations)) for e in result.errors or [])
    return result.data, errors


@settings(max_examples=150, deadline=None)
@given(
    items=st.lists(ITEM | st.integers(0, 8).map(weird_item), max_size=4),
    single=st.none() | ITEM | st.integers(0, 8).map(weird_item),
    fields=st.lists(st.sampled_from(FIELDS), min_size=1, max_size=8, unique=True),
    on=st.booleans(),
)
def test_shortcut_and_general_executor_agree(
    items: list[Any], single: Any, fields: list[str], on: bool
) -> None:
    selection = " ".join(fields)
    selection += " on: ok @include(if: $on)"
    query = f"query Q($on: Boolean!) {{ items {{ {selection} }} single {{ {selection} }} }}"
    holder = Holder(items, single)
    assert run(SHORTCUT, query, holder, on) == run(GENERAL, query, holder, on)


def test_every_kind_of_refused_value_is_reported_like_the_general_path() -> None:
    selection = " ".join(FIELDS[:9]) + " on: ok @include(if: $on)"
    query = f"query Q($on: Boolean!) {{ single {{ {selection} }} }}"
    messages = []
    for kind in range(9):
        holder = Holder([], weird_item(kind))
        shortcut, general = run(SHORTCUT, query, holder, True), run(GENERAL, query, holder, True)
        assert shortcut == general, kind
        messages += [message for message, _, _ in shortcut[1]]
    # The cases really do reach the error paths (else this test could not fail).
    text = " ".join(messages)
    expected = ("non-nullable", "Int cannot represent", "name exploded", "GREEN", "non numeric")
    for part in expected:
        assert part in text


def test_only_plain_leaf_fields_take_the_shortcut() -> None:
    graphql_schema = SHORTCUT._schema
    item_type = graphql_schema.type_map["Item"]
    plans = leaves_of(graphql_schema, item_type)  # type: ignore[arg-type]
    taken = {name for name, leaf in plans.items() if leaf is not None}
    assert taken == {"name", "count", "maybe", "amount", "ratio", "ok", "colour", "flag", "strict"}


class Deny(strawberry.BasePermission):
    message = "not for you"

    def has_permission(self, source: Any, info: strawberry.Info, **kwargs: Any) -> bool:
        return False


@strawberry.type
class Guarded:
    open: str
    secret: str = strawberry.field(permission_classes=[Deny])


@strawberry.type
class GuardedQuery:
    @strawberry.field
    def guarded(self) -> Guarded:
        return Guarded(open="visible", secret="hidden")


def test_a_field_with_a_permission_class_is_never_read_the_short_way() -> None:
    # Given a field without a resolver but with a permission class that always denies
    guarded = strawberry.Schema(query=GuardedQuery, execution_context_class=LeafShortcutExecutor)

    # When the shortcut executor answers a query selecting it
    result = guarded.execute_sync("{ guarded { open secret } }")

    # Then the permission ran (the value is withheld, the error names the field); the plain
    # field next to it is still read
    assert result.data is None  # `secret` is non-null: its parent becomes null, then the root
    assert [(e.message, e.path) for e in result.errors or []] == [
        ("not for you", ["guarded", "secret"])
    ]
    plans = leaves_of(guarded._schema, guarded._schema.get_type("Guarded"))
    assert plans["secret"] is None and plans["open"] is not None


def test_the_setting_turns_the_shortcut_off() -> None:
    from app.settings import Settings
    from graphql_schema.schema import build_schema

    assert build_schema(Settings()).execution_context_class is LeafShortcutExecutor
    plain = build_schema(Settings(fast_executor=False)).execution_context_class
    assert plain is StrawberryGraphQLCoreExecutionContext
