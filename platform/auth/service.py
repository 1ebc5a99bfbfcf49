"""Users and API tokens: create them, hash their secrets, turn a bearer token into an Actor."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from compound.platform.auth.actor import Actor
from compound.platform.auth.models import ApiToken, Role, Scope, User
from compound.platform.clock import utcnow
from compound.platform.errors import (
    Duplicate,
    NotAuthenticated,
    NotFound,
    PermissionDenied,
    Required,
    TooLong,
    ValidationFailed,
)
from compound.platform.normalize import normalize_email

TOKEN_PREFIX = "cpd_"  # noqa: S105 (a public marker, not a secret)
MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 1024
MAX_TOKEN_LENGTH = 200
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


async def create_user(
    session: AsyncSession,
    *,
    email: str,
    role: str,
    password: str | None = None,
    name: str | None = None,
) -> User:
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
        password_hash=hash_password(password) if password is not None else None,
    )
    session.add(user)
    await session.flush()
    return user


async def user_by_email(session: AsyncSession, email: str) -> User:
    normalized = normalize_email(email)
    user = await session.scalar(select(User).where(col(User.email) == normalized))
    if user is None:
        raise NotFound(f"no user with email {normalized}", field="user")
    return user


async def authenticate_password(session: AsyncSession, email: str, password: str) -> User:
    try:
        user = await user_by_email(session, email)
    except (NotFound, ValidationFailed):
        raise NotAuthenticated("unknown email or wrong password") from None
    if not user.is_active or user.password_hash is None:
        raise NotAuthenticated("unknown email or wrong password")
    if not verify_password(user.password_hash, password[:MAX_PASSWORD_LENGTH]):
        raise NotAuthenticated("unknown email or wrong password")
    return user


async def create_token(
    session: AsyncSession,
    *,
    user_email: str,
    scopes: Iterable[str],
    name: str | None = None,
    expires_in: timedelta | None = None,
) -> tuple[ApiToken, str]:
    """Create a token; returns the row and the secret, which is never stored or shown again."""
    user = await user_by_email(session, user_email)
    return await _issue_token(session, user, scopes=scopes, name=name, expires_in=expires_in)


async def _issue_token(
    session: AsyncSession,
    user: User,
    *,
    scopes: Iterable[str],
    name: str | None,
    expires_in: timedelta | None,
) -> tuple[ApiToken, str]:
    parsed_scopes = parse_scopes(scopes)
    label = (name or f"token for {user.email}").strip()
    if len(label) > 200:
        raise TooLong("token name is longer than 200 characters", field="name")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user_id=user.id,
        name=label,
        token_hash=hash_token(secret),
        prefix=secret[: len(TOKEN_PREFIX) + 6],
        scopes=parsed_scopes,
        expires_at=utcnow() + expires_in if expires_in else None,
    )
    session.add(token)
    await session.flush()
    return token, secret


async def revoke_token(session: AsyncSession, token_id: uuid.UUID) -> None:
    result = await session.execute(
        update(ApiToken)
        .where(col(ApiToken.id) == token_id, col(ApiToken.revoked_at).is_(None))
        .values(revoked_at=utcnow())
    )
    if result.rowcount == 0:  # type: ignore[attr-defined]
        raise NotFound(f"no active token with id {token_id}", field="id")


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


def require_admin(actor: Actor, doing: str) -> None:
    if not is_admin(actor):
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
    session: AsyncSession, actor: Actor, *, scopes: Iterable[str], name: str | None = None
) -> tuple[ApiToken, str]:
    """A token for the signed-in person themselves. Viewers get none: a token outlives the
    browser session and is easily leaked, and a viewer has nothing a token would add."""
    user_id = _user_of(actor)
    if actor.role == Role.VIEWER or not actor.has_scope("write"):
        raise PermissionDenied("viewers cannot create API tokens; ask an admin")
    user = await session.get(User, user_id)
    if user is None or not user.is_active:
        raise PermissionDenied("this account cannot hold API tokens")
    return await _issue_token(session, user, scopes=scopes, name=name, expires_in=None)


async def revoke_token_as(session: AsyncSession, actor: Actor, token_id: uuid.UUID) -> None:
    """Revoke a token: a member only their own, an admin anyone's, a viewer none."""
    owner = await session.scalar(select(col(ApiToken.user_id)).where(col(ApiToken.id) == token_id))
    if owner is None:
        raise NotFound(f"no token with id {token_id}", field="id")
    if not is_admin(actor):
        if actor.role == Role.VIEWER or not actor.has_scope("write"):
            raise PermissionDenied("viewers cannot revoke API tokens; ask an admin")
        if owner != _user_of(actor):
            raise PermissionDenied("you can revoke only your own tokens")
    await revoke_token(session, token_id)


async def list_users(session: AsyncSession, *, limit: int = USERS_LISTED) -> list[User]:
    """Users by name, then email."""
    statement = select(User).order_by(col(User.name), col(User.email)).limit(limit)
    return list((await session.execute(statement)).scalars())


async def set_role(session: AsyncSession, user_id: uuid.UUID, role: str) -> User:
    """Give a user another role; the last active admin cannot stop being one."""
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
    user.role = parsed.value
    await session.flush()
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
