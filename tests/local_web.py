"""Real local web servers for the web fetcher's tests: one site per listening address, each
answering scripted pages by path and remembering every request (path, Host header, TLS
server name), and resolvers a test controls — among them one that rebinds."""

from __future__ import annotations

import shlex
import ssl
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any


@dataclass
class Page:
    body: bytes = b""
    status: int = 200
    content_type: str = "text/html; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    """Seconds before the response starts."""


@dataclass(frozen=True)
class Seen:
    """One request as the server saw it."""

    path: str
    host_header: str
    server_name: str | None
    """The TLS SNI the client sent; None over plain HTTP."""


@dataclass
class Site:
    """A server on one address: `pages` by path, `requests` as they came."""

    address: str
    port: int
    pages: dict[str, Page] = field(default_factory=dict)
    requests: list[Seen] = field(default_factory=list)

    @property
    def paths(self) -> list[str]:
        return [seen.path for seen in self.requests]


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass


def _handler(site: Site, server_names: dict[int, str | None]) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            server_name = server_names.get(id(self.connection))
            site.requests.append(Seen(self.path, self.headers.get("Host", ""), server_name))
            page = site.pages.get(self.path, Page(b"not found", 404, "text/plain"))
            time.sleep(page.delay)
            try:
                self.send_response(page.status)
                self.send_header("Content-Type", page.content_type)
                self.send_header("Content-Length", str(len(page.body)))
                for name, value in page.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(page.body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client stopped reading: the point of the size tests

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@contextmanager
def serve(
    address: str = "127.0.0.1", port: int = 0, *, tls: ssl.SSLContext | None = None
) -> Iterator[Site]:
    """A site listening on `address` (any of 127.0.0.0/8 on Linux) until the block ends."""
    site = Site(address, port)
    server_names: dict[int, str | None] = {}
    httpd = _QuietServer((address, port), _handler(site, server_names))
    if tls is not None:

        def remember(connection: ssl.SSLObject | ssl.SSLSocket, name: str | None, _: Any) -> None:
            server_names[id(connection)] = name

        tls.sni_callback = remember  # type: ignore[assignment]
        httpd.socket = tls.wrap_socket(httpd.socket, server_side=True)
    site.port = httpd.server_address[1]
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield site
    finally:
        httpd.shutdown()
        httpd.server_close()


def html(title: str, body: str = "<p>Welcome.</p>") -> bytes:
    return f"<!doctype html><html><head><title>{title}</title></head><body>{body}</body></html>".encode()


# --- resolvers a test controls ------------------------------------------------------------


@dataclass
class FixedResolver:
    """Answers each name from `answers`; an unknown name is an unknown host."""

    answers: dict[str, Sequence[str]]
    asked: Counter[str] = field(default_factory=Counter)

    async def __call__(self, host: str, port: int) -> list[str]:
        self.asked[host] += 1
        if host not in self.answers:
            raise OSError(f"[Errno -2] Name or service not known: {host}")
        return list(self.answers[host])


@dataclass
class RebindingResolver:
    """A DNS rebinding attacker's resolver: the first answer for a name is `first` (an
    address the policy accepts), every later one `then` (a local address)."""

    first: str
    then: str
    asked: Counter[str] = field(default_factory=Counter)

    async def __call__(self, host: str, port: int) -> list[str]:
        self.asked[host] += 1
        return [self.first if self.asked[host] == 1 else self.then]


# --- TLS ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Certificates:
    authority: Path
    """The test CA's certificate: what a client trusts."""
    certificate: Path
    key: Path

    def server_context(self) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.certificate, self.key)
        return context

    def client_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.authority))


def make_certificates(folder: Path, host_name: str) -> Certificates:
    """A throwaway CA and a server certificate for `host_name`, signed by it (openssl)."""

    def openssl(command: str) -> None:
        subprocess.run(
            ["openssl", *shlex.split(command)], check=True, capture_output=True, cwd=folder
        )

    key = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes"
    openssl(f"req -x509 -days 1 {key} -subj '/CN=Test CA' -keyout ca.key -out ca.pem")
    openssl(f"req {key} -subj '/CN={host_name}' -keyout site.key -out site.csr")
    (folder / "site.ext").write_text(
        f"subjectAltName=DNS:{host_name}\nbasicConstraints=critical,CA:FALSE\n"
        "keyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n"
        "authorityKeyIdentifier=keyid\nsubjectKeyIdentifier=hash\n"
    )
    openssl(
        "x509 -req -in site.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 1 "
        "-extfile site.ext -out site.pem"
    )
    return Certificates(folder / "ca.pem", folder / "site.pem", folder / "site.key")
