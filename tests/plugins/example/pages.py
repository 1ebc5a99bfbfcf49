"""The example module's one page."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get
from litestar.response import Template

from compound.platform.pages import current_visitor, database_of, sign_in_redirect


@get("/example", name="example_page")
async def example_page(request: Request[Any, Any, Any]) -> Response[Any]:
    async with database_of(request).session() as session:
        visitor = await current_visitor(session, request)
        if visitor is None:
            return sign_in_redirect(request)
    return Template(
        template_name="example/page.html", context={"visitor": visitor, "active": "example"}
    )
