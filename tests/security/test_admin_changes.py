"""Admin-only changes are refused by the auth service itself, and every change to users, roles
and tokens is audited (issue 13, finding 13). Before, only the settings page checked the
role: `create_user` and `set_role` took no actor (any caller could add an admin), wrote no
audit event, and `compound up` revoked tokens with a raw UPDATE. Tried through the service,
the real pages (in-process app, real database) and the real `compound` command."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import psycopg
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from compound.platform.auth import service as auth
from compound.platform.auth.actor import Actor, AgentProvenance
from compound.platform.auth.models import ApiToken, User
from compound.platform.embedded_postgres import libpq_url
from compound.platform.errors import PermissionDenied
from compound.platform.records.models import AuditEvent
from tests.conftest import LiveServer, Tokens
from tests.web.test_pages import PASSWORD, signed_in

SETUP = Actor.system("tests")
CALLERS = ["member", "member's token", "viewer", "admin's read-only token", "agent", "forged"]


async def caller(session: AsyncSession, kind: str) -> Actor:
    """Everyone who must not administer, as the service sees them."""
    member = await auth.user_by_email(session, "member@tests.example")
    if kind == "member":
        return auth.actor_for_user(member)
    if kind == "member's token":
        _, secret = await auth.create_token(
            session, SETUP, user_email=member.email, scopes=["read", "write"]
        )
        return await auth.authenticate_token(session, secret)
    if kind == "viewer":
        return auth.actor_for_user(await auth.user_by_email(session, "viewer@tests.example"))
    if kind == "admin's read-only token":
        _, secret = await auth.create_token(
            session, SETUP, user_email="admin@tests.example", scopes=["read"]
        )
        return await auth.authenticate_token(session, secret)
    if kind == "agent":
        return Actor(
            label="agent:leads.researcher",
            role="agent",
            scopes=frozenset({"read", "write"}),
            provenance=AgentProvenance(run_id=uuid.uuid4(), agent="leads.researcher"),
        )
    # A person's actor relabelled as the system's is still that person.
    return Actor(label="system:cli", user_id=member.id, role="member", scopes=frozenset({"write"}))


async def audit_count(session: AsyncSession, action: str | None = None) -> int:
    statement = select(func.count()).select_from(AuditEvent)
    if action is not None:
        statement = statement.where(col(AuditEvent.action) == action)
    return int(await session.scalar(statement) or 0)


async def audit_of(session: AsyncSession, subject_id: uuid.UUID) -> list[AuditEvent]:
    rows = await session.execute(
        select(AuditEvent)
        .where(col(AuditEvent.subject_id) == subject_id)
        .order_by(col(AuditEvent.occurred_at))
    )
    return list(rows.scalars())


# --- refused by the service, whoever calls it -----------------------------------------------


@pytest.mark.parametrize("kind", CALLERS)
async def test_only_an_admin_adds_a_user_even_calling_the_service(
    session: AsyncSession, tokens: Tokens, kind: str
) -> None:
    actor = await caller(session, kind)
    audited = await audit_count(session)
    with pytest.raises(PermissionDenied, match="only admins can add users"):
        await auth.create_user(
            session, actor, email="intruder@tests.example", role="admin", password=PASSWORD
        )
    assert (
        await session.scalar(select(User).where(col(User.email) == "intruder@tests.example"))
        is None
    )
    assert await audit_count(session) == audited


@pytest.mark.parametrize("kind", CALLERS)
async def test_only_an_admin_changes_a_role_even_calling_the_service(
    session: AsyncSession, tokens: Tokens, kind: str
) -> None:
    actor = await caller(session, kind)
    member = await auth.user_by_email(session, "member@tests.example")
    audited = await audit_count(session)
    with pytest.raises(PermissionDenied, match="only admins can change roles"):
        await auth.set_role(session, actor, member.id, "admin")
    await session.refresh(member)
    assert member.role == "member"
    assert await audit_count(session) == audited


@pytest.mark.parametrize("kind", CALLERS)
async def test_nobody_but_an_admin_revokes_someone_elses_token(
    session: AsyncSession, tokens: Tokens, kind: str
) -> None:
    actor = await caller(session, kind)
    token, _ = await auth.create_token(
        session, SETUP, user_email="admin@tests.example", scopes=["read"], name="the admin's"
    )
    audited = await audit_count(session)
    with pytest.raises(PermissionDenied):
        await auth.revoke_token(session, actor, token.id)
    await session.refresh(token)
    assert token.revoked_at is None
    assert await audit_count(session) == audited


@pytest.mark.parametrize("kind", CALLERS)
async def test_nobody_but_an_admin_issues_a_token_for_someone(
    session: AsyncSession, tokens: Tokens, kind: str
) -> None:
    actor = await caller(session, kind)
    before = await session.scalar(select(func.count()).select_from(ApiToken))
    audited = await audit_count(session)
    with pytest.raises(PermissionDenied):
        await auth.create_token(
            session, actor, user_email="admin@tests.example", scopes=["read", "write"]
        )
    assert await session.scalar(select(func.count()).select_from(ApiToken)) == before
    assert await audit_count(session) == audited


async def test_the_pages_refusals_come_from_the_service_and_write_nothing(
    web_client: httpx.AsyncClient, session: AsyncSession
) -> None:
    admin_token, _ = await auth.create_token(
        session, SETUP, user_email="admin@tests.example", scopes=["read"], name="admin's"
    )
    await session.commit()
    audited = await audit_count(session)
    csrf = await signed_in(web_client, "member")
    member_id = (await auth.user_by_email(session, "member@tests.example")).id

    added = await web_client.post(
        "/settings/users",
        data={"csrf": csrf, "email": "new@tests.example", "password": PASSWORD, "role": "admin"},
    )
    promoted = await web_client.post(
        "/settings/users/role", data={"csrf": csrf, "user": str(member_id), "role": "admin"}
    )
    revoked = await web_client.post(
        "/settings/tokens/revoke", data={"csrf": csrf, "token": str(admin_token.id)}
    )

    assert [added.status_code, promoted.status_code, revoked.status_code] == [403, 403, 403]
    assert await session.scalar(select(User).where(col(User.email) == "new@tests.example")) is None
    assert (await auth.user_by_email(session, "member@tests.example")).role == "member"
    await session.refresh(admin_token)
    assert admin_token.revoked_at is None
    assert await audit_count(session) == audited


# --- every allowed change is audited --------------------------------------------------------


async def test_an_admins_changes_on_the_pages_are_audited_with_who_and_what(
    web_client: httpx.AsyncClient, session: AsyncSession
) -> None:
    csrf = await signed_in(web_client, "admin")
    admin = await auth.user_by_email(session, "admin@tests.example")

    await web_client.post(
        "/settings/users",
        data={"csrf": csrf, "email": "grace@tests.example", "password": PASSWORD, "role": "viewer"},
    )
    grace = await auth.user_by_email(session, "grace@tests.example")
    await web_client.post(
        "/settings/users/role", data={"csrf": csrf, "user": str(grace.id), "role": "member"}
    )
    await web_client.post(
        "/settings/tokens", data={"csrf": csrf, "name": "nightly", "scopes": ["read"]}
    )
    token = await session.scalar(select(ApiToken).where(col(ApiToken.name) == "nightly"))
    assert token is not None
    await web_client.post("/settings/tokens/revoke", data={"csrf": csrf, "token": str(token.id)})

    created, role_changed = await audit_of(session, grace.id)
    token_created, token_revoked = await audit_of(session, token.id)
    for event in (created, role_changed, token_created, token_revoked):
        assert (event.actor_label, event.actor_user_id) == ("user:admin@tests.example", admin.id)
    assert created.action == "user.created" and created.before is None
    assert created.after is not None
    assert created.after["role"] == "viewer" and created.after["has_password"] is True
    assert role_changed.action == "user.role_changed"
    assert (role_changed.before or {})["role"] == "viewer"
    assert (role_changed.after or {})["role"] == "member"
    assert token_created.action == "token.created"
    assert (token_created.after or {})["prefix"] == token.prefix
    assert token_revoked.action == "token.revoked"
    assert (token_revoked.before or {})["revoked_at"] is None
    assert (token_revoked.after or {})["revoked_at"] is not None
    # Secrets stay out of the audit log: no password hash, no token hash.
    for event in (created, role_changed, token_created, token_revoked):
        text = repr(event.before) + repr(event.after)
        assert "argon2" not in text and token.token_hash not in text


async def test_setting_the_role_a_user_has_changes_and_audits_nothing(
    session: AsyncSession, tokens: Tokens
) -> None:
    admin = auth.actor_for_user(await auth.user_by_email(session, "admin@tests.example"))
    member = await auth.user_by_email(session, "member@tests.example")
    audited = await audit_count(session)
    await auth.set_role(session, admin, member.id, "member")
    assert await audit_count(session) == audited


# --- the `compound` command acts as Compound itself, audited ---------------------------------


def audit_rows(live_server: LiveServer, subject_id: str) -> list[tuple[Any, ...]]:
    with psycopg.connect(libpq_url(live_server.database_url)) as connection:
        return connection.execute(
            "SELECT action, actor_label, actor_user_id, before, after FROM audit_event"
            " WHERE subject_id = %s ORDER BY occurred_at",
            (subject_id,),
        ).fetchall()


def test_the_command_line_changes_are_audited_as_the_system(live_server: LiveServer) -> None:
    email = f"cli-audit-{uuid.uuid4().hex[:8]}@example.com"
    created = live_server.cli("user", "create", "--email", email, "--role", "member")
    user_id = created.stdout.rsplit("(id ", 1)[1].split(")")[0]
    issued = live_server.cli("token", "create", "--user", email, "--scopes", "read")
    token_id = issued.stdout.split("(id ", 1)[1].split(")")[0]

    revoked = live_server.cli("token", "revoke", token_id)
    again = live_server.cli("token", "revoke", token_id, check=False)
    malformed = live_server.cli("token", "revoke", "not-an-id", check=False)

    assert "revoked token cpd_" in revoked.stdout
    assert again.returncode == 2 and "no active token" in again.stderr
    assert malformed.returncode == 2 and "is not a token id" in malformed.stderr
    [(action, label, actor_user, before, after)] = audit_rows(live_server, user_id)
    assert (action, label, actor_user, before) == ("user.created", "system:cli", None, None)
    assert after["email"] == email and after["has_password"] is False
    token_events = audit_rows(live_server, token_id)
    assert [(row[0], row[1]) for row in token_events] == [
        ("token.created", "system:cli"),
        ("token.revoked", "system:cli"),
    ]
    assert token_events[1][3]["revoked_at"] is None and token_events[1][4]["revoked_at"]
