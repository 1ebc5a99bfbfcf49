"""What every server-rendered page shares, the web layer's and the modules' alike (modules
may not import the web layer): who is visiting, the way to the sign-in page, a message
page, and the guard of every form post (signed in, this session's CSRF token, may write)."""

from __future__ import annotations

import hmac
import uuid
from datetime import timedelta
from typing import Any, Final
from urllib.parse import urlencode

from litestar import Request
from litestar.datastructures import FormMultiDict
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from compound.platform.auth.sessions import Visitor, visitor
from compound.platform.config import Settings
from compound.platform.database import Database
from compound.platform.errors import (
    CompoundError,
    DatabaseNotReady,
    NotAuthenticated,
    NotFound,
    PermissionDenied,
    ServiceUnavailable,
    ValidationFailed,
)

SESSION_COOKIE = "compound_session"
SEE_OTHER: Final = 303


def database_of(request: Request[Any, Any, Any]) -> Database:
    database: Database = request.app.state.database
    return database


def settings_of(request: Request[Any, Any, Any]) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def current_visitor(session: AsyncSession, request: Request[Any, Any, Any]) -> Visitor | None:
    """The signed-in person holding this request's cookie, or None."""
    return await visitor(
        session, request.cookies.get(SESSION_COOKIE), max_age=session_max_age(settings_of(request))
    )


def session_max_age(settings: Settings) -> timedelta:
    """How long a browser session lasts from sign-in, however active (the app's settings)."""
    return timedelta(days=settings.session_max_age_days)


def safe_next(target: str | None) -> str:
    """Only a path on this site: `next` must never send someone elsewhere. Whitespace and
    control characters are refused too: browsers drop tabs and newlines from a Location,
    so `/\t/evil.example` would become `//evil.example` on the way."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    if any(
        character.isspace() or ord(character) < 0x20 or ord(character) == 0x7F
        for character in target
    ):
        return "/"
    return target


def sign_in_redirect(request: Request[Any, Any, Any], *, back: str | None = None) -> Redirect:
    """To the sign-in page, coming back to `back` (default: this page) afterwards."""
    here = back or request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return Redirect(f"/sign-in?{urlencode({'next': safe_next(here)})}", status_code=SEE_OTHER)


def form_id(value: object, field: str, refusal: str) -> uuid.UUID:
    """An id a form sent (a hidden field, a choice, a ticked box), or ValidationFailed with
    `refusal` at `field`: a tampered or garbled value is the visitor's error, not a crash."""
    try:
        return uuid.UUID(str(value or "").strip())
    except ValueError:
        raise ValidationFailed(refusal, field=field) from None


def http_status(error: CompoundError) -> int:
    """The status a page answers with when a service refuses: one mapping for every page."""
    if isinstance(error, NotAuthenticated):
        return 401
    if isinstance(error, PermissionDenied):
        return 403
    if isinstance(error, NotFound):
        return 404
    if isinstance(error, ServiceUnavailable | DatabaseNotReady):
        return 503
    return 400


def message_page(title: str, message: str, *, status_code: int) -> Template:
    return Template(
        template_name="message.html",
        context={"title": title, "message": message, "visitor": None},
        status_code=status_code,
    )


def csrf_refusal(signed_in: Visitor, submitted: str | None) -> Template | None:
    """A 403 page when the form's CSRF token is missing or not this session's."""
    if not submitted:
        return message_page(
            "Form refused",
            "this form was sent without its security token (CSRF); reload the page and try again",
            status_code=403,
        )
    if not hmac.compare_digest(submitted.encode(), signed_in.csrf_token.encode()):
        return message_page(
            "Form refused",
            "this form's security token (CSRF) is wrong or expired; reload the page and try again",
            status_code=403,
        )
    return None


def can_write(signed_in: Visitor) -> bool:
    return signed_in.actor.has_scope("write")


async def form_writer(
    session: AsyncSession,
    request: Request[Any, Any, Any],
    form: FormMultiDict,
    *,
    back: str,
    viewers_cannot: str,
) -> Visitor | Redirect | Template:
    """The person allowed to send this form, or the page that says why not: the sign-in
    page (coming back to `back`), a CSRF refusal, or 403 for someone who may only read."""
    signed_in = await current_visitor(session, request)
    if signed_in is None:
        return sign_in_redirect(request, back=back)
    refusal = csrf_refusal(signed_in, str(form.get("csrf") or ""))
    if refusal is not None:
        return refusal
    if not can_write(signed_in):
        return message_page("Not allowed", viewers_cannot, status_code=403)
    return signed_in
