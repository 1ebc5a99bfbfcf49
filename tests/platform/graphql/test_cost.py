"""Query cost on the real schema: `first` and caps multiply, variables, aliases, fragments and
directives count as execution would run them, and every list declares what it may hold."""

from __future__ import annotations

import time
from typing import Any

import pytest
from graphql import GraphQLSchema, get_named_type, get_nullable_type, is_leaf_type, is_list_type
from graphql import parse as parse_document

from compound.platform.config import Settings
from compound.platform.graphql.cost import (
    DEFINITION,
    LIST_SIZE,
    RESOLVED_FIELD_COST,
    CostRules,
    operation_cost,
)
from compound.platform.records.listed import PEOPLE_LISTED
from compound.web.graphql import build_schema

RULES = CostRules(default_page_size=20, max_page_size=100, undeclared_list_size=100)
R = RESOLVED_FIELD_COST


@pytest.fixture(scope="module")
def schema() -> GraphQLSchema:
    built: GraphQLSchema = build_schema(Settings(_env_file=None))._schema  # type: ignore[call-arg]
    return built


def cost(
    schema: GraphQLSchema,
    document: str,
    variables: dict[str, Any] | None = None,
    operation: str | None = None,
) -> int:
    return operation_cost(
        schema, parse_document(document), RULES, operation_name=operation, variables=variables
    )


def companies_cost(first: int, node_fields: int) -> int:
    """companies(first) { edges { node { … } } } whose node selects what costs `node_fields`:
    the resolver, the connection, and per edge the edge, its node and the node's fields."""
    return (R - 1) + 1 + first * (1 + 1 + node_fields)


def test_a_plain_value_costs_one_and_a_resolved_field_more(schema: GraphQLSchema) -> None:
    # company(id) is resolved (R); id and name are read from the loaded row (1 each).
    assert cost(schema, '{ company(id: "x") { id name } }') == R + 2
    # emails is a resolver of its own (a DataLoader) even though it returns strings.
    assert cost(schema, '{ person(id: "x") { emails } }') == R + R


def test_first_multiplies_the_edges_of_a_connection(schema: GraphQLSchema) -> None:
    assert cost(schema, "{ companies(first: 7) { edges { node { id } } } }") == companies_cost(7, 1)
    # totalCount and pageInfo are counted once, not per edge.
    with_totals = "{ companies(first: 7) { totalCount pageInfo { hasNextPage } } }"
    assert cost(schema, with_totals) == (R - 1) + 1 + 1 + (1 + 1)


def test_a_missing_first_counts_the_default_page_and_a_large_one_the_largest(
    schema: GraphQLSchema,
) -> None:
    assert cost(schema, "{ companies { edges { node { id } } } }") == companies_cost(20, 1)
    assert cost(schema, "{ companies(first: 5000) { edges { node { id } } } }") == (
        companies_cost(100, 1)
    )
    assert cost(schema, "{ companies(first: -3) { edges { node { id } } } }") == (
        companies_cost(0, 1)
    )


def test_a_nested_list_without_first_counts_its_cap(schema: GraphQLSchema) -> None:
    people = (R - 1) + PEOPLE_LISTED * (1 + 1)
    assert cost(schema, '{ company(id: "x") { people { name } } }') == R + people


def test_nested_lists_multiply(schema: GraphQLSchema) -> None:
    inner = '{ company(id: "x") { people { name } } }'
    nested = '{ company(id: "x") { people { company { people { name } } } } }'
    people = (R - 1) + PEOPLE_LISTED * (1 + 1)
    assert cost(schema, inner) == R + people
    assert cost(schema, nested) == R + (R - 1) + PEOPLE_LISTED * (1 + R + people)


def test_variables_count_as_sent_and_defaults_when_not(schema: GraphQLSchema) -> None:
    query = "query($n: Int) { companies(first: $n) { edges { node { id } } } }"
    assert cost(schema, query, {"n": 7}) == companies_cost(7, 1)
    assert cost(schema, query, {}) == companies_cost(20, 1)
    with_default = "query($n: Int = 3) { companies(first: $n) { edges { node { id } } } }"
    assert cost(schema, with_default) == companies_cost(3, 1)
    assert cost(schema, with_default, {"n": 9}) == companies_cost(9, 1)
    # Not an integer: execution refuses it, and the cost does not trust it either.
    assert cost(schema, query, {"n": "7"}) == companies_cost(100, 1)


def test_aliases_add_up(schema: GraphQLSchema) -> None:
    one = "companies(first: 7) { edges { node { id } } }"
    aliased = "{ " + " ".join(f"a{index}: {one}" for index in range(15)) + " }"
    assert cost(schema, aliased) == 15 * companies_cost(7, 1)


def test_fields_execution_merges_are_counted_once(schema: GraphQLSchema) -> None:
    once = "{ companies(first: 7) { edges { node { id } } } }"
    twice = "{ companies(first: 7) { edges { node { id } } edges { node { id } } } }"
    assert cost(schema, twice) == cost(schema, once)


def test_fragments_cost_what_they_select(schema: GraphQLSchema) -> None:
    inline = "{ companies(first: 7) { edges { node { id people { name } } } } }"
    named = """
      query { companies(first: 7) { ...Page } }
      fragment Page on CompanyConnection { edges { node { ...Company } } }
      fragment Company on Company { id people { name } }
    """
    typed = "{ companies(first: 7) { edges { node { ... on Company { id people { name } } } } } }"
    assert cost(schema, named) == cost(schema, inline) == cost(schema, typed)
    assert cost(schema, inline) > companies_cost(7, 1)


def test_skip_and_include_count_only_what_would_run(schema: GraphQLSchema) -> None:
    query = """query($deep: Boolean!) { companies(first: 7) { edges { node {
      id people @include(if: $deep) { name } } } } }"""
    shallow = cost(schema, query, {"deep": False})
    deep = cost(schema, query, {"deep": True})
    assert shallow == companies_cost(7, 1)
    assert deep == companies_cost(7, 1 + (R - 1) + PEOPLE_LISTED * 2)
    skipped = "{ companies(first: 7) { edges { node { id people @skip(if: true) { name } } } } }"
    assert cost(schema, skipped) == shallow


def test_a_union_costs_its_costliest_member(schema: GraphQLSchema) -> None:
    query = """{ search(query: "x", first: 4) { score node {
      ... on Company { name people { name } } ... on Note { body } } } }"""
    company_node = 1 + 1 + (R - 1) + PEOPLE_LISTED * 2
    assert cost(schema, query) == (R - 1) + 4 * (1 + 1 + company_node)


def test_the_operation_named_is_the_one_counted(schema: GraphQLSchema) -> None:
    document = """
      query Small { companies(first: 1) { totalCount } }
      query Big { companies(first: 100) { edges { node { people { name } } } } }
    """
    assert cost(schema, document, operation="Small") < cost(schema, document, operation="Big")
    assert cost(schema, document) == 0  # ambiguous: execution refuses it


def test_the_audits_query_costs_billions(schema: GraphQLSchema) -> None:
    one = (
        "companies(first: 100) { edges { node { id name timeline { summary } notes { body } "
        "people { name company { name timeline { summary } people { name company { name "
        "timeline { summary } notes { body } } } } } } } }"
    )
    audit = "{ " + " ".join(f"a{index}: {one}" for index in range(15)) + " }"
    assert cost(schema, audit) > 1_000_000_000


def test_fragments_spread_everywhere_are_costed_once_each(schema: GraphQLSchema) -> None:
    # Each level spreads the next fragment under two fields: 2^18 paths when expanded, a
    # walk of seconds to minutes without the memo; the cost is still exact.
    levels = 18
    fragments = [
        f"fragment L{level} on Company {{ people {{ company {{ ...L{level + 1} }} }} "
        f"p: people {{ company {{ ...L{level + 1} }} }} }}"
        for level in range(levels)
    ]
    fragments.append(f"fragment L{levels} on Company {{ id }}")
    document = '{ company(id: "x") { ...L0 } } ' + " ".join(fragments)
    started = time.perf_counter()
    total = cost(schema, document)
    assert time.perf_counter() - started < 2.0
    expected = 1  # L18: id
    for _ in range(levels):
        per_list = (R - 1) + PEOPLE_LISTED * (1 + R + expected)
        expected = 2 * per_list
    assert total == R + expected


def test_every_list_of_objects_is_capped_or_paged(schema: GraphQLSchema) -> None:
    undeclared = []
    for type_name, graphql_type in schema.type_map.items():
        if type_name.startswith("__") or not hasattr(graphql_type, "fields"):
            continue
        for field_name, field in graphql_type.fields.items():
            returned = get_nullable_type(field.type)
            if not is_list_type(returned) or is_leaf_type(get_named_type(returned)):
                continue
            metadata = getattr((field.extensions or {}).get(DEFINITION), "metadata", {}) or {}
            if "first" not in field.args and LIST_SIZE not in metadata:
                undeclared.append(f"{type_name}.{field_name}")
    assert undeclared == []
