"""The one way Compound reads the web: a GET that reaches only public addresses, connects to
the very address it checked (on every redirect hop), and stays within a time and size budget.

Why pinning: checking a host with one DNS lookup and letting the HTTP client resolve it again
to connect lets a resolver answer a public address first and 127.0.0.1 second (DNS
rebinding). Here a host is resolved once, every address it resolved to is checked, and the
connection goes to a checked address (`PinnedTransport`), while the `Host` header, TLS SNI and
certificate verification keep the URL's own host name.

Pages are untrusted input: this file hands back bytes and headers and never acts on them."""

from __future__ import annotations

import asyncio
import codecs
import functools
import ipaddress
import re
import socket
import ssl
import unicodedata
import zlib
from collections.abc import Awaitable, Callable, Collection, Sequence
from dataclasses import dataclass, field, replace
from types import TracebackType
from typing import Final, Self

import httpx
import structlog

from compound.platform.errors import CompoundError

logger = structlog.get_logger(__name__)

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

Resolver = Callable[[str, int], Awaitable[Sequence[str]]]
"""A host name and port → the addresses to connect to (IP strings); OSError when there is none."""

SCHEMES: Final = frozenset({"http", "https"})
DEFAULT_PORTS: Final = frozenset({80, 443})
"""Ports a public host is reached on unless a policy allows more."""
DEFAULT_USER_AGENT: Final = "Compound/0.1 (+web fetch)"
MAX_URL_LENGTH: Final = 4096
ADDRESSES_TRIED: Final = 3
"""A host's checked addresses tried in turn when connecting to one fails."""
PINNED_ADDRESSES: Final = "compound.pinned_addresses"
"""Request extension that carries the checked addresses to `PinnedTransport`."""

_PRIVATE_NAME_SUFFIXES = (".localhost", ".local", ".internal", ".lan", ".home.arpa", ".arpa")
# NAT64 gateways translate these to the IPv4 address in their last 32 bits (RFC 6052); the
# local-use prefix (RFC 8215) may embed it anywhere, so it is refused whole.
_NAT64_WELL_KNOWN = ipaddress.IPv6Network("64:ff9b::/96")
_NAT64_LOCAL_USE = ipaddress.IPv6Network("64:ff9b:1::/48")


# --- errors ----------------------------------------------------------------------------


class WebFetchError(CompoundError):
    """A page that could not be read; `message` says why in a few words ("HTTP 404",
    "timed out after 5 s")."""

    code = "WEB_FETCH_FAILED"


class AddressRefused(WebFetchError):
    """The URL or a redirect points off the public web, or at a scheme or port not allowed."""

    code = "WEB_ADDRESS_REFUSED"


class ContentRefused(WebFetchError):
    """The page's media type is not one the caller asked for; `media_type` is what it was."""

    code = "WEB_CONTENT_REFUSED"

    def __init__(self, message: str, *, media_type: str) -> None:
        super().__init__(message)
        self.media_type = media_type


# --- which addresses are public ----------------------------------------------------------


def is_public_address(address: IPAddress) -> bool:
    """Whether an address is on the public internet: not private, loopback, link-local,
    multicast, reserved, unspecified, shared or documentation space — and, for IPv6, no
    IPv4-mapped, 6to4 or NAT64 form of such an address, no Teredo or site-local one."""
    if isinstance(address, ipaddress.IPv6Address):
        if address in _NAT64_LOCAL_USE or address.teredo is not None or address.is_site_local:
            return False
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is None and address in _NAT64_WELL_KNOWN:
            embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if embedded is not None:
            return is_public_address(embedded)
    # is_global alone lets multicast through (224.0.0.1 and ff02::1 count as global).
    return address.is_global and not (
        address.is_multicast
        or address.is_reserved
        or address.is_unspecified
        or address.is_loopback
        or address.is_link_local
        or address.is_private
    )


def is_private_name(host: str) -> bool:
    """A name that only means something on a local network: no dot, localhost, .local…"""
    host = host.rstrip(".").casefold()
    return "." not in host or host == "localhost" or host.endswith(_PRIVATE_NAME_SUFFIXES)


def ip_literal(host: str) -> IPAddress | None:
    """The address a host is written as ("10.0.0.7", "[::1]"), or None for a name."""
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


def origin_of(url: httpx.URL | str) -> str:
    """`host:port` of a URL, lower-case, the port filled in from the scheme."""
    url = httpx.URL(url)
    port = url.port or (443 if url.scheme == "https" else 80)
    return f"{url.raw_host.decode('ascii').casefold()}:{port}"


async def system_resolver(host: str, port: int) -> list[str]:
    """The operating system's answer, through the event loop's getaddrinfo."""
    answers = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(answer[4][0]) for answer in answers))


@dataclass(frozen=True)
class AddressPolicy:
    """Which URLs a fetch may reach. The default: public host names on ports 80 and 443."""

    allowed_ports: frozenset[int] = DEFAULT_PORTS
    """Ports a public host may be reached on; a URL without one uses its scheme's."""
    trusted_origins: frozenset[str] = frozenset()
    """`host:port` origins an operator configured (a test server, an internal mirror): reached
    whatever they resolve to — still resolved once and pinned."""
    public_networks: tuple[IPNetwork, ...] = ()
    """Networks counted as public although they are not: for tests, which serve "the public
    web" from loopback. Empty in production."""

    def admits(self, address: IPAddress) -> bool:
        return is_public_address(address) or any(
            address.version == network.version and address in network
            for network in self.public_networks
        )

    def trusting_configured(self, url: str) -> AddressPolicy:
        """This policy, also allowing the port of a URL an operator configured and, when its
        host is off the public web (an IP literal or a local name), trusting its origin."""
        parsed = httpx.URL(url)
        host = parsed.raw_host.decode("ascii")
        port = parsed.port or (443 if parsed.scheme == "https" else 80)
        trusted = self.trusted_origins
        if ip_literal(host) is not None or is_private_name(host):
            trusted = trusted | {origin_of(parsed)}
        return replace(self, allowed_ports=self.allowed_ports | {port}, trusted_origins=trusted)


# --- the pinned transport --------------------------------------------------------------


@functools.cache
def _default_ssl_context() -> ssl.SSLContext:
    # Loading the CA bundle takes ~50 ms; one context serves every fetcher (the leads
    # lookup makes a fetcher per company).
    return httpx.create_ssl_context()


class PinnedTransport(httpx.AsyncBaseTransport):
    """Connects each request to an address checked for it (the `PINNED_ADDRESSES` request
    extension) and never resolves the host again; the `Host` header, SNI and certificate
    check keep the URL's host name. A request without checked addresses is refused."""

    def __init__(self, *, ssl_context: ssl.SSLContext | None = None) -> None:
        self._inner = httpx.AsyncHTTPTransport(
            verify=ssl_context if ssl_context is not None else _default_ssl_context(),
            trust_env=False,  # a proxy would resolve the host itself: no proxies
            # The pool knows connections by address: one kept alive after a.example could
            # carry b.example's request to the same address, verified for the wrong name.
            limits=httpx.Limits(max_keepalive_connections=0),
        )

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        addresses: Sequence[IPAddress] = request.extensions.get(PINNED_ADDRESSES) or ()
        if not addresses:
            raise AddressRefused(f"{request.url.host}: no checked address to connect to")
        host = request.url.raw_host.decode("ascii")
        extensions = {
            name: value for name, value in request.extensions.items() if name != PINNED_ADDRESSES
        }
        extensions["sni_hostname"] = host
        failure: httpx.ConnectError | None = None
        for address in addresses[:ADDRESSES_TRIED]:
            pinned = httpx.Request(
                request.method,
                request.url.copy_with(host=str(address)),
                headers=request.headers,  # Host: the name, set when the request was built
                stream=request.stream,
                extensions=extensions,
            )
            try:
                return await self._inner.handle_async_request(pinned)
            except httpx.ConnectError as error:
                failure = error
        assert failure is not None
        raise failure

    async def aclose(self) -> None:
        await self._inner.aclose()


# --- pages ---------------------------------------------------------------------------


_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([a-zA-Z0-9_.:-]{1,40})""", re.I)


@dataclass(frozen=True)
class WebPage:
    """A page read: the final URL after redirects, its type and (at most max_bytes of) body."""

    url: str
    """Where the page was read from, after redirects."""
    requested_url: str
    redirects: tuple[str, ...]
    """Every address redirected to, in order (the last is `url`)."""
    status: int
    media_type: str
    """The Content-Type without parameters, lower-case ("text/html"); "" when none was sent."""
    charset: str | None
    """The charset the Content-Type header declared, if any."""
    body: bytes = field(repr=False)
    """Inflated when it came gzip- or deflate-encoded."""
    truncated: bool
    """Whether the body went on past max_bytes (and was cut there)."""

    def text(self) -> str:
        """The body in the charset it declares (header, then <meta>), else UTF-8."""
        candidates = [self.charset]
        found = _META_CHARSET.search(self.body[:4096])
        if found:
            candidates.append(found.group(1).decode("ascii"))
        for charset in candidates:
            if not charset:
                continue
            try:
                codecs.lookup(charset)
            except LookupError:
                continue
            return self.body.decode(charset, errors="replace")
        return self.body.decode("utf-8", errors="replace")


def _shown(text: str, limit: int = 80) -> str:
    """Text from a URL or header, safe to put in a message: one line, printable, short."""
    kept = "".join(
        character
        for character in " ".join(text.split())
        if unicodedata.category(character) not in {"Cc", "Cf", "Cs", "Co"}
    )
    return kept if len(kept) <= limit else kept[: limit - 1] + "…"


def _short_reason(error: Exception) -> str:
    text = str(error) or type(error).__name__
    if "Name or service not known" in text or "nodename nor servname" in text:
        return "no such host"
    return _shown(text)


# --- the fetcher ---------------------------------------------------------------------


class WebFetcher:
    """Reads web pages under an `AddressPolicy`. Use it as `async with WebFetcher(...) as
    fetcher:` to share connections' setup across fetches; `fetch` also works on its own."""

    def __init__(
        self,
        *,
        policy: AddressPolicy | None = None,
        resolver: Resolver = system_resolver,
        timeout: float = 10.0,
        max_bytes: int = 1024 * 1024,
        max_redirects: int = 5,
        user_agent: str = DEFAULT_USER_AGENT,
        accept: str = "*/*",
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self.policy = policy or AddressPolicy()
        self.resolver = resolver
        self.timeout = timeout
        """Seconds for the whole fetch: every lookup, redirect and byte of the body."""
        self.max_bytes = max_bytes
        self.max_redirects = max_redirects
        self._headers = {
            "User-Agent": user_agent,
            "Accept": accept,
            # Compressed bodies are inflated here, bounded by max_bytes.
            "Accept-Encoding": "gzip, deflate",
        }
        self._ssl_context = ssl_context
        self._client: httpx.AsyncClient | None = None

    def _new_client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            transport=PinnedTransport(ssl_context=self._ssl_context),
            timeout=httpx.Timeout(self.timeout),
            follow_redirects=False,  # every hop is checked and pinned below
            headers=self._headers,
            trust_env=False,
        )

    async def __aenter__(self) -> Self:
        self._client = self._new_client()
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        client, self._client = self._client, None
        if client is not None:
            await client.aclose()

    async def fetch(self, url: str, *, media_types: Collection[str] | None = None) -> WebPage:
        """The page at `url`, following up to max_redirects redirects, each checked. With
        `media_types`, a page of another type is refused before its body is read. Raises
        WebFetchError (AddressRefused, ContentRefused) naming the problem."""
        if self._client is not None:
            return await self._fetch(self._client, url, media_types)
        async with self._new_client() as client:
            return await self._fetch(client, url, media_types)

    async def _fetch(
        self, client: httpx.AsyncClient, url: str, media_types: Collection[str] | None
    ) -> WebPage:
        try:
            async with asyncio.timeout(self.timeout):
                return await self._follow(client, url, media_types)
        except (TimeoutError, httpx.TimeoutException):
            raise WebFetchError(f"timed out after {self.timeout:g} s") from None
        except httpx.TooManyRedirects:
            raise WebFetchError("too many redirects") from None
        except httpx.ConnectError as error:
            raise WebFetchError(f"could not connect ({_short_reason(error)})") from None
        except httpx.HTTPError as error:
            raise WebFetchError(f"HTTP failure ({type(error).__name__})") from None
        except OSError as error:
            raise WebFetchError(f"could not connect ({_short_reason(error)})") from None

    async def _follow(
        self, client: httpx.AsyncClient, requested: str, media_types: Collection[str] | None
    ) -> WebPage:
        try:
            url = httpx.URL(requested)
        except httpx.InvalidURL:
            raise AddressRefused(f"{_shown(requested)!r} is not a valid URL") from None
        redirects: list[str] = []
        for hop in range(self.max_redirects + 1):
            addresses = await self.admit(url, redirected=hop > 0)
            async with client.stream("GET", url, extensions={PINNED_ADDRESSES: addresses}) as (
                response
            ):
                if not response.is_redirect:
                    return await self._page(response, requested, redirects, media_types)
                if hop == self.max_redirects:
                    raise WebFetchError(f"more than {self.max_redirects} redirects")
                location = response.headers.get("location", "")
                try:
                    if len(location) > MAX_URL_LENGTH:
                        raise httpx.InvalidURL("too long")
                    url = url.join(location)
                except httpx.InvalidURL:
                    raise AddressRefused("redirect to an invalid address") from None
                redirects.append(str(url))
        raise WebFetchError(f"more than {self.max_redirects} redirects")  # pragma: no cover

    async def admit(self, url: httpx.URL, *, redirected: bool = False) -> tuple[IPAddress, ...]:
        """The addresses `url` may be fetched from, resolved once; AddressRefused when its
        scheme, port, host or any address it resolves to is off limits."""
        what = "redirect to" if redirected else "address"
        if not url.scheme:
            raise AddressRefused(f"{_shown(str(url))!r} is not an absolute URL")
        if url.scheme not in SCHEMES:
            raise AddressRefused(f"{what} a {_shown(url.scheme, 20)!r} URL refused")
        host = url.raw_host.decode("ascii")
        shown = _shown(url.host)
        if not host:
            raise AddressRefused(f"{what} without a host refused")
        if url.userinfo:
            raise AddressRefused(f"{what} {shown} refused (credentials in the URL)")
        port = url.port or (443 if url.scheme == "https" else 80)
        trusted = origin_of(url) in self.policy.trusted_origins
        if not trusted:
            if ip_literal(host) is not None or is_private_name(host):
                raise AddressRefused(f"{what} {shown} refused (not a public host)")
            if port not in self.policy.allowed_ports:
                raise AddressRefused(f"{what} {shown} refused (port {port} is not allowed)")
        addresses = await self._resolve(host, port, what, shown)
        if not trusted:
            for address in addresses:
                if not self.policy.admits(address):
                    logger.info("web_fetch.refused", host=shown, address=str(address))
                    raise AddressRefused(
                        f"{what} {shown} refused (resolves to a private address, {address})"
                    )
        return addresses

    async def _resolve(self, host: str, port: int, what: str, shown: str) -> tuple[IPAddress, ...]:
        literal = ip_literal(host)
        if literal is not None:
            return (literal,)
        no_such_host = "no such host" if what == "address" else f"{what} {shown}: no such host"
        try:
            answers = await self.resolver(host, port)
        except (OSError, UnicodeError):
            raise WebFetchError(no_such_host) from None
        addresses: list[IPAddress] = []
        for answer in answers:
            try:
                # A scoped IPv6 answer ("fe80::1%eth0") is checked without its scope.
                addresses.append(ipaddress.ip_address(str(answer).split("%", 1)[0]))
            except ValueError:
                raise AddressRefused(
                    f"{what} {shown} refused (resolves to {_shown(str(answer), 40)!r})"
                ) from None
        if not addresses:
            raise WebFetchError(no_such_host)
        return tuple(addresses)

    async def _page(
        self,
        response: httpx.Response,
        requested: str,
        redirects: list[str],
        media_types: Collection[str] | None,
    ) -> WebPage:
        if response.status_code >= 400:
            raise WebFetchError(f"HTTP {response.status_code}")
        if response.status_code != 200:
            raise WebFetchError(f"HTTP {response.status_code} (no page)")
        media_type = response.headers.get("content-type", "").split(";")[0].strip().casefold()
        if media_types is not None and media_type not in media_types:
            raise ContentRefused(
                f"content type {_shown(media_type, 60) or 'none'} not accepted",
                media_type=media_type,
            )
        body, truncated = await self._read(response)
        return WebPage(
            url=str(response.url),
            requested_url=requested,
            redirects=tuple(redirects),
            status=response.status_code,
            media_type=media_type,
            charset=response.charset_encoding,
            body=body,
            truncated=truncated,
        )

    async def _read(self, response: httpx.Response) -> tuple[bytes, bool]:
        """At most max_bytes of the (inflated) body, and whether there was more."""
        encoding = response.headers.get("content-encoding", "identity").strip().casefold()
        inflater: zlib._Decompress | None = None
        if encoding in {"gzip", "x-gzip", "deflate"}:
            inflater = zlib.decompressobj(wbits=47)  # gzip or zlib header, detected
        elif encoding not in {"", "identity"}:
            raise WebFetchError(f"unsupported content encoding {_shown(encoding, 30)!r}")
        body = bytearray()
        try:
            async for chunk in response.aiter_raw():
                remaining = self.max_bytes - len(body)
                if inflater is not None:
                    body += inflater.decompress(inflater.unconsumed_tail + chunk, remaining)
                    if inflater.unconsumed_tail:
                        return bytes(body), True
                else:
                    body += chunk[:remaining]
                if len(body) >= self.max_bytes:
                    return bytes(body[: self.max_bytes]), True
        except zlib.error:
            raise WebFetchError(f"body is not valid {encoding}") from None
        return bytes(body), False
