"""The security headers every response carries — pages, error pages, static files and API
answers alike — added once, as the response starts (a `before_send` hook of the app, so
routing errors and exception pages get them too).

The pages' Content-Security-Policy allows only this origin's own files: the templates carry
no inline script, style or event handler, htmx comes from /static/vendor and is configured
(base.html) not to inject its indicator style nor to evaluate attribute code. A response
that brings its own policy keeps it: an attachment download is sandboxed, for one.

Developer tools are the exception: GraphiQL (GET /graphql) and Litestar's OpenAPI viewers
(/schema) are pages of other projects that load from public CDNs and run inline code, so
they get a policy that allows exactly that, and still cannot be framed."""

from __future__ import annotations

from typing import Final

from litestar.datastructures import MutableScopeHeaders
from litestar.types import Message, Scope

PAGE_POLICY: Final = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",  # htmx requests, live.js's refetches and its event stream
        "manifest-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "object-src 'none'",
    ]
)
"""For Compound's own pages (and everything else that is not a developer tool)."""

_TOOL_CDNS = "https://unpkg.com https://cdn.jsdelivr.net https://cdn.redoc.ly"
TOOL_POLICY: Final = "; ".join(
    [
        "default-src 'self'",
        f"script-src 'self' 'unsafe-inline' {_TOOL_CDNS}",
        f"style-src 'self' 'unsafe-inline' {_TOOL_CDNS} https://fonts.googleapis.com",
        "img-src 'self' data: https:",
        f"font-src 'self' data: {_TOOL_CDNS} https://fonts.gstatic.com",
        "connect-src 'self'",
        "worker-src 'self' blob:",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "object-src 'none'",
    ]
)
"""For GraphiQL and the OpenAPI viewers, which load from CDNs and run inline code."""

TOOL_PREFIXES: Final = ("/graphql", "/schema")

PERMISSIONS_POLICY: Final = ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer",
        "browsing-topics",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "hid",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "serial",
        "usb",
    )
)
"""Browser features no page of Compound uses, switched off for it and anything it embeds."""

COMMON_HEADERS: Final = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",  # for browsers that predate CSP frame-ancestors
    # Same-origin requests keep it (nothing here needs it elsewhere); links out to
    # companies' websites do not tell them which CRM record they were clicked from.
    "Referrer-Policy": "same-origin",
    "Permissions-Policy": PERMISSIONS_POLICY,
}


def content_security_policy(path: str) -> str:
    """The policy for a response to `path`."""
    if any(path == prefix or path.startswith(prefix + "/") for prefix in TOOL_PREFIXES):
        return TOOL_POLICY
    return PAGE_POLICY


async def add_security_headers(message: Message, scope: Scope) -> None:
    """`before_send` hook: adds the headers to the start of every HTTP response, leaving
    any the handler set itself (an attachment's sandbox policy) as they are."""
    if message["type"] != "http.response.start":
        return
    headers = MutableScopeHeaders.from_message(message)
    for name, value in COMMON_HEADERS.items():
        if name not in headers:
            headers[name] = value
    if "Content-Security-Policy" not in headers:
        headers["Content-Security-Policy"] = content_security_policy(scope["path"])
