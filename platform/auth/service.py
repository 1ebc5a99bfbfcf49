"""Users and API tokens: create them, hash their secrets, turn a bearer token into an Actor."""

from __future__ import annotations

import asyncio
import hashlib
import re
import secrets
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from compound.platform.auth.actor import Actor
from compound.platform.auth.lockout import (
    clear_failures,
    count_failure,
    failure_address,
    failure_budget,
    refuse_if_locked,
)
from compound.platform.auth.models import ApiToken, Role, Scope, User
from compound.platform.clock import utcnow
from compound.platform.errors import (
    CompoundError,
    Duplicate,
    NotAuthenticated,
    NotFound,
    PermissionDenied,
    Required,
    TooLong,
    ValidationFailed,
)
from compound.platform.normalize import normalize_email
from compound.platform.records.rules import optional_text
from compound.platform.records.timeline import record_change

TOKEN_PREFIX = "cpd_"  # noqa: S105 (a public marker, not a secret)
MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 1024
MAX_TOKEN_LENGTH = 200
# One label of the host name providers use as their RFC 8601 authserv-id.
_HOST_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?", re.ASCII)
# Writing last_used_at on every request would turn reads into writes; once a minute is enough.
LAST_USED_RESOLUTION = timedelta(minutes=1)
TOKENS_LISTED = 500
USERS_LISTED = 1000

_password_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    return _password_hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _password_hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


@cache
def _dummy_password_hash() -> str:
    return _password_hasher.hash(secrets.token_urlsafe(16))


def _password_matches(password_hash: str | None, password: str) -> bool:
    # With no hash to check (unknown address, inactive or passwordless user) a dummy one is
    # checked, so a refusal takes as long as a wrong password and reveals no account.
    verified = verify_password(password_hash or _dummy_password_hash(), password)
    return verified and password_hash is not None


def hash_token(secret: str) -> str:
    # Tokens are 256 random bits, so a fast hash is safe here (no dictionary to guess from).
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def parse_role(value: str) -> Role:
    try:
        return Role(value.strip().lower())
    except ValueError:
        raise ValidationFailed(
            f"unknown role {value!r}; choose one of: {', '.join(r.value for r in Role)}",
            field="role",
        ) from None


def parse_scopes(values: Iterable[str]) -> list[str]:
    scopes: list[str] = []
    for raw in values:
        name = raw.strip().lower()
        if not name:
            continue
        try:
            scope = Scope(name)
        except ValueError:
            raise ValidationFailed(
                f"unknown scope {raw!r}; choose from: {', '.join(s.value for s in Scope)}",
                field="scopes",
            ) from None
        if scope.value not in scopes:
            scopes.append(scope.value)
    if not scopes:
        raise Required("a token needs at least one scope", field="scopes")
    return scopes


def parse_mail_provider(value: str | None, *, scopes: Iterable[str]) -> str | None:
    """The authserv-id an ingest token vouches with (`mx.provider.example`), lower-cased;
    None for none. Only an `ingest` token posts mail, so only it may name one."""
    if value is None or not value.strip():
        return None
    provider = value.strip().lower()
    if len(provider) > 253 or not all(_HOST_LABEL.fullmatch(p) for p in provider.split(".")):
        raise ValidationFailed(
            f"{value[:100]!r} is not a mail provider's server id: give the host name its "
            "Authentication-Results headers start with, such as mx.provider.example",
            field="mail_provider",
        )
    if Scope.INGEST.value not in scopes:
        raise ValidationFailed(
            "only a token with the 'ingest' scope posts mail, so only it names a mail provider",
            field="mail_provider",
        )
    return provider


async def mail_provider_of(session: AsyncSession, actor: Actor) -> str | None:
    """The provider whose Authentication-Results mail posted with this actor's token may
    carry; None for a token that names none, or no token (a token alone is not a relay)."""
    if actor.token_id is None:
        return None
    provider: str | None = await session.scalar(
        select(col(ApiToken.mail_provider)).where(col(ApiToken.id) == actor.token_id)
    )
    return provider


def _user_values(user: User) -> dict[str, Any]:
    # What the audit log keeps of a user: never the password hash, only whether there is one.
    return {
        "id": str(user.id),
        "email": user.email,
        "name": user.name,
        "role": user.role,
        "is_active": user.is_active,
        "has_password": user.password_hash is not None,
    }


def _token_values(token: ApiToken) -> dict[str, Any]:
    # Never the hash: the prefix tells tokens apart.
    return {
        "id": str(token.id),
        "user_id": str(token.user_id),
        "name": token.name,
        "prefix": token.prefix,
        "scopes": list(token.scopes),
        "mail_provider": token.mail_provider,
        "expires_at": token.expires_at.isoformat() if token.expires_at else None,
        "revoked_at": token.revoked_at.isoformat() if token.revoked_at else None,
    }


async def create_user(
    session: AsyncSession,
    actor: Actor,
    *,
    email: str,
    role: str,
    password: str | None = None,
    name: str | None = None,
) -> User:
    """Add a user (an admin, or Compound itself: the CLI); audited."""
    require_admin(actor, "add users")
    normalized = normalize_email(email)
    parsed_role = parse_role(role)
    if password is not None:
        if len(password) < MIN_PASSWORD_LENGTH:
            raise ValidationFailed(
                f"password must have at least {MIN_PASSWORD_LENGTH} characters", field="password"
            )
        if len(password) > MAX_PASSWORD_LENGTH:
            raise TooLong(
                f"password is longer than {MAX_PASSWORD_LENGTH} characters", field="password"
            )
    display_name = (name or normalized.split("@", 1)[0]).strip()
    if len(display_name) > 200:
        raise TooLong("name is longer than 200 characters", field="name")
    optional_text(display_name, field="name", max_length=200)  # no NUL or line breaks
    existing = await session.scalar(select(col(User.id)).where(col(User.email) == normalized))
    if existing is not None:
        raise Duplicate(
            f"a user with email {normalized} already exists (id {existing})",
            field="email",
            existing_id=str(existing),
        )
    user = User(
        email=normalized,
        name=display_name or normalized,
        role=parsed_role.value,
        password_hash=(
            await asyncio.to_thread(hash_password, password) if password is not None else None
        ),
    )
    session.add(user)
    await session.flush()
    await record_change(
        session,
        actor,
        action="user.created",
        subject_type="user",
        subject_id=user.id,
        summary=f"User added: {user.email} ({user.role})",
        after=_user_values(user),
    )
    return user


async def user_by_email(session: AsyncSession, email: str) -> User:
    normalized = normalize_email(email)
    user = await session.scalar(select(User).where(col(User.email) == normalized))
    if user is None:
        raise NotFound(f"no user with email {normalized}", field="user")
    return user


async def authenticate_password(session: AsyncSession, email: str, password: str) -> User:
    """The user this email and password belong to; every way in (web sign-in, SMTP AUTH)
    checks a password through here, so they share one failure count per address.

    NotAuthenticated for a wrong password, an unknown address or a user who cannot sign in
    (all alike, and equally slow); SignInPaused, without checking, while the address is
    locked or this process's budget of wrong passwords is spent. The failure is written in
    the caller's transaction: the edge commits it even though this raises.
    """
    address = failure_address(email)
    await refuse_if_locked(session, address)
    budget = failure_budget()
    budget.refuse_if_spent()
    user = await session.scalar(select(User).where(col(User.email) == address))
    password_hash = user.password_hash if user is not None and user.is_active else None
    # argon2 takes tens of milliseconds of CPU: off the event loop, so other requests go on.
    matches = await asyncio.to_thread(
        _password_matches, password_hash, password[:MAX_PASSWORD_LENGTH]
    )
    if user is None or not matches:
        budget.spend()
        await count_failure(session, address)
        raise NotAuthenticated("wrong email or password")
    await clear_failures(session, address)
    return user


async def create_token(
    session: AsyncSession,
    actor: Actor,
    *,
    user_email: str,
    scopes: Iterable[str],
    name: str | None = None,
    expires_in: timedelta | None = None,
    mail_provider: str | None = None,
) -> tuple[ApiToken, str]:
    """Create a token; returns the row and the secret, which is never stored or shown again.
    `mail_provider`: for an ingest token a mail provider holds, the authserv-id of that
    provider's Authentication-Results header (see `parse_mail_provider`).
    For anyone: an admin's or Compound's (the CLI) doing, audited; a person makes their own
    with `create_own_token`."""
    require_admin(actor, "create API tokens for anyone")
    user = await user_by_email(session, user_email)
    return await _issue_token(
        session,
        actor,
        user,
        scopes=scopes,
        name=name,
        expires_in=expires_in,
        mail_provider=mail_provider,
    )


async def _issue_token(
    session: AsyncSession,
    actor: Actor,
    user: User,
    *,
    scopes: Iterable[str],
    name: str | None,
    expires_in: timedelta | None,
    mail_provider: str | None = None,
) -> tuple[ApiToken, str]:
    parsed_scopes = parse_scopes(scopes)
    provider = parse_mail_provider(mail_provider, scopes=parsed_scopes)
    label = (name or f"token for {user.email}").strip()
    if len(label) > 200:
        raise TooLong("token name is longer than 200 characters", field="name")
    optional_text(label, field="name", max_length=200)  # no NUL or line breaks
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user_id=user.id,
        name=label,
        token_hash=hash_token(secret),
        prefix=secret[: len(TOKEN_PREFIX) + 6],
        scopes=parsed_scopes,
        mail_provider=provider,
        expires_at=utcnow() + expires_in if expires_in else None,
    )
    session.add(token)
    await session.flush()
    await record_change(
        session,
        actor,
        action="token.created",
        subject_type="api_token",
        subject_id=token.id,
        summary=f"API token {token.prefix}… created for {user.email}",
        after=_token_values(token),
    )
    return token, secret


async def revoke_token(session: AsyncSession, actor: Actor, token_id: uuid.UUID) -> ApiToken:
    """Revoke a token, audited: a member only their own, an admin (or Compound itself: the
    CLI) anyone's, a viewer none."""
    token = await session.get(ApiToken, token_id, with_for_update=True, populate_existing=True)
    if token is None:
        raise NotFound(f"no token with id {token_id}", field="id")
    refusal = token_revoke_refusal(
        actor, token.id, owner_id=token.user_id, revoked=token.revoked_at is not None
    )
    if refusal is not None:
        raise refusal
    before = _token_values(token)
    token.revoked_at = utcnow()
    await session.flush()
    await record_change(
        session,
        actor,
        action="token.revoked",
        subject_type="api_token",
        subject_id=token.id,
        summary=f"API token {token.prefix}… revoked",
        before=before,
        after=_token_values(token),
    )
    return token


# --- what a signed-in person may do with tokens and users -----------------------------------


@dataclass(frozen=True)
class TokenListing:
    """A token as its owner and admins see it: never the secret, nor its hash."""

    id: uuid.UUID
    name: str
    prefix: str
    scopes: list[str]
    created_at: datetime
    last_used_at: datetime | None
    expires_at: datetime | None
    revoked_at: datetime | None
    owner_id: uuid.UUID
    owner_email: str
    owner_name: str


def is_admin(actor: Actor) -> bool:
    return actor.role == Role.ADMIN


def may_administer(actor: Actor) -> bool:
    """Whether the actor may change users, roles and others' tokens: an admin who may
    write (a read-only admin token may not), or Compound itself (the CLI)."""
    return actor.is_system or (is_admin(actor) and actor.has_scope("write"))


def may_hold_tokens(actor: Actor) -> bool:
    """Whether the actor may have API tokens of their own (create them, revoke them): anyone
    who may write but a viewer — a token outlives the browser session and is easily leaked,
    and a viewer has nothing a token would add."""
    return actor.role != Role.VIEWER and actor.has_scope("write")


def token_revoke_refusal(
    actor: Actor, token_id: uuid.UUID, *, owner_id: uuid.UUID, revoked: bool
) -> CompoundError | None:
    """Why `actor` may not revoke this token now, as the error `revoke_token` raises, or None
    when they may: an admin who may write (or Compound itself: the CLI) anyone's, a member
    only their own, a viewer none; and a token only once. The tokens page shows its Revoke
    button only where this is None."""
    if not may_administer(actor):
        if not may_hold_tokens(actor):
            return PermissionDenied("viewers cannot revoke API tokens; ask an admin")
        if actor.user_id is None:
            return PermissionDenied("only a signed-in person has API tokens of their own")
        if owner_id != actor.user_id:
            return PermissionDenied("you can revoke only your own tokens")
    if revoked:
        return NotFound(f"no active token with id {token_id}", field="id")
    return None


def may_revoke_token(actor: Actor, token: TokenListing) -> bool:
    return (
        token_revoke_refusal(
            actor, token.id, owner_id=token.owner_id, revoked=token.revoked_at is not None
        )
        is None
    )


def require_admin(actor: Actor, doing: str) -> None:
    if not may_administer(actor):
        raise PermissionDenied(f"only admins can {doing}")


def _user_of(actor: Actor) -> uuid.UUID:
    if actor.user_id is None:
        raise PermissionDenied("only a signed-in person has API tokens of their own")
    return actor.user_id


async def list_tokens(
    session: AsyncSession, *, user_id: uuid.UUID | None = None, limit: int = TOKENS_LISTED
) -> list[TokenListing]:
    """Tokens newest first, with their owner; one person's when `user_id` is given."""
    statement = (
        select(ApiToken, User)
        .join(User, col(User.id) == col(ApiToken.user_id))
        .order_by(col(ApiToken.created_at).desc(), col(ApiToken.id))
        .limit(limit)
    )
    if user_id is not None:
        statement = statement.where(col(ApiToken.user_id) == user_id)
    rows = (await session.execute(statement)).all()
    return [
        TokenListing(
            id=token.id,
            name=token.name,
            prefix=token.prefix,
            scopes=list(token.scopes),
            created_at=token.created_at,
            last_used_at=token.last_used_at,
            expires_at=token.expires_at,
            revoked_at=token.revoked_at,
            owner_id=user.id,
            owner_email=user.email,
            owner_name=user.name,
        )
        for token, user in rows
    ]


async def tokens_visible_to(session: AsyncSession, actor: Actor) -> list[TokenListing]:
    """Everyone's tokens for an admin; one's own for anybody else."""
    if is_admin(actor):
        return await list_tokens(session)
    return await list_tokens(session, user_id=_user_of(actor))


async def create_own_token(
    session: AsyncSession,
    actor: Actor,
    *,
    scopes: Iterable[str],
    name: str | None = None,
    mail_provider: str | None = None,
) -> tuple[ApiToken, str]:
    """A token for the signed-in person themselves. Viewers get none: a token outlives the
    browser session and is easily leaked, and a viewer has nothing a token would add."""
    user_id = _user_of(actor)
    if not may_hold_tokens(actor):
        raise PermissionDenied("viewers cannot create API tokens; ask an admin")
    user = await session.get(User, user_id)
    if user is None or not user.is_active:
        raise PermissionDenied("this account cannot hold API tokens")
    return await _issue_token(
        session,
        actor,
        user,
        scopes=scopes,
        name=name,
        expires_in=None,
        mail_provider=mail_provider,
    )


async def list_users(session: AsyncSession, *, limit: int = USERS_LISTED) -> list[User]:
    """Users by name, then email."""
    statement = select(User).order_by(col(User.name), col(User.email)).limit(limit)
    return list((await session.execute(statement)).scalars())


async def set_role(session: AsyncSession, actor: Actor, user_id: uuid.UUID, role: str) -> User:
    """Give a user another role (admins only), audited; the last active admin cannot stop
    being one."""
    require_admin(actor, "change roles")
    parsed = parse_role(role)
    # Locking every active admin serializes two admins demoting each other at once.
    admins = set(
        (
            await session.execute(
                select(col(User.id))
                .where(col(User.role) == Role.ADMIN.value, col(User.is_active).is_(True))
                .with_for_update()
            )
        ).scalars()
    )
    user = await session.get(User, user_id, with_for_update=True, populate_existing=True)
    if user is None:
        raise NotFound(f"no user with id {user_id}", field="user")
    if parsed != Role.ADMIN and user.id in admins and len(admins) == 1:
        raise ValidationFailed(
            f"{user.email} is the last admin; make another user an admin first",
            field="role",
        )
    if user.role == parsed.value:
        return user  # nothing changes, so nothing to audit
    before = _user_values(user)
    user.role = parsed.value
    await session.flush()
    await record_change(
        session,
        actor,
        action="user.role_changed",
        subject_type="user",
        subject_id=user.id,
        summary=f"Role of {user.email}: {before['role']} → {user.role}",
        before=before,
        after=_user_values(user),
    )
    return user


def actor_for_user(user: User, *, token: ApiToken | None = None) -> Actor:
    if token is None:
        # A signed-in person acts with every scope their role allows.
        scopes = {"read"} if user.role == Role.VIEWER else {"read", "write"}
        return Actor(
            label=f"user:{user.email}", user_id=user.id, role=user.role, scopes=frozenset(scopes)
        )
    scopes = set(token.scopes)
    if user.role == Role.VIEWER:
        # A viewer's token can never write, whatever scopes it was given.
        scopes -= {"write"}
    return Actor(
        label=f"token:{token.prefix}… ({user.email})",
        user_id=user.id,
        token_id=token.id,
        role=user.role,
        scopes=frozenset(scopes),
    )


async def authenticate_token(session: AsyncSession, secret: str) -> Actor:
    """The Actor behind a bearer token; NotAuthenticated says why not."""
    secret = secret.strip()
    if not secret:
        raise NotAuthenticated("missing API token: send `Authorization: Bearer <token>`")
    if len(secret) > MAX_TOKEN_LENGTH or not secret.startswith(TOKEN_PREFIX):
        raise NotAuthenticated("invalid API token")
    row = (
        await session.execute(
            select(ApiToken, User)
            .join(User, col(User.id) == ApiToken.user_id)
            .where(col(ApiToken.token_hash) == hash_token(secret))
        )
    ).first()
    if row is None:
        raise NotAuthenticated("invalid API token")
    token, user = row
    now = utcnow()
    if token.revoked_at is not None:
        raise NotAuthenticated("this API token has been revoked")
    if token.expires_at is not None and token.expires_at <= now:
        raise NotAuthenticated("this API token has expired")
    if not user.is_active:
        raise NotAuthenticated("the user of this API token is deactivated")
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
        await session.execute(
            update(ApiToken).where(col(ApiToken.id) == token.id).values(last_used_at=now)
        )
    return actor_for_user(user, token=token)
