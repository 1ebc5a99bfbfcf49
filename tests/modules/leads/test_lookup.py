"""The leads web lookup: a company directory read from disk, and home pages read from a real
local HTTP server (no mocked client), judged on their titles and refused when parked,
broken, slow, oversized or redirecting off the public web."""

from __future__ import annotations

import gzip
import json
import os
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from compound.modules.leads.lookup import (
    DIRECTORY_MAX_BYTES,
    MAX_CANDIDATES,
    SAMPLE_DIRECTORY,
    DirectoryLookup,
    HttpLookup,
    NoLookup,
    candidate_domains,
    names_company,
    read_page,
    web_lookup,
)
from compound.modules.leads.settings import LeadsSettings
from compound.platform.errors import CompoundError, ValidationFailed

# --- a local web server, one site per candidate domain ---------------------------------


@dataclass
class Page:
    body: bytes = b""
    status: int = 200
    content_type: str = "text/html; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    """Seconds before the response starts."""
    trickle: float = 0.0
    """Seconds between the body's bytes, sent one at a time."""


def html(title: str | None = None, *, head: str = "", body: str = "<p>Welcome.</p>") -> bytes:
    title_tag = f"<title>{title}</title>" if title is not None else ""
    return f"<!doctype html><html><head>{title_tag}{head}</head><body>{body}</body></html>".encode()


class Web:
    """What the test server answers, by path: /<domain>/ is that domain's home page."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.pages: dict[str, Page] = {}
        self.requests: list[str] = []

    def site(self, domain: str, page: Page) -> None:
        self.pages[f"/{domain}/"] = page

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def settings(self, **overrides: Any) -> LeadsSettings:
        values: dict[str, Any] = {
            "lookup": "http",
            "http_url_template": f"http://127.0.0.1:{self.port}/{{domain}}/",
            "http_timeout_seconds": 2.0,
            "http_tlds": ["com", "io"],
            **overrides,
        }
        return LeadsSettings(_env_file=None, **values)  # type: ignore[call-arg]

    def lookup(self, **overrides: Any) -> HttpLookup:
        return HttpLookup(self.settings(**overrides))


def _handler(web: Web) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            web.requests.append(self.path)
            page = web.pages.get(self.path, Page(b"not found", 404, "text/plain"))
            time.sleep(page.delay)
            try:
                self.send_response(page.status)
                self.send_header("Content-Type", page.content_type)
                self.send_header("Content-Length", str(len(page.body)))
                for name, value in page.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                if page.trickle:
                    for index in range(len(page.body)):
                        self.wfile.write(page.body[index : index + 1])
                        self.wfile.flush()
                        time.sleep(page.trickle)
                else:
                    self.wfile.write(page.body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the lookup stopped reading: that is the point of several tests

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        pass


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[_QuietServer, Web]]:
    web = Web(0)
    httpd = _QuietServer(("127.0.0.1", 0), _handler(web))
    web.port = httpd.server_address[1]
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd, web
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def web(server: tuple[_QuietServer, Web]) -> Web:
    _, shared = server
    shared.pages.clear()
    shared.requests.clear()
    return shared


# --- HTTP: what counts as the company's site ---------------------------------------------


async def test_a_home_page_whose_title_names_the_company_is_found(web: Web) -> None:
    web.site(
        "foolabs.io",
        Page(
            html(
                "Home | Foo Labs",
                head='<meta name="description" content="Tests for data pipelines &amp; more">',
            )
        ),
    )

    result = await web.lookup().find_website("Foo Labs")

    assert result.website is not None
    assert result.website.domain == "foolabs.io"
    assert result.website.title == "Home | Foo Labs"
    assert result.website.description == "Tests for data pipelines & more"
    assert result.website.source == web.url("/foolabs.io/")
    assert result.tried[0] == "foolabs.com: HTTP 404"
    assert result.tried[-1].startswith("foolabs.io: found")


async def test_og_title_names_the_company_when_the_title_does_not(web: Web) -> None:
    web.site(
        "foolabs.com",
        Page(
            html(
                "Welcome",
                head='<meta property="og:title" content="Foo Labs">'
                '<meta property="og:description" content="Pipeline tests">',
            )
        ),
    )

    result = await web.lookup().find_website("Foo Labs")

    assert result.website is not None
    assert result.website.domain == "foolabs.com"
    assert result.website.title == "Foo Labs"
    assert result.website.description == "Pipeline tests"


async def test_parked_and_for_sale_pages_are_not_trusted(web: Web) -> None:
    web.site("foolabs.com", Page(html("Foo Labs - parked free courtesy of a registrar")))
    web.site(
        "foolabs.io",
        Page(html("foolabs.io", body="<h1>foolabs.io</h1><p>This domain may be for sale!</p>")),
    )
    web.site("foo.com", Page(html("Foo", body="<a href=/buy>Buy this domain</a>")))

    result = await web.lookup().find_website("Foo Labs")

    assert result.website is None
    assert result.tried[:3] == [
        "foolabs.com: looks parked ('parked')",
        "foolabs.io: looks parked ('domain may be for sale')",
        "foo.com: looks parked ('buy this domain')",
    ]


async def test_a_coming_soon_page_is_still_the_company_site(web: Web) -> None:
    web.site("foolabs.com", Page(html("Foo Labs — coming soon", body="<p>Stealth mode.</p>")))

    result = await web.lookup().find_website("Foo Labs")

    assert result.website is not None and result.website.domain == "foolabs.com"


async def test_a_title_naming_another_company_is_not_trusted(web: Web) -> None:
    web.site("foolabs.com", Page(html("Foobar Industries — welding")))
    web.site("foolabs.io", Page(html("Bar Labs")))

    result = await web.lookup().find_website("Foo Labs")

    assert result.website is None
    assert result.tried[:2] == [
        "foolabs.com: title 'Foobar Industries — welding' does not name Foo Labs",
        "foolabs.io: title 'Bar Labs' does not name Foo Labs",
    ]


async def test_a_page_that_is_only_the_domain_name_does_not_name_the_company(web: Web) -> None:
    web.site("foolabs.com", Page(html("foolabs.com")))

    result = await web.lookup().find_website("Foo Labs")

    assert result.website is None
    assert result.tried[0] == "foolabs.com: title 'foolabs.com' does not name Foo Labs"


async def test_server_errors_and_missing_pages_are_recorded_and_the_next_candidate_tried(
    web: Web,
) -> None:
    web.site("foolabs.com", Page(b"gone", 404, "text/html"))
    web.site("foolabs.io", Page(html("Foo Labs"), 500))
    web.site("foo.com", Page(html("Foo Labs"), 503))
    web.site("foo.io", Page(html("Foo Labs")))

    result = await web.lookup().find_website("Foo Labs")

    assert result.website is not None and result.website.domain == "foo.io"
    assert result.tried[:3] == [
        "foolabs.com: HTTP 404",
        "foolabs.io: HTTP 500",
        "foo.com: HTTP 503",
    ]


async def test_a_page_that_is_not_html_is_skipped(web: Web) -> None:
    web.site(
        "foolabs.com",
        Page(b'{"title": "<title>Foo Labs</title>"}', content_type="application/json"),
    )
    web.site("foolabs.io", Page(html("Foo Labs"), content_type="text/plain"))

    result = await web.lookup().find_website("Foo Labs")

    assert result.website is None
    assert result.tried[:2] == [
        "foolabs.com: not an HTML page (application/json)",
        "foolabs.io: not an HTML page (text/plain)",
    ]


async def test_a_page_bigger_than_max_bytes_is_cut_and_still_read(web: Web) -> None:
    huge_body = "<p>" + "x" * (3 * 1024 * 1024) + "</p>"
    web.site("foolabs.com", Page(html("Foo Labs", body=huge_body)))
    web.site(
        "kestrel.com",
        Page(html(None, head="<!-- " + "y" * 8000 + " --><title>Kestrel</title>")),
    )
    lookup = web.lookup(http_max_bytes=4096)

    started = time.monotonic()
    found = await lookup.find_website("Foo Labs")
    cut = await lookup.find_website("Kestrel")

    assert found.website is not None and found.website.title == "Foo Labs"
    assert time.monotonic() - started < 5
    assert cut.website is None
    assert cut.tried[0] == "kestrel.com: no title in the first 4096 bytes"


async def test_a_compressed_page_is_inflated_only_up_to_max_bytes(web: Web) -> None:
    bomb = gzip.compress(html("Foo Labs", body="<p>" + " " * (20 * 1024 * 1024) + "</p>"))
    assert len(bomb) < 100_000
    web.site("foolabs.com", Page(bomb, headers={"Content-Encoding": "gzip"}))
    web.site("foo.com", Page(b"\x00not gzip at all", headers={"Content-Encoding": "gzip"}))
    web.site("foolabs.io", Page(html("Foo Labs"), headers={"Content-Encoding": "br"}))

    found = await web.lookup(http_max_bytes=4096).find_website("Foo Labs")
    refused = await web.lookup(http_tlds=["io"]).find_website("Foo Labs")
    broken = await web.lookup(http_tlds=["com"]).find_website("Foo")

    assert found.website is not None and found.website.title == "Foo Labs"
    assert refused.tried[0] == "foolabs.io: unsupported content encoding 'br'"
    assert broken.tried[0] == "foo.com: body is not valid gzip"


async def test_a_slow_page_times_out_and_is_recorded(web: Web) -> None:
    web.site("foolabs.com", Page(html("Foo Labs"), delay=3))
    web.site("foolabs.io", Page(html("Foo Labs")))

    started = time.monotonic()
    result = await web.lookup(http_timeout_seconds=0.5).find_website("Foo Labs")

    assert time.monotonic() - started < 2.5
    assert result.website is not None and result.website.domain == "foolabs.io"
    assert result.tried[0] == "foolabs.com: timed out after 0.5 s"


async def test_a_page_that_trickles_in_hits_the_timeout_for_the_whole_page(web: Web) -> None:
    # Each byte comes well within the read timeout; the page as a whole does not.
    web.site("foolabs.com", Page(html("Foo Labs", body="<p>" + "z" * 200 + "</p>"), trickle=0.05))

    started = time.monotonic()
    result = await web.lookup(http_timeout_seconds=0.6, http_tlds=["com"]).find_website("Foo Labs")

    assert time.monotonic() - started < 3
    assert result.website is None
    assert result.tried[0] == "foolabs.com: timed out after 0.6 s"


async def test_redirects_off_the_public_web_are_refused(web: Web) -> None:
    web.site(
        "foolabs.com",
        Page(status=302, headers={"Location": "http://169.254.169.254/latest/meta-data/"}),
    )
    web.site("foolabs.io", Page(status=301, headers={"Location": "http://localhost/admin"}))
    web.site("foo.com", Page(status=307, headers={"Location": "file:///etc/passwd"}))
    web.site("foo.io", Page(status=302, headers={"Location": "http://10.0.0.7:8080/"}))

    result = await web.lookup().find_website("Foo Labs")

    assert result.website is None
    assert result.tried[:4] == [
        "foolabs.com: redirect to 169.254.169.254 refused (not a public host)",
        "foolabs.io: redirect to localhost refused (not a public host)",
        "foo.com: redirect to a 'file' URL refused",
        "foo.io: redirect to 10.0.0.7 refused (not a public host)",
    ]


async def test_redirects_within_the_template_host_are_followed_up_to_three(web: Web) -> None:
    web.site("foolabs.com", Page(status=301, headers={"Location": "/hop1/"}))
    web.site("hop1", Page(status=302, headers={"Location": web.url("/hop2/")}))
    web.site("hop2", Page(status=308, headers={"Location": "/final/"}))
    web.site("final", Page(html("Foo Labs | Home")))
    web.site("foolabs.io", Page(status=302, headers={"Location": "/loop/"}))
    web.site("loop", Page(status=302, headers={"Location": "/loop/"}))

    found = await web.lookup().find_website("Foo Labs")
    web.requests.clear()
    looping = await web.lookup(http_tlds=["io"]).find_website("Foo Labs")

    assert found.website is not None
    assert found.website.domain == "foolabs.com"
    assert found.website.source == web.url("/final/")
    assert looping.tried[0] == "foolabs.io: more than 3 redirects"
    assert web.requests.count("/loop/") == 3  # the first request and three redirects


async def test_malformed_html_entities_and_control_characters(web: Web) -> None:
    page = (
        b"<html><HEAD><TITLE>Foo Labs &mdash; Caf&eacute; &#x26; co\x07\xe2\x80\xae\n\n  tests"
        b"<meta name=DESCRIPTION content='Tests &lt;for&gt; pipelines'"
        b"<body><div><p>unclosed <b>tags <i>everywhere"
    )
    web.site("foolabs.com", Page(page))

    result = await web.lookup().find_website("Foo Labs")

    assert result.website is not None
    assert result.website.title == "Foo Labs — Café & co tests"
    assert result.website.description == "Tests <for> pipelines"


async def test_a_fake_title_inside_a_script_or_an_svg_is_ignored(web: Web) -> None:
    fake = (
        '<script>document.write("<title>Foo Labs</title>")</script>'
        "<svg><title>Foo Labs</title></svg>"
    )
    web.site("foolabs.com", Page(html("Acme Widgets", head=fake)))
    web.site("foolabs.io", Page(html(None, head=fake)))
    web.site("foo.com", Page(f"<html><head>{fake}<title>Foo Labs</title></head></html>".encode()))

    result = await web.lookup().find_website("Foo Labs")

    assert result.tried[:2] == [
        "foolabs.com: title 'Acme Widgets' does not name Foo Labs",
        "foolabs.io: no title",
    ]
    assert result.website is not None and result.website.domain == "foo.com"


def test_page_text_is_capped() -> None:
    page = html("T" * 5000, head=f'<meta name="description" content="{"d" * 5000}">')

    facts = read_page(page.decode())

    assert len(facts.title) == 300 and facts.title.endswith("…")
    assert len(facts.description) == 1000


async def test_names_with_legal_forms_and_accents(web: Web) -> None:
    web.site("kieselrobotik.io", Page(html("Kiesel Robotik – Greifer für die Industrie")))
    web.site("goemon.com", Page(html("Go&eacute;mon | Sushi-Reservierung")))

    kiesel = await web.lookup().find_website("Kiesel Robotik GmbH")
    goemon = await web.lookup().find_website("Goémon SAS")

    assert candidate_domains("Kiesel Robotik GmbH", ["com", "io"]) == [
        "kieselrobotik.com",
        "kieselrobotik.io",
        "kiesel-robotik.com",
        "kiesel-robotik.io",
    ]
    assert kiesel.website is not None and kiesel.website.domain == "kieselrobotik.io"
    assert goemon.website is not None and goemon.website.domain == "goemon.com"
    assert goemon.website.title == "Goémon | Sushi-Reservierung"


def test_candidate_domains_are_few_and_in_order() -> None:
    tlds = ["com", "io", "ai", "co", "app", "dev"]

    domains = candidate_domains("The Foo Labs, Inc.", tlds)

    assert domains[:7] == [
        "foolabs.com",
        "foolabs.io",
        "foolabs.ai",
        "foolabs.co",
        "foolabs.app",
        "foolabs.dev",
        "foo.com",
    ]
    assert len(domains) == MAX_CANDIDATES
    assert candidate_domains("Ünïcødé Søndervig ApS", ["com"]) == [
        "unicodesondervig.com",
        "unicode-sondervig.com",
    ]
    assert candidate_domains("株式会社", ["com"]) == []


def test_a_title_names_the_company_only_with_whole_words() -> None:
    assert names_company("Welcome to FooLabs", "Foo Labs")
    assert names_company("Kiesel Robotics", "Kiesel Robotik GmbH")
    assert not names_company("Foobar", "Foo Labs")
    assert not names_company("Kafoo Labs", "Foo Labs")


async def test_the_preferred_candidate_wins_even_when_a_later_one_answers_first(web: Web) -> None:
    web.site("foolabs.com", Page(html("Foo Labs (slow)"), delay=0.4))
    web.site("foolabs.io", Page(html("Foo Labs (fast)")))

    result = await web.lookup().find_website("Foo Labs")

    assert result.website is not None and result.website.domain == "foolabs.com"


async def test_a_name_that_gives_no_domain_tries_nothing(web: Web) -> None:
    result = await web.lookup().find_website("株式会社")

    assert result.website is None
    assert result.tried == ["'株式会社' gives no domain to try"]
    assert web.requests == []


async def test_an_unknown_host_is_recorded_not_raised() -> None:
    lookup = HttpLookup(
        LeadsSettings(_env_file=None, http_tlds=["invalid"], http_timeout_seconds=3.0)  # type: ignore[call-arg]
    )

    result = await lookup.find_website("Compound Lookup Test")

    assert result.website is None
    assert len(result.tried) == 2
    assert result.tried[0].startswith("compoundlookuptest.invalid: ")
    assert result.tried[0].endswith(("no such host", "timed out after 3 s"))


async def test_describe_reads_a_known_site(web: Web) -> None:
    web.site(
        "kestrel.io",
        Page(html("Kestrel", head='<meta property="og:description" content="Fleet telematics">')),
    )

    known = await web.lookup().describe("https://www.Kestrel.io/about")
    missing = await web.lookup().describe("nothing-here.io")
    not_a_domain = await web.lookup().describe("not a domain")

    assert known is not None
    assert (known.domain, known.title, known.description) == (
        "kestrel.io",
        "Kestrel",
        "Fleet telematics",
    )
    assert missing is None
    assert not_a_domain is None


# --- directory -------------------------------------------------------------------------


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


CSV = """name,domain,description,aliases
Foo Labs GmbH,https://www.FooLabs.io/,Testing tools for data pipelines,Foo;FL Research
Northwind Analytics,northwind-analytics.example,Demand forecasting for retailers,Northwind
Northwind Freight,northwind-freight.example,Freight forwarding between Baltic ports,Northwind
"""


async def test_a_csv_directory_finds_by_name_and_alias(tmp_path: Path) -> None:
    lookup = DirectoryLookup(write(tmp_path, "companies.csv", "\ufeff" + CSV))

    by_name = await lookup.find_website("FOO LABS, Inc.")
    by_alias = await lookup.find_website("FL Research")
    missing = await lookup.find_website("Kestrel")

    assert by_name.website is not None
    assert by_name.website.domain == "foolabs.io"
    assert by_name.website.title == "Foo Labs GmbH"
    assert by_name.website.description == "Testing tools for data pipelines"
    assert by_name.website.source == "directory"
    assert by_alias.website == by_name.website
    assert missing.website is None and missing.tried == ["directory: no company named 'Kestrel'"]
    assert lookup.size == 3 and lookup.problems == []
    assert (await lookup.describe("foolabs.io")) == by_name.website
    assert (await lookup.describe("unknown.io")) is None


async def test_a_json_directory_finds_by_name_and_alias(tmp_path: Path) -> None:
    entries = [
        {"name": "Goémon SAS", "domain": "goemon.example", "description": "Sushi bookings"},
        {
            "name": "Kiesel Robotik GmbH",
            "domain": "kiesel.example",
            "description": "Grippers",
            "aliases": ["Kiesel Robotics"],
        },
    ]
    lookup = DirectoryLookup(write(tmp_path, "companies.json", json.dumps(entries)))

    goemon = await lookup.find_website("Goemon")
    kiesel = await lookup.find_website("kiesel robotics")

    assert goemon.website is not None and goemon.website.domain == "goemon.example"
    assert kiesel.website is not None and kiesel.website.domain == "kiesel.example"


async def test_an_ambiguous_name_is_settled_by_context_or_not_at_all(tmp_path: Path) -> None:
    lookup = DirectoryLookup(write(tmp_path, "companies.csv", CSV))

    freight = await lookup.find_website("Northwind", context="a freight forwarder in Gdansk")
    without_context = await lookup.find_website("Northwind")
    unhelpful = await lookup.find_website("Northwind", context="a great team")

    assert freight.website is not None
    assert freight.website.domain == "northwind-freight.example"
    assert without_context.website is None
    assert without_context.tried == [
        "directory: 2 companies named 'Northwind' "
        "(northwind-analytics.example, northwind-freight.example); no context to tell them apart"
    ]
    assert unhelpful.website is None
    assert unhelpful.tried[0].endswith("the context does not tell them apart")


def test_rows_with_a_bad_domain_are_skipped_and_reported(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "companies.csv",
        "name,domain,description\n"
        "Foo Labs,foolabs.io,Tests\n"
        "Bad One,not a domain,Nope\n"
        ",nameless.io,No name\n"
        "Meta,http://169.254.169.254/,Metadata\n",
    )

    lookup = DirectoryLookup(path)

    assert lookup.size == 1
    assert lookup.problems == [
        f"{path} line 3: 'not a domain' is not a valid domain name",
        f"{path} line 4: the name is empty",
        f"{path} line 5: 'http://169.254.169.254/' is an IP address, not a domain",
    ]


@pytest.mark.parametrize(
    ("file_name", "text", "message"),
    [
        ("companies.txt", CSV, "must be a .csv or .json file"),
        (
            "companies.csv",
            "company,website\nFoo,foo.io\n",
            "line 1: missing column(s) name, domain, description",
        ),
        ("companies.csv", "name,domain\nFoo,foo.io\n", "line 1: missing column(s) description"),
        ("companies.csv", "", "is empty"),
        ("companies.json", '[{"name": "Foo",', "line 1: not valid JSON"),
        ("companies.json", '{"name": "Foo"}', "must hold a JSON list"),
        ("companies.csv", "name,domain,description\nBad,nope,x\n", "has no valid company: "),
        ("companies.json", '[1, {"name": "Foo", "domain": 3}]', "has no valid company: "),
    ],
)
def test_a_bad_directory_file_is_a_clear_error(
    tmp_path: Path, file_name: str, text: str, message: str
) -> None:
    path = write(tmp_path, file_name, text)

    with pytest.raises(ValidationFailed) as raised:
        DirectoryLookup(path)

    assert str(path) in raised.value.message
    assert message in raised.value.message


def test_a_missing_or_oversized_directory_is_refused(tmp_path: Path) -> None:
    oversized = tmp_path / "huge.csv"
    with oversized.open("wb") as handle:
        handle.truncate(DIRECTORY_MAX_BYTES + 1)  # sparse: costs no disk

    with pytest.raises(CompoundError, match="does not exist"):
        DirectoryLookup(tmp_path / "missing.csv")
    with pytest.raises(CompoundError, match="the limit is 50 MB"):
        DirectoryLookup(oversized)


def test_json_entries_that_are_not_companies_are_reported(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "companies.json",
        json.dumps(
            [
                "Foo",
                {"name": "Foo", "domain": 3, "description": ""},
                {"name": "Bar", "domain": "bar.io", "description": "Bars", "aliases": [1]},
                {"name": "Baz", "domain": "baz.io"},
            ]
        ),
    )

    lookup = DirectoryLookup(path)

    assert lookup.size == 1
    assert lookup.problems == [
        f"{path} entry 1: not an object with name, domain and description",
        f"{path} entry 2: domain must be text, not int",
        f"{path} entry 3: aliases must be text",
    ]


async def test_the_directory_is_read_again_when_the_file_changes(tmp_path: Path) -> None:
    path = write(tmp_path, "companies.csv", CSV)
    lookup = DirectoryLookup(path)
    assert (await lookup.find_website("Kestrel")).website is None

    path.write_text(CSV + "Kestrel,kestrel.example,Telematics,\n", encoding="utf-8")
    os.utime(path, ns=(time.time_ns(), time.time_ns() + 1_000_000_000))
    found = await lookup.find_website("Kestrel")

    assert found.website is not None and found.website.domain == "kestrel.example"


def test_the_sample_directory_is_clean() -> None:
    lookup = DirectoryLookup(SAMPLE_DIRECTORY)

    assert lookup.size >= 30
    assert lookup.problems == []


# --- choosing the lookup -------------------------------------------------------------------


async def test_web_lookup_follows_the_setting(tmp_path: Path) -> None:
    path = write(tmp_path, "companies.csv", CSV)
    settings = LeadsSettings(_env_file=None)  # type: ignore[call-arg]

    directory = web_lookup(settings.model_copy(update={"directory_path": path}))
    sample = web_lookup(settings.model_copy(update={"directory_path": None}))
    http = web_lookup(settings.model_copy(update={"lookup": "http"}))
    off = web_lookup(settings.model_copy(update={"lookup": "none"}))

    assert isinstance(directory, DirectoryLookup) and directory.path == path
    assert isinstance(sample, DirectoryLookup) and sample.path == SAMPLE_DIRECTORY
    assert isinstance(http, HttpLookup) and http.name == "http"
    assert isinstance(off, NoLookup) and off.name == "none"


async def test_no_lookup_finds_nothing_and_says_why() -> None:
    lookup = NoLookup()

    result = await lookup.find_website("Foo Labs", context="anything")

    assert result.website is None
    assert result.tried == ["web lookup is off (COMPOUND_LEADS_LOOKUP=none)"]
    assert await lookup.describe("foolabs.io") is None
