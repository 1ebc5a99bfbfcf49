"""Signing in and out from a browser (the guard every page uses is platform/pages.py)."""

from __future__ import annotations

import hmac
import math
import secrets
from datetime import timedelta
from typing import Annotated, Any

from litestar import Request, Response, get, post
from litestar.datastructures import Cookie
from litestar.params import QueryParameter
from litestar.response import Redirect, Template

from compound.platform.auth.sessions import EMAIL_MAX, SignInRefused, sign_in, sign_out, visitor
from compound.platform.config import Settings
from compound.platform.pages import (
    SEE_OTHER,
    SESSION_COOKIE,
    csrf_refusal,
    current_visitor,
    database_of,
    message_page,
    safe_next,
    session_max_age,
    settings_of,
)

SIGN_IN_COOKIE = "compound_sign_in"
"""Before there is a session: the sign-in form's CSRF token, also sent as this cookie
(double submit), so another site cannot sign a person in to an account of its choosing."""
PASSWORD_MAX = 1_000


def _session_cookie(settings: Settings, value: str, *, expired: bool = False) -> Cookie:
    return Cookie(
        key=SESSION_COOKIE,
        value=value,
        path="/",
        httponly=True,
        samesite="lax",
        secure=(settings.public_url or "").startswith("https"),
        max_age=0 if expired else None,
    )


def _sign_in_page(
    request: Request[Any, Any, Any],
    *,
    next_path: str,
    email: str = "",
    error: str | None = None,
    status_code: int = 200,
    retry_after: timedelta | None = None,
) -> Template:
    token = request.cookies.get(SIGN_IN_COOKIE) or secrets.token_urlsafe(32)
    return Template(
        headers=(
            {"Retry-After": str(math.ceil(retry_after.total_seconds()))} if retry_after else None
        ),
        template_name="sign_in.html",
        context={
            "next": next_path,
            "email": email,
            "error": error,
            "visitor": None,
            "csrf": token,
        },
        status_code=status_code,
        cookies=[
            Cookie(
                key=SIGN_IN_COOKIE,
                value=token,
                path="/sign-in",
                httponly=True,
                samesite="strict",
                secure=(settings_of(request).public_url or "").startswith("https"),
            )
        ],
    )


@get("/sign-in", name="sign_in")
async def sign_in_form(
    request: Request[Any, Any, Any],
    next_path: Annotated[str | None, QueryParameter(name="next", max_length=2_000)] = None,
) -> Response[Any]:
    """The sign-in form (or straight on, for someone already signed in)."""
    async with database_of(request).session() as session:
        signed_in = await current_visitor(session, request)
    if signed_in is not None:
        return Redirect(safe_next(next_path), status_code=SEE_OTHER)
    return _sign_in_page(request, next_path=safe_next(next_path))


@post("/sign-in", status_code=SEE_OTHER)
async def sign_in_submit(request: Request[Any, Any, Any]) -> Response[Any]:
    form = await request.form()
    email = str(form.get("email") or "").strip()[:EMAIL_MAX]
    password = str(form.get("password") or "")[:PASSWORD_MAX]
    next_path = safe_next(str(form.get("next") or "/"))
    expected = request.cookies.get(SIGN_IN_COOKIE) or ""
    submitted = str(form.get("csrf") or "")
    if not expected or not hmac.compare_digest(submitted.encode(), expected.encode()):
        return message_page(
            "Form refused",
            "this sign-in form's security token (CSRF) is missing or wrong; open the sign-in "
            "page again and sign in from there",
            status_code=403,
        )
    if not email or not password:
        return _sign_in_page(
            request,
            next_path=next_path,
            email=email,
            error="enter your email and password",
            status_code=400,
        )
    refused: SignInRefused | None = None
    # Committed whether or not it succeeds: a refusal records the failure (the lock-out).
    async with database_of(request).session() as session:
        try:
            signed = await sign_in(
                session, email, password, max_age=session_max_age(settings_of(request))
            )
        except SignInRefused as refusal:
            refused = refusal
    if refused is not None:
        return _sign_in_page(
            request,
            next_path=next_path,
            email=email,
            error=refused.message,
            status_code=401 if refused.retry_after is None else 429,
            retry_after=refused.retry_after,
        )
    return Redirect(
        next_path,
        status_code=SEE_OTHER,
        cookies=[_session_cookie(settings_of(request), signed.secret)],
    )


@post("/sign-out", status_code=SEE_OTHER)
async def sign_out_submit(request: Request[Any, Any, Any]) -> Response[Any]:
    form = await request.form()
    secret = request.cookies.get(SESSION_COOKIE)
    async with database_of(request).session() as session:
        signed_in = await visitor(session, secret, max_age=session_max_age(settings_of(request)))
        if signed_in is not None:
            refusal = csrf_refusal(signed_in, str(form.get("csrf") or ""))
            if refusal is not None:
                return refusal
            await sign_out(session, secret)
    return Redirect(
        "/sign-in",
        status_code=SEE_OTHER,
        cookies=[_session_cookie(settings_of(request), "", expired=True)],
    )
