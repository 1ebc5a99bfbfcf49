"""Query cost: an upper bound on the values one GraphQL operation can produce, computed on
the parsed document before any resolver runs, and the schema extension that refuses an
operation over the ceiling.

The rule: a value read from an object already loaded costs 1 (a scalar, an enum, a list
of them, or an object with what it selects); a field a resolver computes (a database read,
a DataLoader) costs RESOLVED_FIELD_COST instead of 1, because that is what it costs the
server (a coroutine, a task and a future each: measured about ten times a plain value).
A list costs its size times (1 + what each item selects). The size is the `first` argument
when the field has one (the default page size when it is not sent, the largest page when
it asks for more), else the cap the field declares with `list_size(n)` in its metadata,
which its resolver enforces. A connection passes its `first` down to its `edges`.
Fragments, inline fragments and `@skip`/`@include` are expanded as execution expands
them, fields with the same response key are merged as execution merges them, and an
abstract type costs its most expensive member.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import strawberry
from strawberry.extensions import SchemaExtension

from graphql import (
    BooleanValueNode,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLField,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValueNode,
    VariableNode,
    get_named_type,
    get_nullable_type,
    is_abstract_type,
    is_leaf_type,
    is_list_type,
    is_object_type,
)
from graphql.utilities import type_from_ast

LIST_SIZE = "compound.list_size"
"""The metadata key of a list field's cap."""
PAGE = "page"
"""The cap of a connection's `edges`: the `first` its connection was asked for."""
DEFINITION = "strawberry-definition"
"""Where strawberry keeps its own field object on each graphql-core field."""
RESOLVED_FIELD_COST = 10
"""What a field computed by a resolver costs, against 1 for a value read from a row."""


def list_size(size: int | str) -> dict[str, int | str]:
    """Metadata for a list field without `first`: it returns at most `size` items (the
    resolver enforces it), or `PAGE` for the edges of a connection."""
    return {LIST_SIZE: size}


def capped_list(size: int | str, description: str | None = None) -> Any:
    """`strawberry.field` (or its decorator) for a list that returns at most `size` items."""
    return strawberry.field(description=description, metadata=list_size(size))


@dataclass(frozen=True)
class CostRules:
    default_page_size: int
    """What `first` counts as when it is not sent."""
    max_page_size: int
    """What a larger `first` counts as (its resolver refuses it with its own error)."""
    undeclared_list_size: int
    """A list field that declares no cap (the schema test insists every one declares it)."""


@dataclass
class _Walk:
    schema: GraphQLSchema
    fragments: Mapping[str, FragmentDefinitionNode]
    variables: Mapping[str, Any]
    variable_defaults: Mapping[str, ValueNode | None]
    rules: CostRules
    # Keyed by the runtime type, the merged field nodes and the page handed down: a
    # fragment spread in many places is costed once, so a small document cannot make
    # this walk itself exponential.
    memo: dict[tuple[str, tuple[int, ...], int | None], int] = field(default_factory=dict)

    def value(self, node: ValueNode | None) -> Any:
        """A literal or a variable's value (a variable not sent takes its default)."""
        if isinstance(node, VariableNode):
            name = node.name.value
            if name in self.variables:
                return self.variables[name]
            return self.value(self.variable_defaults.get(name))
        if isinstance(node, IntValueNode):
            return int(node.value)
        if isinstance(node, BooleanValueNode):
            return node.value
        return None

    def included(self, node: FieldNode | FragmentSpreadNode | InlineFragmentNode) -> bool:
        for directive in node.directives or ():
            name = directive.name.value
            if name not in ("skip", "include"):
                continue
            condition = next(
                (
                    self.value(argument.value)
                    for argument in directive.arguments or ()
                    if argument.name.value == "if"
                ),
                None,
            )
            # A condition that is not a plain boolean counts the field: an upper bound.
            if name == "skip" and condition is True:
                return False
            if name == "include" and condition is False:
                return False
        return True

    def applies(self, type_condition: Any, runtime_type: GraphQLObjectType) -> bool:
        if type_condition is None:
            return True
        condition = type_from_ast(self.schema, type_condition)
        if condition is None:
            return False
        if condition is runtime_type:
            return True
        return is_abstract_type(condition) and self.schema.is_sub_type(condition, runtime_type)

    def collect(
        self,
        runtime_type: GraphQLObjectType,
        selection_sets: list[SelectionSetNode],
    ) -> dict[str, list[FieldNode]]:
        """Fields by response key, as execution collects them for one runtime type."""
        grouped: dict[str, list[FieldNode]] = {}
        visited: set[str] = set()

        def visit(selection_set: SelectionSetNode) -> None:
            for selection in selection_set.selections:
                if not isinstance(
                    selection, (FieldNode, InlineFragmentNode, FragmentSpreadNode)
                ) or not self.included(selection):
                    continue
                if isinstance(selection, FieldNode):
                    key = selection.alias.value if selection.alias else selection.name.value
                    grouped.setdefault(key, []).append(selection)
                elif isinstance(selection, InlineFragmentNode):
                    if self.applies(selection.type_condition, runtime_type):
                        visit(selection.selection_set)
                elif isinstance(selection, FragmentSpreadNode):
                    name = selection.name.value
                    fragment = self.fragments.get(name)
                    if name in visited or fragment is None:
                        continue
                    visited.add(name)
                    if self.applies(fragment.type_condition, runtime_type):
                        visit(fragment.selection_set)

        for selection_set in selection_sets:
            visit(selection_set)
        return grouped

    def selection_cost(self, parent: Any, nodes: list[FieldNode], page: int | None) -> int:
        """What each item of `parent` (an object, interface or union type) costs."""
        runtime_types: Iterator[GraphQLObjectType] | list[GraphQLObjectType]
        if is_abstract_type(parent):
            runtime_types = self.schema.get_possible_types(parent)
        elif is_object_type(parent):
            runtime_types = [parent]
        else:
            return 0
        selection_sets = [node.selection_set for node in nodes if node.selection_set]
        return max(
            (self.object_cost(runtime, selection_sets, page) for runtime in runtime_types),
            default=0,
        )

    def object_cost(
        self,
        runtime_type: GraphQLObjectType,
        selection_sets: list[SelectionSetNode],
        page: int | None,
    ) -> int:
        key = (runtime_type.name, tuple(id(node) for node in selection_sets), page)
        known = self.memo.get(key)
        if known is not None:
            return known
        total = 0
        for nodes in self.collect(runtime_type, selection_sets).values():
            definition = runtime_type.fields.get(nodes[0].name.value)
            # __typename, __schema and __type cost 1: the schema is small and fixed, and
            # graphql-core's validation refuses introspection nested deeper than a client
            # needs (a full introspection answers in ~0.1 s). An unknown field is the
            # validator's to refuse.
            total += 1 if definition is None else self.field_cost(definition, nodes, page)
        self.memo[key] = total
        return total

    def page_size(self, node: FieldNode) -> int:
        argument = next(
            (argument for argument in node.arguments or () if argument.name.value == "first"),
            None,
        )
        first = self.value(argument.value) if argument else None
        if first is None:
            return self.rules.default_page_size
        if not isinstance(first, int) or isinstance(first, bool):
            return self.rules.max_page_size
        return max(0, min(first, self.rules.max_page_size))

    def declared_size(self, definition: GraphQLField, page: int | None) -> int:
        metadata = getattr(_strawberry_field(definition), "metadata", None) or {}
        size = metadata.get(LIST_SIZE)
        if size == PAGE:
            return page if page is not None else self.rules.default_page_size
        if isinstance(size, int):
            return size
        return self.rules.undeclared_list_size

    def field_cost(self, definition: GraphQLField, nodes: list[FieldNode], page: int | None) -> int:
        returned = get_nullable_type(definition.type)
        named = get_named_type(returned)
        resolved = getattr(_strawberry_field(definition), "base_resolver", None) is not None
        weight = RESOLVED_FIELD_COST if resolved else 1
        if is_leaf_type(named):
            return weight
        size, page_below = 1, None
        if "first" in definition.args:
            first = self.page_size(nodes[0])
            if is_list_type(returned):
                size = first
            else:  # a connection: its edges are the page
                page_below = first
        elif is_list_type(returned):
            size = self.declared_size(definition, page)
        # The resolver runs once; each item is a value with what it selects.
        return weight - 1 + size * (1 + self.selection_cost(named, nodes, page_below))


def _strawberry_field(definition: GraphQLField) -> Any:
    return (definition.extensions or {}).get(DEFINITION)


def operation_cost(
    schema: GraphQLSchema,
    document: DocumentNode,
    rules: CostRules,
    *,
    operation_name: str | None = None,
    variables: Mapping[str, Any] | None = None,
) -> int:
    """The cost of the operation that would run (0 when there is none to run)."""
    operations = [
        definition
        for definition in document.definitions
        if isinstance(definition, OperationDefinitionNode)
    ]
    if operation_name is not None:
        operations = [op for op in operations if op.name and op.name.value == operation_name]
    if len(operations) != 1:
        return 0  # execution refuses an ambiguous or missing operation by itself
    operation = operations[0]
    root = schema.get_root_type(operation.operation)
    if root is None:
        return 0
    walk = _Walk(
        schema=schema,
        fragments={
            definition.name.value: definition
            for definition in document.definitions
            if isinstance(definition, FragmentDefinitionNode)
        },
        variables=variables or {},
        variable_defaults={
            definition.variable.name.value: definition.default_value
            for definition in operation.variable_definitions or ()
        },
        rules=rules,
    )
    return walk.object_cost(root, [operation.selection_set], None)


class QueryTooCostly(GraphQLError):
    def __init__(self, cost: int, limit: int) -> None:
        super().__init__(
            f"query cost {cost} exceeds the limit of {limit} (COMPOUND_GRAPHQL_MAX_COST): "
            "a list counts its `first` (or its cap) times what each item selects; ask for "
            "fewer items, fewer nested lists or fewer aliases",
            extensions={"code": "QUERY_TOO_COSTLY", "cost": cost, "maxCost": limit},
        )


class QueryCostLimiter(SchemaExtension):
    """Refuses an operation whose cost is over `max_cost` once it is parsed and validated,
    before execution starts (so before any resolver runs). Variables are known here, which
    a validation rule (cached per document) would not see."""

    def __init__(self, *, max_cost: int, rules: CostRules) -> None:
        self.max_cost = max_cost
        self.rules = rules

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        if context.graphql_document is not None:
            cost = operation_cost(
                context.schema._schema,  # graphql-core's schema: strawberry keeps it there
                context.graphql_document,
                self.rules,
                operation_name=context.operation_name,
                variables=context.variables,
            )
            if cost > self.max_cost:
                raise QueryTooCostly(cost, self.max_cost)
        yield
