"""Settings: an overview, API tokens (the secret shown once; revoke), users and roles, and the
read-only model and mail settings that come from the environment. The ideal customer
profile's page is the leads module's (/settings/icp); all share the settings sub-navigation."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Final

from litestar import Request, Response, get, post
from litestar.params import QueryParameter
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from compound.platform.auth.models import ApiToken, Role, Scope
from compound.platform.auth.service import (
    TokenListing,
    create_own_token,
    create_user,
    is_admin,
    list_users,
    may_administer,
    may_hold_tokens,
    may_revoke_token,
    revoke_token,
    set_role,
    tokens_visible_to,
)
from compound.platform.auth.sessions import Visitor
from compound.platform.clock import utcnow
from compound.platform.config import Settings
from compound.platform.errors import CompoundError
from compound.platform.llm.gateway import endpoint_configured
from compound.platform.pages import (
    SEE_OTHER,
    form_id,
    http_status,
    settings_of,
    writes,
)
from compound.platform.redaction import redact_url

TEXT_MAX: Final = 1_000
"""What a refused form shows back of a field; the service judges the whole value."""
VIEWERS_CANNOT_TOKENS: Final = "viewers cannot create or revoke API tokens; ask an admin"
VIEWERS_CANNOT_USERS: Final = "viewers cannot add users or change roles"
SCOPE_HINTS: Final = {
    Scope.READ.value: "read records through GraphQL",
    Scope.WRITE.value: "change records and start runs through GraphQL",
    Scope.INGEST.value: "post raw email to /ingest/email",
}
ROLES: Final = [role.value for role in Role]
TOKEN_FLASHES: Final = {"revoked": "Revoked: the token no longer works."}
USER_FLASHES: Final = {"created": "User added.", "role": "Role changed."}
USER_FIELDS: Final = ("email", "name", "role")

Flash = Annotated[str | None, QueryParameter(max_length=20)]


@dataclass(frozen=True)
class Problem:
    """A refused form: the message, the field it is about (None: the whole form)."""

    message: str
    field: str | None = None


def _id_sent(form: Any, what: str) -> uuid.UUID:
    sent = str(form.get(what) or "").strip()
    return form_id(sent, what, f"{what}: {sent[:40]!r} is not an id")


def _signed_in_page(template: str, signed_in: Visitor, section: str, **context: Any) -> Template:
    status_code = context.pop("status_code", 200)
    headers = context.pop("headers", None)
    return Template(
        template_name=template,
        context={
            "visitor": signed_in,
            "active": "settings",
            "section": section,
            "csrf": signed_in.csrf_token,
            "is_admin": is_admin(signed_in.actor),
            # What the forms offer is what the services allow (platform/auth/service.py).
            "may_administer": may_administer(signed_in.actor),
            "may_hold_tokens": may_hold_tokens(signed_in.actor),
            **context,
        },
        status_code=status_code,
        headers=headers,
    )


# --- what comes from the environment --------------------------------------------------------


@dataclass(frozen=True)
class SettingRow:
    label: str
    value: str
    variable: str
    description: str


def _variable(name: str) -> str:
    return f"{Settings.model_config.get('env_prefix', '')}{name}".upper()


def _row(settings: Settings, name: str, label: str, value: str | None = None) -> SettingRow:
    description = Settings.model_fields[name].description or ""
    shown = value if value is not None else _plain(getattr(settings, name))
    return SettingRow(label=label, value=shown, variable=_variable(name), description=description)


def _plain(value: Any) -> str:
    if value is None:
        return "not set"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple):
        return ", ".join(str(item) for item in value) or "none"
    return str(value)


def _is_set(value: Any) -> str:
    """For secrets (and paths to them): only whether there is one, never the value."""
    return "set" if value else "not set"


def model_rows(settings: Settings) -> list[SettingRow]:
    base_url = settings.openai_base_url
    endpoint = (
        # A key can hide in the userinfo or the query: both masked, the address kept.
        redact_url(base_url.get_secret_value())
        if base_url
        else ("OpenAI's API (a key is set)" if settings.openai_api_key else "not set")
    )
    return [
        _row(settings, "openai_base_url", "Endpoint", endpoint),
        _row(settings, "openai_api_key", "API key", _is_set(settings.openai_api_key)),
        _row(settings, "llm_model_fast", "Fast tier model"),
        _row(settings, "llm_model_smart", "Smart tier model"),
        _row(settings, "llm_timeout_seconds", "Timeout per attempt (s)"),
        _row(settings, "llm_max_attempts", "Attempts per call"),
        _row(settings, "llm_retry_base_seconds", "First retry backoff (s)"),
        _row(settings, "embeddings_provider", "Embeddings"),
        _row(settings, "openai_embeddings_model", "Embeddings model (openai)"),
    ]


def mail_rows(settings: Settings) -> list[SettingRow]:
    return [
        _row(settings, "mail_domains", "Mail domains"),
        _row(settings, "internal_domains", "Internal domains"),
        _row(settings, "smtp_host", "SMTP listens on"),
        _row(settings, "smtp_port", "SMTP port"),
        _row(
            settings,
            "smtp_tls_certificate",
            "STARTTLS certificate",
            _is_set(settings.smtp_tls_certificate),
        ),
        _row(settings, "smtp_tls_key", "STARTTLS key", _is_set(settings.smtp_tls_key)),
        _row(settings, "mail_max_bytes", "Largest message (bytes)", f"{settings.mail_max_bytes:,}"),
        _row(settings, "mail_trusted_relays", "Trusted relays"),
        _row(settings, "mail_authserv_id", "Authentication-Results id"),
        _row(settings, "mail_check_dns", "Check DKIM/DMARC over DNS"),
        _row(settings, "mail_from_address", "From address"),
        _row(settings, "outbound_smtp_host", "Outgoing relay"),
        _row(settings, "outbound_smtp_port", "Outgoing relay port"),
        _row(
            settings,
            "outbound_smtp_username",
            "Outgoing relay login",
            _is_set(settings.outbound_smtp_username),
        ),
        _row(
            settings,
            "outbound_smtp_password",
            "Outgoing relay password",
            _is_set(settings.outbound_smtp_password),
        ),
        _row(settings, "outbound_smtp_starttls", "Outgoing STARTTLS"),
    ]


# --- the overview ---------------------------------------------------------------------------


@get("/settings", name="settings")
async def settings_page(request: Request[Any, Any, Any], signed_in: Visitor) -> Response[Any]:
    """What can be set, and where: each section of the settings."""
    return _signed_in_page(
        "settings.html",
        signed_in,
        "overview",
        offline=not endpoint_configured(settings_of(request)),
    )


@get("/settings/model", name="settings_model")
async def model_page(request: Request[Any, Any, Any], signed_in: Visitor) -> Response[Any]:
    """The model endpoint, tiers, limits and prices (read-only: they come from the environment)."""
    settings = settings_of(request)
    return _signed_in_page(
        "settings_model.html",
        signed_in,
        "model",
        offline=not endpoint_configured(settings),
        rows=model_rows(settings),
        prices=sorted(settings.llm_prices.items()),
        prices_variable=_variable("llm_prices"),
        base_url_variable=_variable("openai_base_url"),
        key_variable=_variable("openai_api_key"),
    )


@get("/settings/mail", name="settings_mail")
async def mail_page(request: Request[Any, Any, Any], signed_in: Visitor) -> Response[Any]:
    """Where mail is accepted and sent from (read-only: these come from the environment)."""
    settings = settings_of(request)
    return _signed_in_page(
        "settings_mail.html",
        signed_in,
        "mail",
        rows=mail_rows(settings),
        mail_domains=settings.mail_domains,
        listen=f"{settings.smtp_host}:{settings.smtp_port}",
    )


# --- API tokens -----------------------------------------------------------------------------


@dataclass(frozen=True)
class TokenRow:
    token: TokenListing
    state: str
    can_revoke: bool


def _token_state(token: TokenListing, now: datetime) -> str:
    if token.revoked_at is not None:
        return "revoked"
    if token.expires_at is not None and token.expires_at <= now:
        return "expired"
    return "active"


def _token_rows(signed_in: Visitor, tokens: Iterable[TokenListing]) -> list[TokenRow]:
    now = utcnow()
    return [
        TokenRow(
            token=token,
            state=_token_state(token, now),
            can_revoke=may_revoke_token(signed_in.actor, token),
        )
        for token in tokens
    ]


async def _tokens_page(
    session: AsyncSession,
    signed_in: Visitor,
    *,
    flash: str | None = None,
    created: tuple[ApiToken, str] | None = None,
    problem: Problem | None = None,
    name: str = "",
    scopes: Sequence[str] = (Scope.READ.value,),
    mail_provider: str = "",
    status_code: int = 200,
) -> Template:
    tokens = await tokens_visible_to(session, signed_in.actor)
    headers = None
    if created is not None:
        # The secret is on this page and nowhere else: no cache, proxy or back button keeps it.
        headers = {"Cache-Control": "no-store", "Pragma": "no-cache"}
    return _signed_in_page(
        "settings_tokens.html",
        signed_in,
        "tokens",
        rows=_token_rows(signed_in, tokens),
        flash=TOKEN_FLASHES.get(flash or ""),
        created=created[0] if created else None,
        secret=created[1] if created else None,
        problem=problem,
        name=name[:TEXT_MAX],
        mail_provider=mail_provider[:TEXT_MAX],
        chosen=set(scopes),
        scopes=[(scope.value, SCOPE_HINTS[scope.value]) for scope in Scope],
        status_code=status_code,
        headers=headers,
    )


@get("/settings/tokens", name="settings_tokens")
async def tokens_page(
    session: AsyncSession, signed_in: Visitor, flash: Flash = None
) -> Response[Any]:
    """One's API tokens (an admin sees everyone's) and the form to create one."""
    return await _tokens_page(session, signed_in, flash=flash)


@post(
    "/settings/tokens",
    name="settings_tokens_create",
    status_code=200,
    opt=writes("/settings/tokens", viewers_cannot=VIEWERS_CANNOT_TOKENS),
)
async def create_token_submit(
    request: Request[Any, Any, Any], session: AsyncSession, signed_in: Visitor
) -> Response[Any]:
    """Create a token for oneself; the answer shows its secret, this once."""
    form = await request.form()
    name = str(form.get("name") or "")
    mail_provider = str(form.get("mail_provider") or "")[:TEXT_MAX]
    scopes = [str(value)[:TEXT_MAX] for value in form.getall("scopes", [])][: len(Scope) * 2]
    try:
        async with session.begin_nested():
            created = await create_own_token(
                session,
                signed_in.actor,
                scopes=scopes,
                name=name.strip() or None,
                mail_provider=mail_provider,
            )
    except CompoundError as error:
        return await _tokens_page(
            session,
            signed_in,
            problem=Problem(error.message, error.field),
            name=name,
            scopes=scopes,
            mail_provider=mail_provider,
            status_code=http_status(error),
        )
    return await _tokens_page(session, signed_in, created=created)


@post(
    "/settings/tokens/revoke",
    name="settings_tokens_revoke",
    status_code=SEE_OTHER,
    opt=writes("/settings/tokens", viewers_cannot=VIEWERS_CANNOT_TOKENS),
)
async def revoke_token_submit(
    request: Request[Any, Any, Any], session: AsyncSession, signed_in: Visitor
) -> Response[Any]:
    """Revoke a token: one's own, or (an admin) anyone's."""
    form = await request.form()
    try:
        token_id = _id_sent(form, "token")
        async with session.begin_nested():
            await revoke_token(session, signed_in.actor, token_id)
    except CompoundError as error:
        return await _tokens_page(
            session,
            signed_in,
            problem=Problem(f"Not revoked: {error.message}"),
            status_code=http_status(error),
        )
    return Redirect("/settings/tokens?flash=revoked", status_code=SEE_OTHER)


# --- users and roles ------------------------------------------------------------------------


async def _users_page(
    session: AsyncSession,
    signed_in: Visitor,
    *,
    flash: str | None = None,
    problem: Problem | None = None,
    drafts: dict[str, str] | None = None,
    status_code: int = 200,
) -> Template:
    users = await list_users(session)
    return _signed_in_page(
        "settings_users.html",
        signed_in,
        "users",
        users=users,
        roles=ROLES,
        flash=USER_FLASHES.get(flash or ""),
        problem=problem,
        drafts=drafts or {"email": "", "name": "", "role": Role.MEMBER.value},
        status_code=status_code,
    )


@get("/settings/users", name="settings_users")
async def users_page(
    session: AsyncSession, signed_in: Visitor, flash: Flash = None
) -> Response[Any]:
    """Users and their roles; an admin can add users and change roles."""
    return await _users_page(session, signed_in, flash=flash)


@post(
    "/settings/users",
    name="settings_users_create",
    status_code=SEE_OTHER,
    opt=writes("/settings/users", viewers_cannot=VIEWERS_CANNOT_USERS),
)
async def create_user_submit(
    request: Request[Any, Any, Any], session: AsyncSession, signed_in: Visitor
) -> Response[Any]:
    """Add a user (admins only); errors name the field, and what was typed stays."""
    form = await request.form()
    drafts = {name: str(form.get(name) or "") for name in USER_FIELDS}
    password = str(form.get("password") or "")
    try:
        async with session.begin_nested():
            await create_user(
                session,
                signed_in.actor,
                email=drafts["email"],
                name=drafts["name"].strip() or None,
                password=password,
                role=drafts["role"],
            )
    except CompoundError as error:
        return await _users_page(
            session,
            signed_in,
            problem=Problem(error.message, error.field),
            drafts={key: value[:TEXT_MAX] for key, value in drafts.items()},
            status_code=http_status(error),
        )
    return Redirect("/settings/users?flash=created", status_code=SEE_OTHER)


@post(
    "/settings/users/role",
    name="settings_users_role",
    status_code=SEE_OTHER,
    opt=writes("/settings/users", viewers_cannot=VIEWERS_CANNOT_USERS),
)
async def set_role_submit(
    request: Request[Any, Any, Any], session: AsyncSession, signed_in: Visitor
) -> Response[Any]:
    """Change a user's role (admins only); the last admin stays one."""
    form = await request.form()
    try:
        user_id = _id_sent(form, "user")
        async with session.begin_nested():
            await set_role(
                session, signed_in.actor, user_id, str(form.get("role") or "")[:TEXT_MAX]
            )
    except CompoundError as error:
        return await _users_page(
            session,
            signed_in,
            problem=Problem(f"Role not changed: {error.message}"),
            status_code=http_status(error),
        )
    return Redirect("/settings/users?flash=role", status_code=SEE_OTHER)
