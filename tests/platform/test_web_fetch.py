"""The platform's web fetcher against real local servers: which addresses it refuses, that
it connects to the address it checked (plain HTTP and TLS, every redirect hop), and its
time, size, type and redirect budgets. Loopback stands in for "the public web" only
through the policy's explicit `public_networks`; nothing of ours is mocked."""

from __future__ import annotations

import gzip
import ipaddress
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from compound.platform.web_fetch import (
    AddressPolicy,
    AddressRefused,
    ContentRefused,
    PinnedTransport,
    WebFetcher,
    WebFetchError,
    is_public_address,
    system_resolver,
)
from tests.local_web import FixedResolver, Page, Site, html, make_certificates, serve

LOOPBACK = AddressPolicy(public_networks=(ipaddress.ip_network("127.0.0.0/8"),))
"""Test-only: loopback counts as public, so local servers play websites."""


@pytest.fixture
def site() -> Iterator[Site]:
    with serve("127.0.0.1") as running:
        yield running


def fetcher_for(site: Site, **names: str) -> tuple[WebFetcher, FixedResolver]:
    """A fetcher whose resolver answers `site.test` (and `names`) with the site's address,
    and whose policy accepts loopback and the site's port."""
    resolver = FixedResolver({"site.test": [site.address], **{k: [v] for k, v in names.items()}})
    policy = AddressPolicy(
        allowed_ports=frozenset({80, 443, site.port}), public_networks=LOOPBACK.public_networks
    )
    return WebFetcher(policy=policy, resolver=resolver, timeout=2.0), resolver


# --- which addresses are public ------------------------------------------------------------


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "127.255.255.254",
        "10.0.0.7",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",  # cloud metadata
        "100.64.0.1",  # carrier-grade NAT
        "0.0.0.0",  # noqa: S104
        "224.0.0.1",  # multicast: ipaddress calls it global
        "255.255.255.255",
        "192.0.2.1",
        "198.18.0.1",
        "240.0.0.1",
        "::1",
        "::",
        "fe80::1",
        "fc00::1",
        "fec0::1",  # site-local: ipaddress calls it global
        "ff02::1",  # multicast: ipaddress calls it global
        "::ffff:127.0.0.1",  # IPv4-mapped
        "::ffff:169.254.169.254",
        "::127.0.0.1",  # IPv4-compatible
        "64:ff9b::7f00:1",  # NAT64 of 127.0.0.1: ipaddress calls it global
        "64:ff9b:1::a00:7",  # local-use NAT64
        "2002:7f00:1::",  # 6to4 of 127.0.0.1: ipaddress calls it global
        "2001::1",  # Teredo
        "2001:db8::1",
    ],
)
def test_addresses_off_the_public_internet_are_not_public(address: str) -> None:
    assert not is_public_address(ipaddress.ip_address(address))


@pytest.mark.parametrize(
    "address", ["93.184.215.14", "8.8.8.8", "2606:4700::1111", "::ffff:8.8.8.8", "64:ff9b::808:808"]
)
def test_public_addresses_are_public(address: str) -> None:
    assert is_public_address(ipaddress.ip_address(address))


# --- what is refused before anything connects --------------------------------------------


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://127.0.0.1/", "address 127.0.0.1 refused (not a public host)"),
        ("http://[::1]:80/", "address ::1 refused (not a public host)"),
        ("http://[::ffff:127.0.0.1]/", "address ::ffff:127.0.0.1 refused (not a public host)"),
        ("http://2130706433/", "address 2130706433 refused (not a public host)"),
        ("http://localhost/", "address localhost refused (not a public host)"),
        ("http://LocalHost./", "address localhost. refused (not a public host)"),
        ("http://admin.localhost/", "address admin.localhost refused (not a public host)"),
        ("http://printer.local/", "address printer.local refused (not a public host)"),
        ("http://metadata.google.internal/", "refused (not a public host)"),
        ("http://intranet/", "address intranet refused (not a public host)"),
        ("http://1.0.0.127.in-addr.arpa/", "refused (not a public host)"),
        ("ftp://site.test/", "address a 'ftp' URL refused"),
        ("file:///etc/passwd", "address a 'file' URL refused"),
        ("http://user:secret@site.test/", "address site.test refused (credentials in the URL)"),
        ("http://site.test:25/", "address site.test refused (port 25 is not allowed)"),
        ("http://site.test:8080/", "address site.test refused (port 8080 is not allowed)"),
        ("not a url at all", "'not%20a%20url%20at%20all' is not an absolute URL"),
    ],
)
async def test_urls_off_the_public_web_are_refused_without_a_connection(
    url: str, message: str
) -> None:
    resolver = FixedResolver({"site.test": ["93.184.215.14"]})
    fetcher = WebFetcher(resolver=resolver, timeout=2.0)

    with pytest.raises(AddressRefused) as refused:
        await fetcher.fetch(url)

    assert message in refused.value.message
    assert refused.value.code == "WEB_ADDRESS_REFUSED"
    assert sum(resolver.asked.values()) == 0


@pytest.mark.parametrize(
    ("host", "message"),
    [
        # The system resolver reads these as 127.0.0.1 (inet_aton): its answer is checked.
        ("0x7f.1", "address 0x7f.1 refused (resolves to a private address, 127.0.0.1)"),
        ("127.1", "address 127.1 refused (resolves to a private address, 127.0.0.1)"),
        ("0x7f000001.", "address 0x7f000001. refused (not a public host)"),  # one label
        # httpx refuses to parse this one at all.
        ("0177.0.0.1", "'http://0177.0.0.1/' is not a valid URL"),
    ],
)
async def test_odd_spellings_of_loopback_are_refused(host: str, message: str) -> None:
    fetcher = WebFetcher(resolver=system_resolver, timeout=2.0)

    with pytest.raises(AddressRefused) as refused:
        await fetcher.fetch(f"http://{host}/")

    assert message in refused.value.message


async def test_a_name_resolving_to_a_private_address_among_public_ones_is_refused(
    site: Site,
) -> None:
    resolver = FixedResolver({"mixed.test": ["93.184.215.14", "10.0.0.7"]})
    fetcher = WebFetcher(resolver=resolver, timeout=2.0)

    with pytest.raises(AddressRefused) as refused:
        await fetcher.fetch("https://mixed.test/")

    assert refused.value.message == (
        "address mixed.test refused (resolves to a private address, 10.0.0.7)"
    )


async def test_an_unknown_host_and_an_empty_answer_are_no_such_host() -> None:
    resolver = FixedResolver({"empty.test": []})
    fetcher = WebFetcher(resolver=resolver, timeout=2.0)

    with pytest.raises(WebFetchError, match=r"^no such host$"):
        await fetcher.fetch("https://unknown.test/")
    with pytest.raises(WebFetchError, match=r"^no such host$"):
        await fetcher.fetch("https://empty.test/")


async def test_the_transport_refuses_a_request_nobody_checked(site: Site) -> None:
    site.pages["/"] = Page(html("Secret"))

    async with httpx.AsyncClient(transport=PinnedTransport()) as client:
        with pytest.raises(AddressRefused, match="no checked address"):
            await client.get(f"http://127.0.0.1:{site.port}/")

    assert site.requests == []


# --- what works, and how it connects -----------------------------------------------------


async def test_a_page_is_read_with_its_type_charset_and_host_header(site: Site) -> None:
    site.pages["/about"] = Page(html("Café Labs"), content_type="text/html; charset=utf-8")
    fetcher, resolver = fetcher_for(site)

    page = await fetcher.fetch(f"http://site.test:{site.port}/about")

    assert (page.status, page.media_type, page.charset) == (200, "text/html", "utf-8")
    assert "<title>Café Labs</title>" in page.text()
    assert page.url == page.requested_url == f"http://site.test:{site.port}/about"
    assert page.redirects == () and not page.truncated
    assert [(seen.path, seen.host_header) for seen in site.requests] == [
        ("/about", f"site.test:{site.port}")
    ]
    assert resolver.asked == {"site.test": 1}


async def test_the_connection_goes_to_the_checked_address_with_the_original_host() -> None:
    # Two servers on one port: 127.0.0.2 is the address the resolver gave (and the policy
    # accepts); 127.0.0.1 is where the host would lead if it were resolved again.
    with serve("127.0.0.1") as local, serve("127.0.0.2", local.port) as checked:
        for server in (local, checked):
            server.pages["/"] = Page(html(f"served by {server.address}"))
        resolver = FixedResolver({"pinned.test": ["127.0.0.2"]})
        policy = AddressPolicy(
            allowed_ports=frozenset({local.port}),
            public_networks=(ipaddress.ip_network("127.0.0.2/32"),),
        )

        page = await WebFetcher(policy=policy, resolver=resolver).fetch(
            f"http://pinned.test:{local.port}/"
        )

    assert "served by 127.0.0.2" in page.text()
    assert [seen.host_header for seen in checked.requests] == [f"pinned.test:{local.port}"]
    assert local.requests == []


async def test_a_refused_connection_tries_the_next_checked_address(site: Site) -> None:
    site.pages["/"] = Page(html("Second address"))
    # Nothing listens on 127.0.0.3 at the site's port.
    resolver = FixedResolver({"two.test": ["127.0.0.3", site.address]})
    fetcher = WebFetcher(
        policy=AddressPolicy(
            allowed_ports=frozenset({site.port}), public_networks=LOOPBACK.public_networks
        ),
        resolver=resolver,
    )

    page = await fetcher.fetch(f"http://two.test:{site.port}/")

    assert "Second address" in page.text()
    assert resolver.asked == {"two.test": 1}


async def test_tls_verifies_the_certificate_and_sends_sni_for_the_host_name(
    tmp_path: Path,
) -> None:
    certificates = make_certificates(tmp_path, "tls.test")
    with serve("127.0.0.1", tls=certificates.server_context()) as secure:
        secure.pages["/"] = Page(html("Over TLS"))
        resolver = FixedResolver({"tls.test": ["127.0.0.1"], "other.test": ["127.0.0.1"]})
        fetcher = WebFetcher(
            policy=AddressPolicy(
                allowed_ports=frozenset({secure.port}), public_networks=LOOPBACK.public_networks
            ),
            resolver=resolver,
            ssl_context=certificates.client_context(),
            timeout=3.0,
        )

        page = await fetcher.fetch(f"https://tls.test:{secure.port}/")
        with pytest.raises(WebFetchError) as mismatch:
            await fetcher.fetch(f"https://other.test:{secure.port}/")

    assert "Over TLS" in page.text()
    assert secure.requests == [
        # SNI and Host name the host, though the connection went to 127.0.0.1.
        type(secure.requests[0])("/", f"tls.test:{secure.port}", "tls.test")
    ]
    # The certificate is checked against the name asked for, not the address.
    assert mismatch.value.message.startswith("could not connect (")
    assert "certificate" in mismatch.value.message.casefold()


# --- redirects -----------------------------------------------------------------------------


async def test_each_redirect_hop_is_resolved_once_checked_and_recorded(site: Site) -> None:
    port = site.port
    site.pages["/start"] = Page(status=301, headers={"Location": "/relative"})
    site.pages["/relative"] = Page(
        status=302, headers={"Location": f"http://hop.test:{port}/absolute"}
    )
    site.pages["/absolute"] = Page(html("Arrived"))
    fetcher, resolver = fetcher_for(site, **{"hop.test": site.address})

    page = await fetcher.fetch(f"http://site.test:{port}/start")

    assert "Arrived" in page.text()
    assert page.url == f"http://hop.test:{port}/absolute"
    assert page.redirects == (
        f"http://site.test:{port}/relative",
        f"http://hop.test:{port}/absolute",
    )
    assert [seen.host_header for seen in site.requests] == [
        f"site.test:{port}",
        f"site.test:{port}",
        f"hop.test:{port}",
    ]
    assert resolver.asked == {"site.test": 2, "hop.test": 1}


@pytest.mark.parametrize(
    ("location", "message"),
    [
        ("http://169.254.169.254/latest/meta-data/", "redirect to 169.254.169.254 refused"),
        ("http://localhost/admin", "redirect to localhost refused (not a public host)"),
        ("http://[::1]/", "redirect to ::1 refused (not a public host)"),
        ("gopher://site.test/", "redirect to a 'gopher' URL refused"),
        ("http://private.test/", "redirect to private.test refused (resolves to a private"),
        ("http://nowhere.test/", "redirect to nowhere.test: no such host"),
        ("http://site.test:6379/", "redirect to site.test refused (port 6379 is not allowed)"),
    ],
)
async def test_a_redirect_off_the_public_web_is_refused_before_it_is_followed(
    site: Site, location: str, message: str
) -> None:
    site.pages["/go"] = Page(status=302, headers={"Location": location})
    fetcher, _ = fetcher_for(site)
    fetcher.resolver = FixedResolver({"site.test": [site.address], "private.test": ["10.0.0.7"]})

    with pytest.raises(WebFetchError) as refused:
        await fetcher.fetch(f"http://site.test:{site.port}/go")

    assert message in refused.value.message
    assert site.paths == ["/go"]


async def test_redirects_stop_at_the_hop_limit(site: Site) -> None:
    site.pages["/loop"] = Page(status=307, headers={"Location": "/loop"})
    fetcher, _ = fetcher_for(site)
    fetcher.max_redirects = 2

    with pytest.raises(WebFetchError, match=r"^more than 2 redirects$"):
        await fetcher.fetch(f"http://site.test:{site.port}/loop")

    assert site.paths == ["/loop"] * 3


# --- budgets -------------------------------------------------------------------------------


async def test_a_body_beyond_max_bytes_is_cut_and_a_gzip_bomb_inflates_only_that_far(
    site: Site,
) -> None:
    site.pages["/big"] = Page(b"x" * 100_000)
    bomb = gzip.compress(b" " * (30 * 1024 * 1024))
    site.pages["/bomb"] = Page(bomb, headers={"Content-Encoding": "gzip"})
    site.pages["/brotli"] = Page(b"...", headers={"Content-Encoding": "br"})
    site.pages["/broken"] = Page(b"\x00not gzip", headers={"Content-Encoding": "gzip"})
    fetcher, _ = fetcher_for(site)
    fetcher.max_bytes = 4096
    base = f"http://site.test:{site.port}"

    big = await fetcher.fetch(f"{base}/big")
    inflated = await fetcher.fetch(f"{base}/bomb")

    assert (len(big.body), big.truncated) == (4096, True)
    assert (len(inflated.body), inflated.truncated) == (4096, True)
    with pytest.raises(WebFetchError, match=r"^unsupported content encoding 'br'$"):
        await fetcher.fetch(f"{base}/brotli")
    with pytest.raises(WebFetchError, match=r"^body is not valid gzip$"):
        await fetcher.fetch(f"{base}/broken")


async def test_the_timeout_covers_the_whole_fetch(site: Site) -> None:
    site.pages["/slow"] = Page(html("Slow"), delay=2)
    fetcher, _ = fetcher_for(site)
    fetcher.timeout = 0.3

    started = time.monotonic()
    with pytest.raises(WebFetchError, match=r"^timed out after 0\.3 s$"):
        await fetcher.fetch(f"http://site.test:{site.port}/slow")

    assert time.monotonic() - started < 1.5


async def test_statuses_and_media_types_that_are_not_the_page_asked_for(site: Site) -> None:
    site.pages["/json"] = Page(b"{}", content_type="application/json")
    site.pages["/missing"] = Page(b"gone", status=410)
    site.pages["/empty"] = Page(status=204)
    fetcher, _ = fetcher_for(site)
    base = f"http://site.test:{site.port}"

    with pytest.raises(ContentRefused) as wrong_type:
        await fetcher.fetch(f"{base}/json", media_types={"text/html"})
    with pytest.raises(WebFetchError, match=r"^HTTP 410$"):
        await fetcher.fetch(f"{base}/missing")
    with pytest.raises(WebFetchError, match=r"^HTTP 204 \(no page\)$"):
        await fetcher.fetch(f"{base}/empty")
    json_page = await fetcher.fetch(f"{base}/json")

    assert wrong_type.value.media_type == "application/json"
    assert wrong_type.value.message == "content type application/json not accepted"
    assert json_page.media_type == "application/json" and json_page.body == b"{}"


async def test_a_trusted_configured_origin_is_reached_but_only_that_origin(site: Site) -> None:
    site.pages["/mirror"] = Page(status=302, headers={"Location": "/page"})
    site.pages["/page"] = Page(html("Mirror"))
    site.pages["/away"] = Page(status=302, headers={"Location": "http://127.0.0.1:1/"})
    base = f"http://127.0.0.1:{site.port}"
    policy = AddressPolicy().trusting_configured(f"{base}/{{domain}}")

    async with WebFetcher(policy=policy, timeout=2.0) as fetcher:
        page = await fetcher.fetch(f"{base}/mirror")
        with pytest.raises(AddressRefused) as other_port:
            await fetcher.fetch(f"{base}/away")

    assert "Mirror" in page.text()
    assert other_port.value.message == "redirect to 127.0.0.1 refused (not a public host)"
    public = AddressPolicy().trusting_configured("https://example.com:8443/")
    assert public.trusted_origins == frozenset() and 8443 in public.allowed_ports
