"""The GraphQL executor, with a shortcut for plain leaf fields.

graphql-core executes every field the same way: a response path, a resolve-info object, the
resolver, then `complete_value` through its non-null, list, leaf, abstract and object branches,
with two awaitable checks on the way. For a field whose resolver is strawberry's default (it reads
an attribute of the parent object: no resolver, no permission class, no field extension), that
takes no arguments and whose type is a scalar or an enum, all of it reduces to "read the
attribute, serialize it". A dashboard selects ~1,700 fields, ~1,400 of them such leaves, and the
general path cost ~14 ms of CPU per request (bench/graphql_profile.py; docs/benchmarks.md).

`LeafShortcutExecutor.execute_fields` takes those fields the short way when the value read is a
plain value (a string, number, Decimal, bool, date/time or enum member) and serializes to
something non-null. Anything else (None, an awaitable, an exception instance, any other type, a
serializer that raises or returns null) is handed, for that field only, to graphql-core's own
`execute_field`, which reads the attribute again (a default resolver has no side effects) and
produces the exact value or error it always did. Middleware (a schema extension with a `resolve`
hook) disables the shortcut. The test suite compares this executor with graphql-core's on every
field the API has (tests/integration/test_executor_shortcut_api.py).

It builds on graphql-core's executor (`ExecutionContext.execute_fields`, `execute_field`,
`Path`), a declared dependency pinned by the lock file, and on strawberry's public
`is_default_resolver`, `StrawberryField.is_basic_field` and `GraphQLCoreConverter.
DEFINITION_BACKREF`. `LEDGER_FAST_EXECUTOR=0` turns it off (graphql-core's own executor);
docs/benchmarks.md records what it saves.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from datetime import date, datetime, time
from decimal import Decimal
from enum import Enum
from operator import attrgetter
from typing import Any, NamedTuple

from graphql import (
    GraphQLBoolean,
    GraphQLEnumType,
    GraphQLID,
    GraphQLInt,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    GraphQLString,
    Undefined,
)
from graphql.pyutils import Path, gather_with_cancel
from strawberry.resolvers import is_default_resolver
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types.field import StrawberryField

PLAIN_TYPES: frozenset[type] = frozenset({str, int, float, bool, Decimal, datetime, date, time})
INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1


class Leaf(NamedTuple):
    """How to produce one plain leaf field: read the attribute, then coerce it for output.

    `same`: the value type that the output coercion returns unchanged (str for String and ID,
    bool for Boolean), so it is returned as is; `int32`: an Int field (an int within 32 bits
    is returned as is, as graphql-core's coercion does); everything else is coerced."""

    read: Callable[[Any], Any]
    coerce: Callable[[Any], Any]
    same: type | None
    int32: bool


def plain_leaf(schema: GraphQLSchema, parent_type: GraphQLObjectType, name: str) -> Leaf | None:
    """The shortcut for field `name` of `parent_type`, or None when it needs the general path.

    Only a strawberry *basic* field qualifies (`StrawberryField.is_basic_field`: no resolver and
    no field extension, so no permission class either) whose graphql-core resolver strawberry
    reports as its default one (`strawberry.resolvers.is_default_resolver`)."""
    field = schema.get_field(parent_type, name)
    if field is None or field.args or field.resolve is None:
        return None
    if not is_default_resolver(field.resolve):
        return None
    definition = (field.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
    if not isinstance(definition, StrawberryField) or not definition.is_basic_field:
        return None
    named = field.type.of_type if isinstance(field.type, GraphQLNonNull) else field.type
    if not isinstance(named, GraphQLScalarType | GraphQLEnumType):
        return None
    read: Callable[[Any], Any] = field.resolve
    if definition.default_resolver is getattr:
        # what strawberry's basic-field resolver does, without its two calls per value
        read = attrgetter(definition.python_name)
    same = {id(GraphQLString): str, id(GraphQLID): str, id(GraphQLBoolean): bool}.get(id(named))
    return Leaf(read, named.coerce_output_value, same, named is GraphQLInt)


# Per object type, per field name: its Leaf, or None. Types live as long as their schema.
_PLANS: weakref.WeakKeyDictionary[GraphQLObjectType, dict[str, Leaf | None]] = (
    weakref.WeakKeyDictionary()
)


def leaves_of(schema: GraphQLSchema, parent_type: GraphQLObjectType) -> dict[str, Leaf | None]:
    plans = _PLANS.get(parent_type)
    if plans is None:
        plans = _PLANS[parent_type] = {
            name: plain_leaf(schema, parent_type, name) for name in parent_type.fields
        }
    return plans


def read_leaf(leaf: Leaf, source: Any) -> Any:
    """The field's output value, or None when the general path must produce it."""
    try:
        value = leaf.read(source)
        kind = type(value)
        if kind is leaf.same or (kind is int and leaf.int32 and INT32_MIN <= value <= INT32_MAX):
            return value
        if kind in PLAIN_TYPES or isinstance(value, Enum):
            return leaf.coerce(value)
    except Exception:
        return None  # the general path reads it again and reports it
    return None


class LeafShortcutExecutor(StrawberryGraphQLCoreExecutionContext):
    """graphql-core's executor, reading plain leaf fields without the per-field machinery."""

    def execute_fields(
        self,
        parent_type: GraphQLObjectType,
        source_value: Any,
        path: Path | None,
        grouped_field_set: Any,
        position_context: Any,
    ) -> Any:
        if self.middleware_manager is not None and self.middleware_manager.middlewares:
            return super().execute_fields(
                parent_type, source_value, path, grouped_field_set, position_context
            )
        plans = leaves_of(self.schema, parent_type)
        results: dict[str, Any] = {}
        awaitable_fields: list[str] = []
        is_awaitable = self.is_awaitable
        try:
            for response_name, field_details_list in grouped_field_set.items():
                node = field_details_list[0].node
                leaf = plans.get(node.name.value)
                if leaf is not None and not node.arguments:
                    coerced = read_leaf(leaf, source_value)
                    if coerced is not None and coerced is not Undefined:
                        results[response_name] = coerced
                        continue
                result = self.execute_field(
                    parent_type,
                    source_value,
                    field_details_list,
                    Path(path, response_name, parent_type.name),
                    position_context,
                )
                if result is not Undefined:
                    results[response_name] = result
                    if is_awaitable(result):
                        awaitable_fields.append(response_name)
        except Exception:
            if awaitable_fields:
                self.settle_in_background([results[field] for field in awaitable_fields])
            raise
        if not awaitable_fields:
            return results
        # The same gathering as graphql-core's execute_fields.
        return self._gather(results, awaitable_fields)

    async def _gather(self, results: dict[str, Any], awaitable_fields: list[str]) -> Any:
        if len(awaitable_fields) == 1:
            field = awaitable_fields[0]
            results[field] = await results[field]
        else:
            awaited = await gather_with_cancel(*(results[field] for field in awaitable_fields))
            results.update(zip(awaitable_fields, awaited, strict=True))
        return results
