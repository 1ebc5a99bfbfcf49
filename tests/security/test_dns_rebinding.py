"""Issue 13, finding 6: DNS rebinding in the leads `http` website lookup.

The attack: a resolver answers a public address when the host is checked and 127.0.0.1
when it is resolved again to connect, so the lookup reads a local page. Here the lookup
provider itself (`COMPOUND_LEADS_LOOKUP=http`, as a research run builds it) meets such a
resolver. Two real servers share one port: 127.0.0.2 plays the public site (the policy
counts that one address as public, a test-only allowance) and 127.0.0.1 the local service
whose page must never be read. The local page's title names the company, so reading it
would make it the company's website."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from compound.modules.leads.lookup import HttpLookup, candidate_domains, web_lookup
from compound.modules.leads.settings import LeadsSettings
from compound.platform.web_fetch import AddressPolicy, Resolver
from tests.local_web import FixedResolver, Page, RebindingResolver, Site, html, serve

PUBLIC = "127.0.0.2"
LOCAL = "127.0.0.1"
SECRET = "Rebind Labs — internal admin console"


@dataclass
class Servers:
    public: Site
    local: Site

    @property
    def port(self) -> int:
        return self.local.port

    def lookup(self, resolver: Resolver) -> HttpLookup:
        values: dict[str, Any] = {
            "lookup": "http",
            "http_url_template": f"http://{{domain}}:{self.port}/",
            "http_timeout_seconds": 2.0,
            "http_tlds": ["com", "io"],
        }
        settings = LeadsSettings(_env_file=None, **values)  # type: ignore[call-arg]
        assert type(web_lookup(settings)) is HttpLookup  # what a research run gets
        # That provider, with the attacker's resolver and the one test-only allowance: the
        # "public" server lives on loopback.
        return HttpLookup(
            settings,
            resolver=resolver,
            policy=AddressPolicy(public_networks=(ipaddress.ip_network(f"{PUBLIC}/32"),)),
        )


@pytest.fixture
def servers() -> Iterator[Servers]:
    with serve(LOCAL) as local, serve(PUBLIC, local.port) as public:
        local.pages["/"] = Page(html(SECRET, "<p>root password: hunter2</p>"))
        local.pages["/secret"] = Page(html(SECRET))
        yield Servers(public=public, local=local)


async def test_a_rebinding_resolver_cannot_make_the_lookup_read_a_local_page(
    servers: Servers,
) -> None:
    # Given a public site for the company, and a resolver that rebinds every name to
    # 127.0.0.1 after its first answer
    servers.public.pages["/"] = Page(html("Rebind Labs | Home"))
    resolver = RebindingResolver(first=PUBLIC, then=LOCAL)

    # When the lookup searches the company's website
    result = await servers.lookup(resolver).find_website("Rebind Labs")

    # Then it read the public page, connected to the checked address with the original
    # Host header, resolved each name once, and never reached the local service
    assert result.website is not None
    assert result.website.title == "Rebind Labs | Home"
    assert result.website.domain == "rebindlabs.com"
    # (the lookup tries candidates four at a time: the others reached the public server too)
    hosts = [seen.host_header for seen in servers.public.requests]
    assert f"rebindlabs.com:{servers.port}" in hosts
    assert {host.rsplit(":", 1)[0] for host in hosts} <= set(
        candidate_domains("Rebind Labs", ["com", "io"])
    )
    assert set(resolver.asked.values()) == {1}
    assert servers.local.requests == []


async def test_describe_of_a_known_site_is_not_rebound_either(servers: Servers) -> None:
    servers.public.pages["/"] = Page(html("Kestrel"))
    resolver = RebindingResolver(first=PUBLIC, then=LOCAL)
    lookup = servers.lookup(resolver)

    first = await lookup.describe("kestrel.io")
    again = await lookup.describe("kestrel.io")  # the resolver now answers 127.0.0.1 only

    assert first is not None and first.title == "Kestrel"
    assert again is None
    assert servers.local.requests == []


async def test_a_redirect_hop_is_pinned_too(servers: Servers) -> None:
    # Given a public page that redirects to another name the attacker rebinds
    servers.public.pages["/"] = Page(
        status=302, headers={"Location": f"http://hop.rebindlabs.io:{servers.port}/landing"}
    )
    servers.public.pages["/landing"] = Page(html("Rebind Labs"))
    resolver = RebindingResolver(first=PUBLIC, then=LOCAL)

    result = await servers.lookup(resolver).find_website("Rebind Labs")

    assert result.website is not None
    assert result.website.source == f"http://hop.rebindlabs.io:{servers.port}/landing"
    # Other candidates redirect there too: only the first answer for hop.rebindlabs.io was
    # usable, the rebound ones were refused.
    landing = [seen for seen in servers.public.requests if seen.path == "/landing"]
    assert [seen.host_header for seen in landing] == [f"hop.rebindlabs.io:{servers.port}"]
    assert servers.local.requests == []


@pytest.mark.parametrize(
    ("location", "refusal"),
    [
        ("http://internal.rebindlabs.io:{port}/secret", "resolves to a private address, 127.0.0.1"),
        ("http://127.0.0.1:{port}/secret", "redirect to 127.0.0.1 refused (not a public host)"),
        ("http://[::ffff:127.0.0.1]:{port}/secret", "refused (not a public host)"),
        ("http://localhost:{port}/secret", "redirect to localhost refused (not a public host)"),
    ],
)
async def test_a_redirect_hop_to_a_local_address_is_refused(
    servers: Servers, location: str, refusal: str
) -> None:
    servers.public.pages["/"] = Page(
        status=302, headers={"Location": location.format(port=servers.port)}
    )
    resolver = FixedResolver({"rebindlabs.com": [PUBLIC], "internal.rebindlabs.io": [LOCAL]})

    result = await servers.lookup(resolver).find_website("Rebind Labs")

    assert result.website is None
    assert result.tried[0].startswith("rebindlabs.com: redirect to ")
    assert refusal in result.tried[0]
    assert servers.local.requests == []
