"""The Litestar application: the database lifecycle, GraphQL at /graphql, the web UI's
pages, health checks, error pages (web/errors.py)."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from litestar import Litestar, get
from litestar.datastructures import State

from compound.platform.config import Settings, get_settings
from compound.platform.database import Database, ensure_schema_current, resolve_database_url
from compound.platform.embedded_postgres import libpq_url
from compound.platform.embeddings import warm_up_in_background
from compound.platform.events import INBOX_CHANNEL, EventHub
from compound.platform.logging import configure_logging
from compound.platform.pages import PAGE_DEPENDENCIES, PAGE_EXCEPTION_HANDLERS
from compound.web.errors import EXCEPTION_HANDLERS
from compound.web.events import inbox_events
from compound.web.graphql import graphql_controller
from compound.web.ingest import ingest_email_route
from compound.web.modules import install_modules
from compound.web.pages import page_routes, template_config
from compound.web.security_headers import add_security_headers


@get("/health", sync_to_thread=False)
def health() -> dict[str, str]:
    return {"status": "ok"}


def create_app(*, settings: Settings | None = None, database: Database | None = None) -> Litestar:
    """Build the app; without `database` it connects (embedded unless a URL is set) on startup."""
    settings = settings or get_settings()
    configure_logging(settings)
    install_modules(settings)  # startRun and the Inbox resolve agents by name

    def listen_url() -> str:
        if database is not None:
            return libpq_url(database.engine.url.render_as_string(hide_password=False))
        return libpq_url(resolve_database_url(settings))

    inbox_hub = EventHub(listen_url, INBOX_CHANNEL)

    @asynccontextmanager
    async def connect(app: Litestar) -> AsyncIterator[None]:
        db = Database.connect(resolve_database_url(settings), pool_size=settings.database_pool_size)
        try:
            await ensure_schema_current(db, settings)
            # torch leaves a huge heap of long-lived objects; frozen, the garbage collector
            # stops walking them on every full collection (a page of 50 companies under
            # load went from 130 to 210 req/s, p90 from 398 to 117 ms).
            warm_up_in_background(then=gc.freeze)
            # A costly GraphQL answer keeps a million objects alive for a second; each full
            # collection walked them all, found nothing to free and held the loop for up to
            # 0.8 s, several times a query (bench/graphql_cost.py): full collections a
            # hundred times less often. Young ones run as before, and a request's rows are
            # freed by reference counting when it ends (GraphQLContext.forget_loaded).
            gc.set_threshold(2000, 10, 1000)
            app.state.database = db
            yield
        finally:
            await inbox_hub.close()
            await db.dispose()

    return Litestar(
        route_handlers=[
            health,
            graphql_controller(settings),
            inbox_events,
            ingest_email_route(settings),
            *page_routes(settings),
        ],
        template_config=template_config(settings),
        # The page guard (platform/pages.py): a page handler's `session` and `signed_in`.
        dependencies=PAGE_DEPENDENCIES,
        # People get the message page, programs Litestar's JSON errors (web/errors.py); a
        # page's guard answers with the sign-in page or a 403 page.
        exception_handlers={**EXCEPTION_HANDLERS, **PAGE_EXCEPTION_HANDLERS},
        # CSP, framing, referrer, permissions, nosniff: on every response, errors included.
        before_send=[add_security_headers],
        # A database handed in (tests) is the caller's to manage; otherwise the app owns one.
        lifespan=[] if database is not None else [connect],
        state=State({"settings": settings, "database": database, "inbox_events": inbox_hub}),
        debug=False,
    )
