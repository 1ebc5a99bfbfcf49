"""The Settings pages over ASGI on the real database: the sub-navigation; API tokens (the
secret shown once and never cached, revoking, who may revoke what, viewers, CSRF, hostile
input); users and roles (admins only, the last admin stays); the model page's offline banner
and a key that is never shown; the mail page."""

from __future__ import annotations

import html
import re
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from compound.platform.auth import service as auth
from compound.platform.auth.actor import Actor
from compound.platform.auth.models import ApiToken, User
from compound.platform.config import Settings
from compound.platform.database import Database
from compound.platform.errors import NotAuthenticated
from tests.conftest import GraphQLClient, Tokens
from tests.web.test_pages import PASSWORD, sign_in, signed_in

SETUP = Actor.system("tests")
SECRET_PATTERN = re.compile(r'id="token-secret-value"[^>]*value="(cpd_[^"]+)"')
SETTINGS_PAGES = (
    "/settings",
    "/settings/tokens",
    "/settings/users",
    "/settings/model",
    "/settings/mail",
)


async def create_token(
    client: httpx.AsyncClient, csrf: str, name: str, scopes: list[str]
) -> httpx.Response:
    return await client.post(
        "/settings/tokens", data={"csrf": csrf, "name": name, "scopes": scopes}
    )


def secret_in(page: httpx.Response) -> str:
    match = SECRET_PATTERN.search(page.text)
    assert match is not None, page.text
    return match.group(1)


async def token_named(session: AsyncSession, name: str) -> ApiToken:
    token = (
        await session.execute(
            select(ApiToken)
            .where(col(ApiToken.name) == name)
            .execution_options(populate_existing=True)
        )
    ).scalar_one()
    return token


async def user_id_of(session: AsyncSession, email: str) -> uuid.UUID:
    return (await auth.user_by_email(session, email)).id


async def role_of(session: AsyncSession, email: str) -> str:
    user = await session.scalar(
        select(User).where(col(User.email) == email).execution_options(populate_existing=True)
    )
    assert user is not None
    return user.role


@pytest.fixture
async def client_with(
    test_database: Database, tokens: Tokens
) -> AsyncIterator[dict[str, httpx.AsyncClient]]:
    """Clients of two apps on the test database: one with no model endpoint ("offline"), one
    with an endpoint whose URL and key carry secrets ("endpoint")."""
    from compound.web.app import create_app

    clients: dict[str, httpx.AsyncClient] = {}
    configurations = {
        "offline": Settings(_env_file=None, openai_base_url=None, openai_api_key=None),  # type: ignore[call-arg]
        "endpoint": Settings(
            _env_file=None,  # type: ignore[call-arg]
            openai_base_url="https://robot:hunter2-password@llm.internal:8443/v1?api-key=sk-in-url",
            openai_api_key="sk-very-secret-key-123",
            llm_model_fast="local-small",
            mail_domains="inbound.example,crm.example",
            outbound_smtp_password="smtp-secret-pass",
        ),
    }
    opened = []
    for name, settings in configurations.items():
        app = create_app(settings=settings, database=test_database)
        client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://compound.test"
        )
        opened.append(client)
        clients[name] = client
    yield clients
    for client in opened:
        await client.aclose()


# --- every page -----------------------------------------------------------------------------


async def test_settings_pages_send_a_stranger_to_sign_in(web_client: httpx.AsyncClient) -> None:
    for path in SETTINGS_PAGES:
        response = await web_client.get(path)
        assert response.status_code == 303, path
        assert response.headers["location"].startswith("/sign-in?next=")


async def test_each_settings_page_has_the_sub_navigation_with_its_own_link_current(
    web_client: httpx.AsyncClient,
) -> None:
    await signed_in(web_client, "viewer")
    for path in (*SETTINGS_PAGES, "/settings/icp"):
        page = await web_client.get(path)
        assert page.status_code == 200, path
        assert '<nav class="settings-nav" aria-label="Settings">' in page.text, path
        for link in ("/settings/icp", "/settings/tokens", "/settings/users", "/settings/model"):
            assert f'href="{link}"' in page.text
        assert f'<a href="{path}" aria-current="page">' in page.text, path
    overview = await web_client.get("/settings")
    assert "API tokens" in overview.text and "Ideal customer profile" in overview.text


# --- API tokens -----------------------------------------------------------------------------


async def test_a_token_secret_is_shown_once_never_cached_and_works(
    web_client: httpx.AsyncClient, graphql: GraphQLClient, session: AsyncSession
) -> None:
    csrf = await signed_in(web_client, "member")
    created = await create_token(web_client, csrf, "nightly export", ["read"])
    assert created.status_code == 200
    assert created.headers["cache-control"] == "no-store"
    secret = secret_in(created)
    assert "shown this once" in created.text

    listed = await web_client.get("/settings/tokens")
    assert listed.status_code == 200
    assert "nightly export" in listed.text
    assert secret not in listed.text
    assert secret[:10] in listed.text  # the prefix tells tokens apart
    assert "never" in listed.text  # not used yet

    token = await token_named(session, "nightly export")
    assert token.token_hash == auth.hash_token(secret) and secret not in token.token_hash
    assert token.scopes == ["read"]
    actor = await auth.authenticate_token(session, secret)
    assert actor.scopes == frozenset({"read"}) and actor.label.endswith("(member@tests.example)")
    body = await graphql.as_token(secret).execute("{ companies { totalCount } }")
    assert "errors" not in body, body
    write = await graphql.as_token(secret).execute(
        'mutation { createCompany(input: {name: "Nope Inc"}) { userErrors { message } } }'
    )
    assert "write" in str(write)


async def test_an_ingest_token_may_name_the_mail_provider_it_vouches_with(
    web_client: httpx.AsyncClient, session: AsyncSession
) -> None:
    csrf = await signed_in(web_client, "member")
    form = {"csrf": csrf, "name": "provider webhook", "scopes": ["ingest"]}
    created = await web_client.post(
        "/settings/tokens", data={**form, "mail_provider": " MX.Provider.Example "}
    )
    assert created.status_code == 200, created.text
    token = await token_named(session, "provider webhook")
    assert token.mail_provider == "mx.provider.example"

    # Only an ingest token posts mail; and a provider is a host name, not anything typed.
    for scopes, provider, problem in [
        (["read"], "mx.provider.example", "only a token with the &#39;ingest&#39; scope"),
        (["ingest"], "mx provider; dmarc=pass", "is not a mail provider"),
    ]:
        refused = await web_client.post(
            "/settings/tokens",
            data={
                **form,
                "name": f"refused {provider}",
                "scopes": scopes,
                "mail_provider": provider,
            },
        )
        assert refused.status_code == 400, refused.text
        assert problem in refused.text
        assert 'id="error-mail_provider"' in refused.text
        assert (
            await session.scalar(
                select(func.count())
                .select_from(ApiToken)
                .where(col(ApiToken.name) == f"refused {provider}")
            )
            == 0
        )


async def test_revoking_a_token_stops_it(
    web_client: httpx.AsyncClient, graphql: GraphQLClient, session: AsyncSession
) -> None:
    csrf = await signed_in(web_client, "member")
    secret = secret_in(await create_token(web_client, csrf, "to revoke", ["read", "write"]))
    token = await token_named(session, "to revoke")

    revoked = await web_client.post(
        "/settings/tokens/revoke", data={"csrf": csrf, "token": str(token.id)}
    )
    assert revoked.status_code == 303
    assert revoked.headers["location"] == "/settings/tokens?flash=revoked"
    page = await web_client.get(revoked.headers["location"])
    assert "Revoked: the token no longer works." in page.text
    assert "revoked 20" in page.text

    session.expire_all()  # the page revoked it through its own session
    with pytest.raises(NotAuthenticated, match="revoked"):
        await auth.authenticate_token(session, secret)
    response = await graphql.as_token(secret).post("{ companies { totalCount } }")
    assert response.status_code == 401

    again = await web_client.post(
        "/settings/tokens/revoke", data={"csrf": csrf, "token": str(token.id)}
    )
    assert again.status_code == 404
    assert "no active token" in again.text


async def test_a_member_cannot_revoke_someone_elses_token_but_an_admin_can(
    web_client: httpx.AsyncClient, tokens: Tokens, session: AsyncSession
) -> None:
    admin_token, _ = await auth.create_token(
        session, SETUP, user_email="admin@tests.example", scopes=["read"], name="admin's own"
    )
    member_token, _ = await auth.create_token(
        session, SETUP, user_email="member@tests.example", scopes=["read"], name="member's own"
    )
    await session.commit()

    csrf = await signed_in(web_client, "member")
    page = await web_client.get("/settings/tokens")
    assert "member&#39;s own" in page.text
    assert "admin&#39;s own" not in page.text  # a member sees only their own tokens
    refused = await web_client.post(
        "/settings/tokens/revoke", data={"csrf": csrf, "token": str(admin_token.id)}
    )
    assert refused.status_code == 403
    assert "you can revoke only your own tokens" in refused.text
    assert (await token_named(session, "admin's own")).revoked_at is None

    await web_client.post("/sign-out", data={"csrf": csrf})
    csrf = await signed_in(web_client, "admin")
    everyone = await web_client.get("/settings/tokens")
    assert "member&#39;s own" in everyone.text and "member@tests.example" in everyone.text
    assert "(everyone's)" in everyone.text
    revoked = await web_client.post(
        "/settings/tokens/revoke", data={"csrf": csrf, "token": str(member_token.id)}
    )
    assert revoked.status_code == 303
    assert (await token_named(session, "member's own")).revoked_at is not None


async def test_a_viewer_can_neither_create_nor_revoke_tokens(
    web_client: httpx.AsyncClient, session: AsyncSession
) -> None:
    own, _ = await auth.create_token(
        session, SETUP, user_email="viewer@tests.example", scopes=["read"], name="viewer's own"
    )
    await session.commit()
    csrf = await signed_in(web_client, "viewer")
    page = await web_client.get("/settings/tokens")
    assert "viewers cannot create or revoke API tokens" in page.text
    assert 'action="/settings/tokens"' not in page.text
    assert 'action="/settings/tokens/revoke"' not in page.text

    before = await auth.list_tokens(session)
    created = await create_token(web_client, csrf, "viewer token", ["read"])
    assert created.status_code == 403
    assert "viewers cannot create or revoke API tokens" in created.text
    assert "cpd_" not in created.text
    revoke = await web_client.post(
        "/settings/tokens/revoke", data={"csrf": csrf, "token": str(own.id)}
    )
    assert revoke.status_code == 403
    assert len(await auth.list_tokens(session)) == len(before)
    assert (await token_named(session, "viewer's own")).revoked_at is None


async def test_token_forms_without_their_csrf_token_are_refused(
    web_client: httpx.AsyncClient, session: AsyncSession
) -> None:
    own, _ = await auth.create_token(
        session, SETUP, user_email="member@tests.example", scopes=["read"], name="kept"
    )
    await session.commit()
    csrf = await signed_in(web_client, "member")
    for data in ({}, {"csrf": "forged" + csrf}):
        created = await web_client.post(
            "/settings/tokens", data={**data, "name": "no csrf", "scopes": "read"}
        )
        assert created.status_code == 403
        assert "security token (CSRF)" in created.text
        revoked = await web_client.post(
            "/settings/tokens/revoke", data={**data, "token": str(own.id)}
        )
        assert revoked.status_code == 403
    assert [t.name for t in await auth.list_tokens(session) if t.name == "no csrf"] == []
    assert (await token_named(session, "kept")).revoked_at is None


@pytest.mark.parametrize(
    ("token", "status", "says"),
    [
        ("not-a-uuid", 400, "is not an id"),
        ("", 400, "is not an id"),
        ("'; drop table api_token; --", 400, "is not an id"),
        (str(uuid.UUID(int=7)), 404, "no token with id"),
    ],
)
async def test_revoking_a_malformed_or_unknown_token_id_says_so(
    web_client: httpx.AsyncClient, token: str, status: int, says: str
) -> None:
    csrf = await signed_in(web_client, "admin")
    response = await web_client.post("/settings/tokens/revoke", data={"csrf": csrf, "token": token})
    assert response.status_code == status
    assert says in response.text
    assert "'; drop table" not in response.text  # shown escaped, if at all


async def test_bad_token_input_is_refused_with_what_was_typed_kept(
    web_client: httpx.AsyncClient, session: AsyncSession
) -> None:
    csrf = await signed_in(web_client, "member")
    before = len(await auth.list_tokens(session))

    long_name = "n" * 201
    too_long = await create_token(web_client, csrf, long_name, ["read", "write"])
    assert too_long.status_code == 400
    assert "token name is longer than 200 characters" in too_long.text
    assert 'aria-invalid="true" aria-describedby="error-name"' in too_long.text
    assert f'value="{long_name}"' in too_long.text
    assert 'value="write" checked' in too_long.text

    huge = await create_token(web_client, csrf, "x" * 500_000, ["read"])
    assert huge.status_code == 400
    assert len(huge.text) < 100_000

    none = await create_token(web_client, csrf, "no scopes", [])
    assert none.status_code == 400
    assert "a token needs at least one scope" in none.text

    unknown = await create_token(web_client, csrf, "too much", ["read", "admin"])
    assert unknown.status_code == 400
    assert "unknown scope &#39;admin&#39;" in unknown.text

    hostile = await create_token(web_client, csrf, "<script>alert(1)</script>", ["read"])
    assert hostile.status_code == 200
    assert "<script>alert(1)</script>" not in hostile.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in hostile.text
    assert len(await auth.list_tokens(session)) == before + 1


# --- users and roles ------------------------------------------------------------------------


async def test_a_member_sees_users_read_only_and_cannot_change_them(
    web_client: httpx.AsyncClient, session: AsyncSession
) -> None:
    csrf = await signed_in(web_client, "member")
    page = await web_client.get("/settings/users")
    assert page.status_code == 200
    for role in ("admin", "member", "viewer"):
        assert f"{role}@tests.example" in page.text
    assert "Only admins can add users and change roles" in page.text
    assert 'action="/settings/users"' not in page.text
    assert 'action="/settings/users/role"' not in page.text

    added = await web_client.post(
        "/settings/users",
        data={"csrf": csrf, "email": "new@tests.example", "password": PASSWORD, "role": "admin"},
    )
    assert added.status_code == 403 and "only admins can add users" in added.text
    viewer_id = await user_id_of(session, "viewer@tests.example")
    promoted = await web_client.post(
        "/settings/users/role", data={"csrf": csrf, "user": str(viewer_id), "role": "admin"}
    )
    assert promoted.status_code == 403 and "only admins can change roles" in promoted.text
    assert await role_of(session, "viewer@tests.example") == "viewer"
    assert await session.scalar(select(User).where(col(User.email) == "new@tests.example")) is None


async def test_a_viewer_is_refused_user_changes(
    web_client: httpx.AsyncClient, session: AsyncSession
) -> None:
    csrf = await signed_in(web_client, "viewer")
    viewer_id = await user_id_of(session, "viewer@tests.example")
    promoted = await web_client.post(
        "/settings/users/role", data={"csrf": csrf, "user": str(viewer_id), "role": "admin"}
    )
    assert promoted.status_code == 403
    assert await role_of(session, "viewer@tests.example") == "viewer"


async def test_an_admin_adds_a_user_who_can_then_sign_in(
    web_client: httpx.AsyncClient, session: AsyncSession
) -> None:
    csrf = await signed_in(web_client, "admin")
    page = await web_client.get("/settings/users")
    assert 'action="/settings/users"' in page.text and 'action="/settings/users/role"' in page.text

    added = await web_client.post(
        "/settings/users",
        data={
            "csrf": csrf,
            "email": " Grace@Tests.Example ",
            "name": "Grace <b>Hopper</b>",
            "password": "a long password",
            "role": "viewer",
        },
    )
    assert added.status_code == 303
    assert added.headers["location"] == "/settings/users?flash=created"
    listed = await web_client.get(added.headers["location"])
    assert "User added." in listed.text
    assert "grace@tests.example" in listed.text
    assert "Grace &lt;b&gt;Hopper&lt;/b&gt;" in listed.text
    assert await role_of(session, "grace@tests.example") == "viewer"

    await web_client.post("/sign-out", data={"csrf": csrf})
    response = await sign_in(web_client, "grace", "a long password", next_path="/settings")
    assert response.status_code == 303
    assert response.headers["location"] == "/settings"


@pytest.mark.parametrize(
    ("fields", "field", "says"),
    [
        ({"email": "member@tests.example"}, "email", "already exists"),
        ({"email": "not an address"}, "email", "email"),
        ({"email": "a" * 300 + "@tests.example"}, "email", "longer than 254"),
        ({"password": "short"}, "password", "at least 8 characters"),
        ({"password": ""}, "password", "at least 8 characters"),
        ({"name": "n" * 201}, "name", "name is longer than 200 characters"),
        ({"role": "owner"}, "role", "unknown role &#39;owner&#39;"),
    ],
)
async def test_bad_user_input_names_the_field_and_keeps_what_was_typed(
    web_client: httpx.AsyncClient, fields: dict[str, str], field: str, says: str
) -> None:
    csrf = await signed_in(web_client, "admin")
    data = {
        "csrf": csrf,
        "email": "ada@tests.example",
        "name": "Ada",
        "password": "secret-password-9",
        "role": "member",
        **fields,
    }
    response = await web_client.post("/settings/users", data=data)
    assert response.status_code == 400
    assert says in response.text
    assert f'aria-invalid="true" aria-describedby="error-{field}"' in response.text
    assert "secret-password-9" not in response.text  # a password is never sent back
    if field != "email":
        assert 'value="ada@tests.example"' in response.text


async def test_an_admin_changes_a_role_and_the_last_admin_stays_one(
    web_client: httpx.AsyncClient, session: AsyncSession
) -> None:
    # Only the test's admin is an active admin (inside this test's rolled-back transaction).
    await session.execute(
        update(User)
        .where(col(User.role) == "admin", col(User.email) != "admin@tests.example")
        .values(is_active=False)
    )
    await session.commit()
    csrf = await signed_in(web_client, "admin")
    admin_id = await user_id_of(session, "admin@tests.example")
    member_id = await user_id_of(session, "member@tests.example")

    demoted = await web_client.post(
        "/settings/users/role", data={"csrf": csrf, "user": str(admin_id), "role": "member"}
    )
    assert demoted.status_code == 400
    assert "admin@tests.example is the last admin; make another user an admin first" in (
        html.unescape(demoted.text)
    )
    assert await role_of(session, "admin@tests.example") == "admin"

    promoted = await web_client.post(
        "/settings/users/role", data={"csrf": csrf, "user": str(member_id), "role": "admin"}
    )
    assert promoted.status_code == 303
    assert promoted.headers["location"] == "/settings/users?flash=role"
    assert await role_of(session, "member@tests.example") == "admin"

    # With another admin, one may step down: the page is then read-only for them.
    stepped_down = await web_client.post(
        "/settings/users/role", data={"csrf": csrf, "user": str(admin_id), "role": "viewer"}
    )
    assert stepped_down.status_code == 303
    assert await role_of(session, "admin@tests.example") == "viewer"
    page = await web_client.get("/settings/users")
    assert 'action="/settings/users/role"' not in page.text


@pytest.mark.parametrize(
    ("user", "role", "status", "says"),
    [
        ("not-a-uuid", "member", 400, "is not an id"),
        (str(uuid.UUID(int=9)), "member", 404, "no user with id"),
        ("member", "emperor", 400, "unknown role"),
    ],
)
async def test_a_role_change_with_a_bad_user_or_role_says_so(
    web_client: httpx.AsyncClient,
    session: AsyncSession,
    user: str,
    role: str,
    status: int,
    says: str,
) -> None:
    csrf = await signed_in(web_client, "admin")
    if user == "member":
        user = str(await user_id_of(session, "member@tests.example"))
    response = await web_client.post(
        "/settings/users/role", data={"csrf": csrf, "user": user, "role": role}
    )
    assert response.status_code == status
    assert says in response.text
    assert await role_of(session, "member@tests.example") == "member"


async def test_user_forms_without_their_csrf_token_are_refused(
    web_client: httpx.AsyncClient, session: AsyncSession
) -> None:
    await signed_in(web_client, "admin")
    member_id = await user_id_of(session, "member@tests.example")
    added = await web_client.post(
        "/settings/users",
        data={"email": "csrf@tests.example", "password": PASSWORD, "role": "admin"},
    )
    assert added.status_code == 403
    changed = await web_client.post(
        "/settings/users/role", data={"user": str(member_id), "role": "admin"}
    )
    assert changed.status_code == 403
    assert await role_of(session, "member@tests.example") == "member"


# --- model and mail -------------------------------------------------------------------------


async def test_the_model_page_says_agents_run_offline_when_no_endpoint_is_set(
    client_with: dict[str, httpx.AsyncClient],
) -> None:
    client = client_with["offline"]
    await signed_in(client, "viewer")
    page = await client.get("/settings/model")
    assert page.status_code == 200
    assert 'class="offline-banner" role="status"' in page.text
    assert "Agents run on their offline engines" in page.text
    assert "COMPOUND_OPENAI_BASE_URL" in page.text and "COMPOUND_OPENAI_API_KEY" in page.text
    assert "COMPOUND_LLM_MODEL_FAST" in page.text and "COMPOUND_LLM_PRICES" in page.text
    assert "gpt-4o-mini" in page.text
    assert "<form" not in page.text.split("<main", 1)[1]  # read-only
    overview = await client.get("/settings")
    assert "Agents run on their offline engines" in overview.text


async def test_the_model_page_shows_the_endpoint_but_never_the_key(
    client_with: dict[str, httpx.AsyncClient],
) -> None:
    client = client_with["endpoint"]
    await signed_in(client, "admin")
    page = await client.get("/settings/model")
    assert page.status_code == 200
    assert "offline-banner" not in page.text
    assert "A model endpoint is configured" in page.text
    # Where it points, and that it carries credentials, without them.
    assert "https://***@llm.internal:8443/v1?api-key=***" in page.text
    assert "local-small" in page.text
    for secret in ("sk-very-secret-key-123", "hunter2", "robot", "sk-in-url"):
        assert secret not in page.text, secret
    assert re.search(r"API key</th>\s*<td[^>]*>set</td>", page.text)


async def test_the_mail_page_lists_the_domains_and_their_variables(
    client_with: dict[str, httpx.AsyncClient],
) -> None:
    client = client_with["endpoint"]
    await signed_in(client, "member")
    page = await client.get("/settings/mail")
    assert page.status_code == 200
    assert "<code>inbound.example</code>, <code>crm.example</code>" in page.text
    assert "COMPOUND_MAIL_DOMAINS" in page.text and "COMPOUND_INTERNAL_DOMAINS" in page.text
    assert "COMPOUND_SMTP_HOST" in page.text and "127.0.0.1:2525" in page.text
    assert "smtp-secret-pass" not in page.text
    assert re.search(r"Outgoing relay password</th>\s*<td[^>]*>set</td>", page.text)


async def test_the_revoke_buttons_are_exactly_the_tokens_the_service_would_revoke(
    web_client: httpx.AsyncClient, session: AsyncSession
) -> None:
    for email, name in (
        ("member@tests.example", "member active"),
        ("member@tests.example", "member revoked"),
        ("admin@tests.example", "admin active"),
        ("viewer@tests.example", "viewer active"),
    ):
        await auth.create_token(session, SETUP, user_email=email, scopes=["read"], name=name)
    await auth.revoke_token(session, SETUP, (await token_named(session, "member revoked")).id)
    await session.commit()
    for role in ("member", "admin", "viewer"):
        web_client.cookies.clear()
        await signed_in(web_client, role)
        page = (await web_client.get("/settings/tokens")).text
        offered = set(re.findall(r'name="token" value="([0-9a-f-]{36})"', page))
        actor = auth.actor_for_user(await auth.user_by_email(session, f"{role}@tests.example"))
        allowed = {
            str(token.id)
            for token in await auth.tokens_visible_to(session, actor)
            if auth.may_revoke_token(actor, token)
        }
        assert offered == allowed, role
        assert (role == "viewer") is (not allowed)
        assert ('action="/settings/tokens"' in page) is auth.may_hold_tokens(actor)
