"""What every server-rendered page shares, the web layer's and the modules' alike (modules
may not import the web layer): who is visiting, the way to the sign-in page, a message
page, and the one guard of every page — signed in, and for a form post also this session's
CSRF token and the right to write.

The guard is a pair of Litestar dependencies (`PAGE_DEPENDENCIES`, mounted with
`PAGE_EXCEPTION_HANDLERS` on the app by `web/app.py`). A page handler asks
for `session` (the request's unit of work) and `signed_in` (the Visitor); a form post also
says what it writes with `opt=writes(...)`. Whoever may not see the page never reaches the
handler: a stranger is sent to sign in, a form without this session's CSRF token or from a
viewer gets a 403 page.
"""

from __future__ import annotations

import hmac
import uuid
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Final
from urllib.parse import urlencode

from litestar import MediaType, Request, Response
from litestar.di import Provide
from litestar.exceptions import ImproperlyConfiguredException
from litestar.response import Redirect, Template
from litestar.types import ExceptionHandlersMap
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


def sign_in_address(back: str) -> str:
    """The sign-in page, coming back to `back` (a path on this site) afterwards."""
    return f"/sign-in?{urlencode({'next': safe_next(back)})}"


def this_address(request: Request[Any, Any, Any]) -> str:
    return request.url.path + (f"?{request.url.query}" if request.url.query else "")


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


# --- the page guard -------------------------------------------------------------------------

GUARD_OPTION: Final = "page_guard"
"""The key of a handler's `opt` that holds its PageGuard (see `reads` and `writes`)."""
VISITOR_INFO: Final = "compound_visitor"
"""Where the guarded session keeps the visitor it let in (`AsyncSession.info`)."""
READ_METHODS: Final = frozenset({"GET", "HEAD"})

Back = str | Callable[[Request[Any, Any, Any]], str]


@dataclass(frozen=True)
class PageGuard:
    """Whom one page lets in, and how it turns away the others."""

    viewers_cannot: str | None = None
    """Set for a form that writes: what a viewer is told (403). None: a page that reads."""
    back: Back | None = None
    """Where signing in comes back to: a path, with the handler's path parameters in braces
    (`/runs/{run_id}`), or a function of the request; None: this very address."""
    fragment: bool = False
    """An htmx fragment, not a page: a stranger gets 401 and `HX-Redirect` to the sign-in
    page (htmx follows it with the whole window), and nothing about the records."""

    @property
    def writes(self) -> bool:
        return self.viewers_cannot is not None


READS: Final = PageGuard()


def reads(*, back: Back | None = None, fragment: bool = False) -> dict[str, PageGuard]:
    """`opt` of a page that only reads, when it needs more than the default (signed in,
    coming back to this address)."""
    return {GUARD_OPTION: PageGuard(back=back, fragment=fragment)}


def writes(back: Back, *, viewers_cannot: str) -> dict[str, PageGuard]:
    """`opt` of a form post: signed in (else to sign-in, coming back to `back`), this
    session's CSRF token in the form's `csrf` field, and the right to write (else 403 with
    `viewers_cannot`)."""
    return {GUARD_OPTION: PageGuard(viewers_cannot=viewers_cannot, back=back)}


class PageRefused(Exception):
    """The guard's answer in place of the page (raised before the handler runs)."""

    def __init__(self, answer: Response[Any]) -> None:
        super().__init__(answer.status_code)
        self.answer = answer


def _guard_of(request: Request[Any, Any, Any]) -> PageGuard:
    guard = request.route_handler.opt.get(GUARD_OPTION, READS)
    if not isinstance(guard, PageGuard):
        raise ImproperlyConfiguredException(f"opt[{GUARD_OPTION!r}] must be a PageGuard")
    if request.method not in READ_METHODS and not guard.writes:
        # Fail closed: a form post without writes(...) would skip the CSRF check.
        raise ImproperlyConfiguredException(
            f"{request.method} {request.route_handler.paths}: a page that takes a form post "
            "declares what it writes with opt=writes(...)"
        )
    return guard


def _back_of(request: Request[Any, Any, Any], guard: PageGuard) -> str:
    if guard.back is None:
        return this_address(request)
    if callable(guard.back):
        return guard.back(request)
    return guard.back.format_map(request.path_params)


def _to_sign_in(request: Request[Any, Any, Any], guard: PageGuard) -> Response[Any]:
    address = sign_in_address(_back_of(request, guard))
    if guard.fragment:
        return Response(
            content="", status_code=401, media_type=MediaType.HTML, headers={"HX-Redirect": address}
        )
    return Redirect(address, status_code=SEE_OTHER)


def can_write(signed_in: Visitor) -> bool:
    return signed_in.actor.has_scope("write")


async def _admitted(
    session: AsyncSession, request: Request[Any, Any, Any], guard: PageGuard
) -> Visitor | Response[Any]:
    """The visitor this page lets in, or the answer for someone it does not."""
    signed_in = await current_visitor(session, request)
    if signed_in is None:
        return _to_sign_in(request, guard)
    if guard.viewers_cannot is None:
        return signed_in
    form = await request.form()  # kept by the request: the handler reads it again for free
    refusal = csrf_refusal(signed_in, str(form.get("csrf") or ""))
    if refusal is not None:
        return refusal
    if not can_write(signed_in):
        return message_page("Not allowed", guard.viewers_cannot, status_code=403)
    return signed_in


async def guarded_session(request: Request[Any, Any, Any]) -> AsyncIterator[AsyncSession]:
    """The `session` dependency of every page: the request's unit of work (committed when the
    handler returns, rolled back when it raises), opened only for a visitor its guard lets
    in. The guard is checked before the session is handed out, so a refusal leaves nothing
    open behind it."""
    guard = _guard_of(request)
    async with database_of(request).session() as session:
        admitted = await _admitted(session, request, guard)
        if isinstance(admitted, Visitor):
            session.info[VISITOR_INFO] = admitted
            yield session
            return
    # Raised once the block has committed: what the look-up wrote stands (an expired
    # browser session is deleted even though its holder is sent to sign in).
    raise PageRefused(admitted)


def visitor_of(session: AsyncSession) -> Visitor:
    """The `signed_in` dependency: the visitor the guarded session let in."""
    signed_in: Visitor = session.info[VISITOR_INFO]
    return signed_in


def _answer_refusal(request: Request[Any, Any, Any], refusal: PageRefused) -> Response[Any]:
    return refusal.answer


PAGE_DEPENDENCIES: Final[Mapping[str, Provide]] = {
    "session": Provide(guarded_session),
    "signed_in": Provide(visitor_of, sync_to_thread=False),
}
PAGE_EXCEPTION_HANDLERS: Final[ExceptionHandlersMap] = {PageRefused: _answer_refusal}
