"""A query cost limit: a graphql-core validation rule, run before any resolver.

Depth, alias and token limits bound the *text* of a query; they do not bound its *work*: ten
nested lists of fifty are a short query and 50¹⁰ resolutions. The cost of an operation estimates
how many field values it resolves:

- every selected field costs the number of times it resolves (its multiplier);
- a field with a `first` or `last` argument (a connection) multiplies what is below it by its
  page size: `last` when given, else `first` (a literal; a variable's default; else
  `max_page_size`, the most the server allows), else `first`'s schema default, else
  `max_page_size`; at most `max_page_size` (a larger size is refused by the resolver, naming it);
- any other list-typed field multiplies what is below it by `default_list_cost`, except the
  `edges` of a `…Connection` (already counted by the connection's `first`);
- fragments count where they are spread; introspection meta-fields cost 1 and are not walked.

An operation above `max_query_cost` is refused with code GRAPHQL_VALIDATION_FAILED (like every
validation failure) and no data. With the defaults (50,000; lists weigh 50), the README's
dashboard query costs about 11,200.
"""

from __future__ import annotations

from typing import Any

from graphql import (
    FieldNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLNamedType,
    GraphQLObjectType,
    InlineFragmentNode,
    IntValueNode,
    NullValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationContext,
    ValidationRule,
    VariableNode,
    get_named_type,
    get_nullable_type,
    is_list_type,
)
from graphql.type import GraphQLInterfaceType


def query_cost_rule(
    *, max_cost: int, default_list_cost: int, max_page_size: int
) -> type[ValidationRule]:
    """A ValidationRule class refusing operations whose estimated cost exceeds `max_cost`."""

    class QueryCostRule(ValidationRule):
        def __init__(self, context: ValidationContext) -> None:
            super().__init__(context)
            self.estimator = CostEstimator(
                context, default_list_cost=default_list_cost, max_page_size=max_page_size
            )

        def enter_operation_definition(self, node: OperationDefinitionNode, *_: Any) -> None:
            root = self.context.schema.get_root_type(node.operation)
            if root is None:
                return
            cost = self.estimator.selection_cost(node.selection_set, root, 1, node, frozenset())
            if cost > max_cost:
                self.report_error(
                    GraphQLError(
                        f"Query cost {cost} exceeds the limit of {max_cost}: ask for fewer "
                        "items (`first`) or fewer nested lists.",
                        node,
                        extensions={"code": "GRAPHQL_VALIDATION_FAILED"},
                    )
                )

    return QueryCostRule


class CostEstimator:
    """Walks a selection set with the schema's types; see the module docstring for the rules."""

    def __init__(
        self, context: ValidationContext, *, default_list_cost: int, max_page_size: int
    ) -> None:
        self.context = context
        self.default_list_cost = default_list_cost
        self.max_page_size = max_page_size

    def selection_cost(
        self,
        selection_set: SelectionSetNode | None,
        parent: GraphQLNamedType,
        multiplier: int,
        operation: OperationDefinitionNode,
        seen_fragments: frozenset[str],
    ) -> int:
        if selection_set is None:
            return 0
        total = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                total += self.field_cost(selection, parent, multiplier, operation, seen_fragments)
            elif isinstance(selection, InlineFragmentNode):
                target = self._type_named(selection.type_condition, parent)
                total += self.selection_cost(
                    selection.selection_set, target, multiplier, operation, seen_fragments
                )
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = self.context.get_fragment(name)
                if fragment is None or name in seen_fragments:
                    continue  # unknown or cyclic: other validation rules report it
                target = self._type_named(fragment.type_condition, parent)
                total += self.selection_cost(
                    fragment.selection_set, target, multiplier, operation, seen_fragments | {name}
                )
        return total

    def field_cost(
        self,
        node: FieldNode,
        parent: GraphQLNamedType,
        multiplier: int,
        operation: OperationDefinitionNode,
        seen_fragments: frozenset[str],
    ) -> int:
        name = node.name.value
        fields = getattr(parent, "fields", None)
        if name.startswith("__") or not fields or name not in fields:
            return multiplier  # meta-fields and unknown fields (reported elsewhere)
        definition = fields[name]
        field_type = get_nullable_type(definition.type)
        factor = 1
        first = self._first_argument(node, definition, operation)
        if first is not None:
            # above the page size the resolver refuses `first` itself, naming the field
            factor = min(max(first, 1), self.max_page_size)
        elif is_list_type(field_type) and not (
            name == "edges" and parent.name.endswith("Connection")
        ):
            factor = self.default_list_cost
        child_type = get_named_type(field_type)
        below = self.selection_cost(
            node.selection_set, child_type, multiplier * factor, operation, seen_fragments
        )
        return multiplier + below

    def _first_argument(
        self, node: FieldNode, definition: Any, operation: OperationDefinitionNode
    ) -> int | None:
        """The page size a connection field is asked for: its `last` when given (a backward
        page), else its `first`, else `first`'s schema default; None for other fields."""
        names = [name for name in ("last", "first") if name in definition.args]
        if not names:
            return None
        for name in names:
            for argument in node.arguments or ():
                if argument.name.value != name:
                    continue
                value = argument.value
                if isinstance(value, IntValueNode):
                    return int(value.value)
                if isinstance(value, VariableNode):
                    return self._variable_default(value.name.value, operation)
                if isinstance(value, NullValueNode):
                    continue  # null: the argument's default applies
                return self.max_page_size
        for name in reversed(names):  # first, then last: their schema defaults
            default = definition.args[name].default_value
            if isinstance(default, int):
                return default
        return self.max_page_size

    def _variable_default(self, name: str, operation: OperationDefinitionNode) -> int:
        for variable in operation.variable_definitions or ():
            if variable.variable.name.value == name and isinstance(
                variable.default_value, IntValueNode
            ):
                return int(variable.default_value.value)
        return self.max_page_size

    def _type_named(self, condition: Any, fallback: GraphQLNamedType) -> GraphQLNamedType:
        if condition is None:
            return fallback
        found = self.context.schema.get_type(condition.name.value)
        if isinstance(found, GraphQLObjectType | GraphQLInterfaceType):
            return found
        return fallback
