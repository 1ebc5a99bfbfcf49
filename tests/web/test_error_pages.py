"""Error responses over ASGI: a browser gets the site's message page (404, 400, 405, 500)
with the right status and escaped, shortened text; GraphQL, ingest, events, health and any
client that does not ask for HTML keep Litestar's JSON bodies exactly."""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from litestar import get

from compound.platform.config import Settings
from compound.platform.database import Database
from tests.web.test_pages import signed_in

# What a browser sends when someone opens an address.
BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
PROGRAM = {"Accept": "application/json"}
NOT_FOUND_JSON = {"status_code": 404, "detail": "Not Found"}
SECRET = "password=hunter2 in the failing query"


def assert_message_page(response: httpx.Response, status_code: int, title: str) -> None:
    assert response.status_code == status_code, response.text
    assert response.headers["content-type"].startswith("text/html")
    assert f"<h1>{title}</h1>" in response.text
    assert 'role="alert"' in response.text
    # The message page is for anyone: never the signed-in header, even for someone signed in.
    assert "Sign out" not in response.text
    assert 'aria-label="Main"' not in response.text


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/companies/not-a-uuid", "That company id is not valid: not-a-uuid"),
        ("/people/xyz", "That person id is not valid: xyz"),
        ("/runs/123", "That run id is not valid: 123"),
        ("/leads/abc", "That lead id is not valid: abc"),
        ("/imports/0", "That import id is not valid: 0"),
    ],
)
async def test_an_invalid_id_in_the_path_is_a_404_page_naming_it(
    web_client: httpx.AsyncClient, path: str, message: str
) -> None:
    response = await web_client.get(path, headers=BROWSER)

    assert_message_page(response, 404, "No such page")
    assert message in response.text


@pytest.mark.parametrize(
    "path", ["/companies/not-a-uuid", "/people/xyz", "/runs/123", "/leads/abc", "/nope"]
)
@pytest.mark.parametrize("headers", [PROGRAM, {}, {"Accept": "*/*"}])
async def test_a_program_keeps_the_json_404(
    web_client: httpx.AsyncClient, path: str, headers: dict[str, str]
) -> None:
    response = await web_client.get(path, headers=headers)

    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/json")
    assert response.json() == NOT_FOUND_JSON


async def test_an_unknown_page_is_a_404_page(web_client: httpx.AsyncClient) -> None:
    response = await web_client.get("/nope", headers=BROWSER)

    assert_message_page(response, 404, "No such page")
    assert "There is no page at /nope" in response.text
    assert "status_code" not in response.text


async def test_a_signed_in_person_gets_the_same_page(web_client: httpx.AsyncClient) -> None:
    await signed_in(web_client, "member")

    response = await web_client.get("/companies/not-a-uuid", headers=BROWSER)

    assert_message_page(response, 404, "No such page")
    assert "That company id is not valid: not-a-uuid" in response.text


@pytest.mark.parametrize(
    "path", ["/companies/abc/def", "/people/0d7df837-e395-4449-ab65-040f2d5fc514/x/y"]
)
async def test_an_id_with_a_slash_is_no_such_page(web_client: httpx.AsyncClient, path: str) -> None:
    response = await web_client.get(path, headers=BROWSER)

    assert_message_page(response, 404, "No such page")
    assert f"There is no page at {path}" in response.text


async def test_a_path_with_a_script_is_escaped(web_client: httpx.AsyncClient) -> None:
    response = await web_client.get("/companies/<script>alert(1)</script>", headers=BROWSER)

    assert_message_page(response, 404, "No such page")
    assert "<script>alert(1)" not in response.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in response.text


async def test_a_hostile_id_is_escaped(web_client: httpx.AsyncClient) -> None:
    response = await web_client.get('/people/"><img src=x onerror=alert(1)>', headers=BROWSER)

    assert_message_page(response, 404, "No such page")
    assert "<img" not in response.text
    assert "That person id is not valid: &#34;&gt;&lt;img src=x onerror=alert(1)&gt;" in (
        response.text
    )


@pytest.mark.parametrize("path", ["/companies/" + "a" * 10_000, "/" + "x" * 10_000])
async def test_a_very_long_path_is_shown_shortened(
    web_client: httpx.AsyncClient, path: str
) -> None:
    response = await web_client.get(path, headers=BROWSER)

    assert_message_page(response, 404, "No such page")
    assert len(response.text) < 4_000
    assert path[-200:] not in response.text  # 200 of the repeated letters
    assert "…" in response.text


@pytest.mark.parametrize(
    ("path", "status_code"),
    [
        ("/graphql/nope", 404),
        ("/ingest/nope", 404),
        ("/events/nope", 404),
        ("/health/nope", 404),
        ("/static/nope.css", 404),
        ("/ingest/email", 405),
    ],
)
async def test_api_paths_keep_json_even_for_a_browser(
    web_client: httpx.AsyncClient, path: str, status_code: int
) -> None:
    from_browser = await web_client.get(path, headers=BROWSER)
    from_program = await web_client.get(path, headers=PROGRAM)

    assert from_browser.status_code == status_code
    assert from_browser.headers["content-type"].startswith("application/json")
    assert from_browser.json() == from_program.json()
    assert from_browser.json()["status_code"] == status_code


async def test_api_errors_are_unchanged(web_client: httpx.AsyncClient) -> None:
    health = await web_client.get("/health", headers=BROWSER)
    ingest = await web_client.post("/ingest/email", content=b"x", headers=BROWSER)

    assert health.json() == {"status": "ok"}
    assert ingest.status_code == 401
    assert ingest.json() == {
        "status_code": 401,
        "detail": "missing API token: send `Authorization: Bearer <token>`",
    }


async def test_a_method_the_page_does_not_take_is_a_405_page(web_client: httpx.AsyncClient) -> None:
    path = f"/companies/{uuid.uuid4()}/edit"

    response = await web_client.get(path, headers=BROWSER)
    as_json = await web_client.get(path, headers=PROGRAM)

    assert_message_page(response, 405, "Not available this way")
    assert f"{path} cannot be opened with GET" in response.text
    assert response.headers["allow"] == "POST, OPTIONS"
    assert as_json.status_code == 405
    assert as_json.headers["allow"] == "POST, OPTIONS"
    assert as_json.json() == {"status_code": 405, "detail": "Method Not Allowed"}


async def test_a_bad_query_parameter_is_a_400_page_naming_it(web_client: httpx.AsyncClient) -> None:
    path = f"/companies/{uuid.uuid4()}?flash=" + "<b>" * 100
    # The page guard comes first: a stranger is sent to sign in, whatever the parameters.
    stranger = await web_client.get(path, headers=BROWSER)
    assert stranger.status_code == 303
    assert stranger.headers["location"].startswith("/sign-in?next=%2Fcompanies%2F")
    await signed_in(web_client, "member")

    response = await web_client.get(path, headers=BROWSER)
    as_json = await web_client.get(path, headers=PROGRAM)

    assert_message_page(response, 400, "Bad request")
    assert "That request is not valid: flash: Expected `str` of length &lt;= 20" in response.text
    assert "<b>" not in response.text
    assert "&lt;b&gt;" not in response.text  # the value itself is not repeated
    assert as_json.status_code == 400
    assert as_json.json()["extra"] == [
        {"message": "Expected `str` of length <= 20", "key": "flash", "source": "query"}
    ]


class Collected(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def error_log() -> Iterator[Collected]:
    """What web/errors.py logs (the app's logging setup replaces pytest's root handlers)."""
    collected = Collected()
    logger = logging.getLogger("compound.web.errors")
    logger.addHandler(collected)
    yield collected
    logger.removeHandler(collected)


@pytest.fixture
async def failing_client(
    test_database: Database, settings: Settings
) -> AsyncIterator[httpx.AsyncClient]:
    """The real app with two extra routes that fail the way a bug would, a page and an API."""
    from compound.web.app import create_app

    @get("/test-broken-page", sync_to_thread=False)
    def broken_page() -> str:
        raise RuntimeError(SECRET)

    @get("/graphql/test-broken", sync_to_thread=False)
    def broken_api() -> str:
        raise RuntimeError(SECRET)

    app = create_app(settings=settings, database=test_database)
    app.register(broken_page)
    app.register(broken_api)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://compound.test") as client:
        yield client


async def test_an_unexpected_error_is_a_500_page_and_logged(
    failing_client: httpx.AsyncClient, error_log: Collected
) -> None:
    response = await failing_client.get("/test-broken-page", headers=BROWSER)

    assert_message_page(response, 500, "Something went wrong")
    assert "Something went wrong on our side; it was logged" in response.text
    assert "hunter2" not in response.text
    assert "RuntimeError" not in response.text
    assert "Traceback" not in response.text
    [record] = error_log.records
    assert record.levelno == logging.ERROR
    assert "GET /test-broken-page" in record.getMessage()
    assert record.exc_info is not None
    assert isinstance(record.exc_info[1], RuntimeError)
    assert SECRET in str(record.exc_info[1])


@pytest.mark.parametrize(
    ("path", "headers"),
    [("/test-broken-page", PROGRAM), ("/test-broken-page", {}), ("/graphql/test-broken", BROWSER)],
)
async def test_an_unexpected_error_stays_json_for_programs(
    failing_client: httpx.AsyncClient, error_log: Collected, path: str, headers: dict[str, str]
) -> None:
    response = await failing_client.get(path, headers=headers)

    assert response.status_code == 500
    assert response.json() == {"status_code": 500, "detail": "Internal Server Error"}
    assert len(error_log.records) == 1
