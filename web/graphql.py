"""The GraphQL schema composed from each layer's types, its limits, and its Litestar controller."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncGenerator, AsyncIterator
from typing import Any, ClassVar

import strawberry
from cross_web import HTTPException  # what strawberry's views turn into an HTTP status
from graphql import GraphQLError
from litestar import Request
from strawberry.extensions import (
    AddValidationRules,
    MaskErrors,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    SchemaExtension,
    ValidationCache,
)
from strawberry.litestar import make_graphql_controller

from compound.agents.graphql import AgentsMutation, AgentsQuery
from compound.platform.config import Settings
from compound.platform.database import Database
from compound.platform.email.graphql import EmailMutation, EmailQuery
from compound.platform.errors import CompoundError
from compound.platform.graphql.connection import DEFAULT_PAGE_SIZE
from compound.platform.graphql.context import CONTEXT_KEY, GraphQLContext, graphql_error
from compound.platform.graphql.cost import CostRules, QueryCostLimiter
from compound.platform.queue.graphql import QueueMutation, QueueQuery
from compound.platform.records.graphql import RecordsMutation, RecordsQuery
from compound.web.auth import request_actor
from compound.web.modules import graphql_types
from compound.web.rate_limit import rate_limited_per_token

logger = logging.getLogger(__name__)


SUBSTRATE_QUERIES: tuple[type, ...] = (RecordsQuery, QueueQuery, AgentsQuery, EmailQuery)
SUBSTRATE_MUTATIONS: tuple[type, ...] = (
    RecordsMutation,
    QueueMutation,
    AgentsMutation,
    EmailMutation,
)


def _root_types(settings: Settings) -> tuple[type, type]:
    """Query and Mutation: the substrate's fields, then each installed module's."""
    queries, mutations = graphql_types(settings)
    query = strawberry.type(type("Query", (*SUBSTRATE_QUERIES, *queries), {}))
    mutation = strawberry.type(type("Mutation", (*SUBSTRATE_MUTATIONS, *mutations), {}))
    return query, mutation


class UnitOfWork(SchemaExtension):
    """Commit the request's session once the whole operation ran (mutations use savepoints)."""

    async def on_operation(self) -> AsyncIterator[None]:
        yield
        context = self.execution_context.context
        compound_context = context.get(CONTEXT_KEY) if isinstance(context, dict) else None
        if isinstance(compound_context, GraphQLContext):
            compound_context.forget_loaded()
            async with compound_context.lock:
                try:
                    await compound_context.session.commit()
                except CompoundError as error:
                    # E.g. the Redis broker unreachable at commit: nothing was saved, and
                    # the answer says so (data null, the error's code) instead of a 500.
                    await compound_context.session.rollback()
                    raise graphql_error(error) from error


def _should_mask(error: GraphQLError) -> bool:
    # Domain errors, permission errors and validation errors speak to the caller;
    # anything else is a bug or an outage and must not leak a traceback.
    original = error.original_error
    if original is None or isinstance(original, (CompoundError, GraphQLError)):
        return False
    logger.error("unexpected error in GraphQL resolver", exc_info=original)
    return True


def build_schema(settings: Settings) -> strawberry.Schema:
    # The limit rules are built once: the validation cache keys on the rule classes, and
    # each limiter instance would otherwise mint new ones for every request.
    limit_rules = [
        *QueryDepthLimiter(max_depth=settings.graphql_max_depth).validation_rules,
        *MaxAliasesLimiter(max_alias_count=settings.graphql_max_aliases).validation_rules,
    ]
    cost_rules = CostRules(
        default_page_size=DEFAULT_PAGE_SIZE,
        max_page_size=settings.graphql_max_page_size,
        undeclared_list_size=settings.graphql_max_page_size,
    )
    # Factories: strawberry builds fresh extensions per request (instances would share
    # per-request state between concurrent requests).
    extensions: list[Any] = [
        lambda: MaxTokensLimiter(max_token_count=settings.graphql_max_tokens),
        # Integrations send the same few documents again and again: parse and validate
        # each once (the caches live at module level, shared by every request).
        lambda: ParserCache(maxsize=512),
        lambda: AddValidationRules(limit_rules),
        lambda: ValidationCache(maxsize=512),
        # After validation (a valid document), before execution: the variables are known.
        lambda: QueryCostLimiter(max_cost=settings.graphql_max_cost, rules=cost_rules),
        lambda: MaskErrors(
            should_mask_error=_should_mask, error_message="Unexpected server error."
        ),
        UnitOfWork,
    ]
    query, mutation = _root_types(settings)
    return strawberry.Schema(query=query, mutation=mutation, extensions=extensions)


def graphql_controller(settings: Settings) -> type:
    async def context_getter(
        request: Request[Any, Any, Any],
    ) -> AsyncGenerator[dict[str, Any], None]:
        database: Database = request.app.state.database
        async with database.sessionmaker() as session:
            actor = await request_actor(session, request)
            yield {CONTEXT_KEY: GraphQLContext(session=session, actor=actor, settings=settings)}

    base = make_graphql_controller(
        build_schema(settings),
        path="/graphql",
        context_getter=context_getter,
        graphql_ide="graphiql",
        allow_queries_via_get=False,
    )

    class GraphQLController(base):  # type: ignore[valid-type, misc]
        guards: ClassVar[list[Any]] = [rate_limited_per_token]

        def decode_json(self, data: str | bytes) -> object:
            try:
                return json.loads(data)
            except UnicodeDecodeError as error:
                # json.loads guesses UTF-16/32 from the first bytes and fails outside the
                # JSONDecodeError strawberry turns into a 400.
                raise HTTPException(400, "the request body is not valid UTF-8 JSON") from error

    return GraphQLController
