"""The example module's one page, behind the platform's page guard like every page."""

from __future__ import annotations

from typing import Any

from litestar import Response, get
from litestar.response import Template

from compound.platform.auth.sessions import Visitor


@get("/example", name="example_page")
async def example_page(signed_in: Visitor) -> Response[Any]:
    return Template(
        template_name="example/page.html", context={"visitor": signed_in, "active": "example"}
    )
