"""Users and tokens: only hashes are stored; revoked, expired and malformed tokens are refused."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select, text, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from compound.platform.auth import service as auth
from compound.platform.auth.actor import Actor
from compound.platform.auth.models import ApiToken, User
from compound.platform.clock import utcnow
from compound.platform.errors import (
    Duplicate,
    NotAuthenticated,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from compound.platform.records.models import AuditEvent

SETUP = Actor.system("tests")
READ = frozenset({"read"})


async def test_token_secret_is_never_stored(session: AsyncSession) -> None:
    await auth.create_user(session, SETUP, email="ada@example.com", role="member")
    token, secret = await auth.create_token(
        session, SETUP, user_email="ada@example.com", scopes=["read"]
    )
    assert secret.startswith("cpd_") and len(secret) > 40
    dump = await session.scalar(
        text("SELECT string_agg(row_to_json(t)::text, '') FROM api_token t")
    )
    assert secret not in dump
    assert token.token_hash == auth.hash_token(secret)
    actor = await auth.authenticate_token(session, secret)
    assert actor.scopes == frozenset({"read"})
    assert actor.label.startswith("token:cpd_")


async def test_password_is_hashed_with_argon2(session: AsyncSession) -> None:
    user = await auth.create_user(
        session, SETUP, email="b@example.com", role="admin", password="correct horse"
    )
    assert user.password_hash is not None and user.password_hash.startswith("$argon2")
    assert (
        await auth.authenticate_password(session, "B@example.com", "correct horse")
    ).id == user.id
    with pytest.raises(NotAuthenticated):
        await auth.authenticate_password(session, "b@example.com", "wrong horse")
    with pytest.raises(NotAuthenticated):
        await auth.authenticate_password(session, "nobody@example.com", "correct horse")


@pytest.mark.parametrize(
    "secret",
    ["", "   ", "not-a-token", "cpd_" + "x" * 43, "cpd_" + "x" * 500, "Bearer cpd_abc", "cpd_\x00"],
)
async def test_malformed_or_unknown_tokens_are_refused(session: AsyncSession, secret: str) -> None:
    with pytest.raises(NotAuthenticated):
        await auth.authenticate_token(session, secret)


async def test_revoked_and_expired_tokens_are_refused(session: AsyncSession) -> None:
    await auth.create_user(session, SETUP, email="c@example.com", role="member")
    revoked, revoked_secret = await auth.create_token(
        session, SETUP, user_email="c@example.com", scopes=["read"]
    )
    await auth.revoke_token(session, SETUP, revoked.id)
    with pytest.raises(NotAuthenticated, match="revoked"):
        await auth.authenticate_token(session, revoked_secret)
    expiring, expiring_secret = await auth.create_token(
        session, SETUP, user_email="c@example.com", scopes=["read"], expires_in=timedelta(hours=1)
    )
    await session.execute(
        update(ApiToken)
        .where(ApiToken.id == expiring.id)
        .values(expires_at=utcnow() - timedelta(seconds=1))
    )
    with pytest.raises(NotAuthenticated, match="expired"):
        await auth.authenticate_token(session, expiring_secret)
    await session.execute(update(User).where(User.email == "c@example.com").values(is_active=False))
    _, fresh = await auth.create_token(session, SETUP, user_email="c@example.com", scopes=["read"])
    with pytest.raises(NotAuthenticated, match="deactivated"):
        await auth.authenticate_token(session, fresh)


async def test_a_viewers_token_never_writes(session: AsyncSession) -> None:
    await auth.create_user(session, SETUP, email="v@example.com", role="viewer")
    _, secret = await auth.create_token(
        session, SETUP, user_email="v@example.com", scopes=["read", "write"]
    )
    actor = await auth.authenticate_token(session, secret)
    assert not actor.has_scope("write")
    with pytest.raises(PermissionDenied, match="'write' scope"):
        actor.require_scope("write")


async def test_using_a_token_records_when(session: AsyncSession) -> None:
    await auth.create_user(session, SETUP, email="d@example.com", role="member")
    token, secret = await auth.create_token(
        session, SETUP, user_email="d@example.com", scopes=["read"]
    )
    assert token.last_used_at is None
    await auth.authenticate_token(session, secret)
    await session.refresh(token)
    assert token.last_used_at is not None


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"email": "x@example.com", "role": "owner"}, "unknown role 'owner'"),
        ({"email": "not-an-email", "role": "admin"}, "not an email address"),
        ({"email": "x@example.com", "role": "admin", "password": "short"}, "at least 8"),
        ({"email": "x@example.com", "role": "admin", "password": "p" * 1025}, "longer than 1024"),
    ],
)
async def test_bad_user_input_says_what_is_wrong(
    session: AsyncSession, kwargs: dict[str, str], message: str
) -> None:
    with pytest.raises(ValidationFailed, match=message):
        await auth.create_user(session, SETUP, **kwargs)


async def test_duplicate_user_and_unknown_scope(session: AsyncSession) -> None:
    await auth.create_user(session, SETUP, email="e@example.com", role="member")
    with pytest.raises(Duplicate):
        await auth.create_user(session, SETUP, email="E@example.com", role="viewer")
    with pytest.raises(ValidationFailed, match="unknown scope 'admin'"):
        await auth.create_token(
            session, SETUP, user_email="e@example.com", scopes=["read", "admin"]
        )
    with pytest.raises(ValidationFailed, match="at least one scope"):
        await auth.create_token(session, SETUP, user_email="e@example.com", scopes=[" ", ""])
    with pytest.raises(NotFound):
        await auth.create_token(session, SETUP, user_email="ghost@example.com", scopes=["read"])
    assert await session.scalar(select(ApiToken).where(ApiToken.name == "x")) is None


def test_only_compounds_own_actors_are_the_system() -> None:
    assert Actor.system("cli").is_system
    person = uuid.uuid4()
    for forged in (
        Actor(label="system:cli", user_id=person),
        Actor(label="system:cli", token_id=person),
        Actor(label="system:cli", role="admin"),
        Actor(label="user:system:cli"),
    ):
        assert not forged.is_system
        assert not auth.may_administer(forged)
    assert auth.may_administer(Actor.system("cli"))


async def test_an_admin_may_administer_only_with_the_write_scope(session: AsyncSession) -> None:
    admin = await auth.create_user(session, SETUP, email="f@example.com", role="admin")
    assert auth.may_administer(auth.actor_for_user(admin))
    _, read_only = await auth.create_token(session, SETUP, user_email=admin.email, scopes=["read"])
    actor = await auth.authenticate_token(session, read_only)
    assert not auth.may_administer(actor)
    with pytest.raises(PermissionDenied, match="only admins can add users"):
        await auth.create_user(session, actor, email="g@example.com", role="admin")


def _actor(role: str, *, scopes: frozenset[str] = frozenset({"read", "write"})) -> Actor:
    return Actor(label=f"user:{role}", user_id=uuid.uuid4(), role=role, scopes=scopes)


def test_who_may_revoke_a_token_for_each_kind_of_caller() -> None:
    member, admin, viewer = _actor("member"), _actor("admin"), _actor("viewer", scopes=READ)
    read_only_admin = _actor("admin", scopes=READ)
    token = uuid.uuid4()

    def refusal(actor: Actor, owner: uuid.UUID | None, *, revoked: bool = False) -> str | None:
        error = auth.token_revoke_refusal(
            actor, token, owner_id=owner or uuid.uuid4(), revoked=revoked
        )
        return None if error is None else f"{type(error).__name__}: {error.message}"

    assert refusal(member, member.user_id) is None
    assert refusal(member, None) == "PermissionDenied: you can revoke only your own tokens"
    assert refusal(admin, None) is None
    assert refusal(Actor.system("cli"), None) is None
    viewers = "PermissionDenied: viewers cannot revoke API tokens; ask an admin"
    assert refusal(viewer, viewer.user_id) == viewers
    assert refusal(read_only_admin, read_only_admin.user_id) == viewers
    assert refusal(admin, None, revoked=True) == f"NotFound: no active token with id {token}"
    assert [auth.may_hold_tokens(a) for a in (member, admin, viewer, read_only_admin)] == [
        True,
        True,
        False,
        False,
    ]


async def test_each_change_to_users_and_tokens_leaves_an_audit_event(
    session: AsyncSession,
) -> None:
    user = await auth.create_user(session, SETUP, email="h@example.com", role="viewer")
    await auth.set_role(session, SETUP, user.id, "member")
    token, _ = await auth.create_token(session, SETUP, user_email=user.email, scopes=["read"])
    await auth.revoke_token(session, SETUP, token.id)
    events = (
        await session.execute(
            select(AuditEvent)
            .where(col(AuditEvent.subject_id).in_([user.id, token.id]))
            .order_by(col(AuditEvent.occurred_at))
        )
    ).scalars()
    assert [(event.action, event.actor_label) for event in events] == [
        ("user.created", "system:tests"),
        ("user.role_changed", "system:tests"),
        ("token.created", "system:tests"),
        ("token.revoked", "system:tests"),
    ]
