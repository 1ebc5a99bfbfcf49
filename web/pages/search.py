"""Search from the header box: a full results page (works without JavaScript) and, for htmx,
the suggestions fragment shown under the box as someone types."""

from __future__ import annotations

from typing import Annotated, Any, Final
from urllib.parse import urlencode

from litestar import MediaType, Request, Response, get
from litestar.params import QueryParameter
from litestar.response import Template
from sqlalchemy.ext.asyncio import AsyncSession

from compound.platform.auth.sessions import Visitor
from compound.platform.errors import CompoundError
from compound.platform.pages import http_status, reads, settings_of
from compound.platform.records.search import (
    SITE_QUERY_MAX,
    Match,
    SiteResult,
    site_search,
)

# No length limit here: an over-long query gets the service's error on the page, not a bare 400.
Query = Annotated[str | None, QueryParameter()]
RESULTS_SHOWN: Final = 40
SUGGESTIONS_SHOWN: Final = 8
KIND_LABELS: Final = {
    "company": "Company",
    "person": "Person",
    "note": "Note",
    "message": "Email",
}
HINT: Final = (
    "Type a company, a person, an email address or a domain, or a few words about what "
    "you are looking for: notes and emails are found by meaning too."
)


def _search_path(query: str) -> str:
    """This search's page, for coming back after signing in (not an over-long query)."""
    if not query or len(query) > SITE_QUERY_MAX:
        return "/search"
    return f"/search?{urlencode({'q': query})}"


def _back_to_search(request: Request[Any, Any, Any]) -> str:
    """Back to this search after signing in, unless it is one we would refuse anyway."""
    return _search_path((request.query_params.get("q") or "").strip())


async def _results(
    session: AsyncSession, request: Request[Any, Any, Any], query: str, *, first: int
) -> tuple[list[SiteResult], str | None, int]:
    """The results, or the error to show in their place with its status."""
    try:
        found = await site_search(
            session, query, first=first, ef_search=settings_of(request).search_ef_search
        )
    except CompoundError as error:
        return [], error.message, http_status(error)
    return found, None, 200


@get("/search", name="search", opt=reads(back=_back_to_search))
async def search_page(
    request: Request[Any, Any, Any], session: AsyncSession, signed_in: Visitor, q: Query = None
) -> Response[Any]:
    """Everything matching the query, best first, each labelled with its kind."""
    query = (q or "").strip()
    results: list[SiteResult] = []
    error: str | None = None
    status = 200
    if query:
        results, error, status = await _results(session, request, query, first=RESULTS_SHOWN)
    return Template(
        template_name="search.html",
        context={
            "visitor": signed_in,
            "active": "search",
            # The header box takes no more than this: an over-long query is not echoed whole.
            "search_query": query[:SITE_QUERY_MAX],
            "query": query[:SITE_QUERY_MAX],
            "results": results,
            "error": error,
            "hint": HINT,
            "kinds": KIND_LABELS,
            "exact": Match.EXACT,
        },
        status_code=status,
    )


# A stranger learns nothing about the records; htmx follows HX-Redirect to the sign-in page.
@get("/search/suggest", name="search_suggest", opt=reads(back=_back_to_search, fragment=True))
async def search_suggest(
    request: Request[Any, Any, Any], session: AsyncSession, q: Query = None
) -> Response[Any]:
    """The best few results as links, without the layout, for htmx to put under the box."""
    query = (q or "").strip()
    if not query:
        return Response(content="", media_type=MediaType.HTML)
    results, error, status = await _results(session, request, query, first=SUGGESTIONS_SHOWN)
    return Template(
        template_name="search_suggest.html",
        context={
            "query": query[:SITE_QUERY_MAX],
            "results": results,
            "error": error,
            "kinds": KIND_LABELS,
            "exact": Match.EXACT,
        },
        status_code=status,
    )
