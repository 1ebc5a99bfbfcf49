"""The example module's manifest."""

from __future__ import annotations

from compound.platform.modules import Module, NavEntry
from example import models
from example.graphql import ExampleQuery
from example.pages import example_page

MODULE = Module(
    name="example",
    title="Example",
    package="example",
    graphql_query=ExampleQuery,
    pages=(example_page,),
    navigation=(NavEntry(key="example", label="Example", href="/example"),),
    tables=(models,),
    agent_modules=("example.agents",),
)
