"""Error responses: a person's browser gets the site's message page, everything else
Litestar's JSON error body, unchanged.

A request gets the HTML page when both hold:
- its path is not under an API prefix (`API_PREFIXES`: GraphQL, the ingest API, the
  event streams, health, static files, the OpenAPI schema), and
- its Accept header prefers `text/html` to `application/json` (a browser's navigation
  sends `text/html,...,*/*;q=0.8`; `*/*` or no Accept header at all, as from curl and
  most HTTP libraries, keeps JSON).

Handled: 400 (a bad query parameter, form or body), 404 (no such page, or an id in the
path that is not of its type, such as `/companies/not-a-uuid`), 405 (a method the
address does not take) and 500 (any unexpected exception: logged with its traceback,
never shown). Other statuses keep Litestar's default response.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, Final

from litestar import Request, Response
from litestar.exceptions import HTTPException
from litestar.exceptions.responses import create_exception_response
from litestar.status_codes import (
    HTTP_400_BAD_REQUEST,
    HTTP_404_NOT_FOUND,
    HTTP_405_METHOD_NOT_ALLOWED,
    HTTP_500_INTERNAL_SERVER_ERROR,
)
from litestar.types import ExceptionHandlersMap

from compound.platform.pages import message_page

logger = logging.getLogger(__name__)

# Paths whose errors are for programs: they keep JSON whatever the Accept header says.
API_PREFIXES: Final = ("/graphql", "/ingest", "/events", "/health", "/static", "/schema")
# Text from the address bar is shown shortened: a 10 000-character path is not a page.
SHOWN_CHARACTERS: Final = 120


def is_api_path(path: str) -> bool:
    return any(path == prefix or path.startswith(prefix + "/") for prefix in API_PREFIXES)


def wants_html(request: Request[Any, Any, Any]) -> bool:
    """A person's browser, not a program: see the module docstring."""
    if is_api_path(request.url.path):
        return False
    return request.accept.best_match(["application/json", "text/html"]) == "text/html"


def shortened(text: str, limit: int = SHOWN_CHARACTERS) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _invalid_path_parameter(request: Request[Any, Any, Any]) -> tuple[str, str] | None:
    """(name, value) of the path parameter that made routing fail — a route's fixed parts
    all match, but a typed part (`{company_id:uuid}`) does not parse — or None."""
    segments = [segment for segment in request.scope["path"].split("/") if segment]
    for route in request.app.routes:
        components = route.path_components
        if len(components) != len(segments):
            continue
        failed: tuple[str, str] | None = None
        for component, segment in zip(components, segments, strict=True):
            if isinstance(component, str):
                if component != segment:
                    break
                continue
            if failed is None and component.parser is not None:
                try:
                    component.parser(segment)
                except ValueError:
                    failed = (component.name, segment)
        else:
            if failed is not None:
                return failed
    return None


def _not_found(request: Request[Any, Any, Any]) -> Response[Any]:
    invalid = _invalid_path_parameter(request)
    if invalid is not None:
        name, value = invalid
        what = name.replace("_", " ")  # company_id → "company id"
        return message_page(
            "No such page",
            f"That {what} is not valid: {shortened(value)}",
            status_code=HTTP_404_NOT_FOUND,
        )
    return message_page(
        "No such page",
        f"There is no page at {shortened(request.url.path)}; check the address.",
        status_code=HTTP_404_NOT_FOUND,
    )


def _bad_request(exception: HTTPException) -> Response[Any]:
    problems = [
        f"{problem.get('key')}: {problem.get('message')}"
        if problem.get("key")
        else problem["message"]
        for problem in (exception.extra if isinstance(exception.extra, list) else [])
        if isinstance(problem, Mapping) and problem.get("message")
    ]
    # A ValidationException's detail repeats the whole URL; its `extra` names the fields.
    explanation = "; ".join(problems) or exception.detail
    return message_page(
        "Bad request",
        f"That request is not valid: {shortened(explanation, 2 * SHOWN_CHARACTERS)}",
        status_code=HTTP_400_BAD_REQUEST,
    )


def _method_not_allowed(request: Request[Any, Any, Any], exception: HTTPException) -> Response[Any]:
    page = message_page(
        "Not available this way",
        f"{shortened(request.url.path)} cannot be opened with {request.method}; "
        "go back and use the page's links and buttons.",
        status_code=HTTP_405_METHOD_NOT_ALLOWED,
    )
    page.headers.update(exception.headers or {})  # Allow: the methods it does take
    return page


def client_error(request: Request[Any, Any, Any], exception: HTTPException) -> Response[Any]:
    """400, 404 and 405: the message page for a browser, Litestar's JSON otherwise."""
    if not wants_html(request):
        return create_exception_response(request, exception)
    if exception.status_code == HTTP_404_NOT_FOUND:
        return _not_found(request)
    if exception.status_code == HTTP_405_METHOD_NOT_ALLOWED:
        return _method_not_allowed(request, exception)
    return _bad_request(exception)


def server_error(request: Request[Any, Any, Any], exception: Exception) -> Response[Any]:
    """Any unexpected exception: logged whole; the visitor learns only that it happened."""
    logger.error(
        "unhandled error on %s %s",
        request.method,
        shortened(request.url.path, 500),
        exc_info=exception,
    )
    if not wants_html(request):
        return create_exception_response(request, exception)
    return message_page(
        "Something went wrong",
        "Something went wrong on our side; it was logged. Try again, or go back.",
        status_code=HTTP_500_INTERNAL_SERVER_ERROR,
    )


# By status code: Litestar sends any exception that is not an HTTPException to the 500 one.
EXCEPTION_HANDLERS: Final[ExceptionHandlersMap] = {
    HTTP_400_BAD_REQUEST: client_error,
    HTTP_404_NOT_FOUND: client_error,
    HTTP_405_METHOD_NOT_ALLOWED: client_error,
    HTTP_500_INTERNAL_SERVER_ERROR: server_error,
}
