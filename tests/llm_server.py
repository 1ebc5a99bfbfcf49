"""A local OpenAI-compatible HTTP server for tests: replays scripted responses to the real client.

Each request pops the next scripted response; with none left it answers with a
deterministic, well-formed default. Requests are kept so tests can assert what was sent.
"""

from __future__ import annotations

import hashlib
import json
import math
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Scripted:
    status: int = 200
    body: Any = None
    delay_seconds: float = 0.0


@dataclass
class LLMServer:
    url: str
    script: list[Scripted] = field(default_factory=list)
    requests: list[tuple[str, dict[str, Any]]] = field(default_factory=list)


def _vector(text: str, dimensions: int) -> list[float]:
    digest = hashlib.sha256(text.encode()).digest()
    raw = [digest[i % len(digest)] - 127.5 for i in range(dimensions)]
    norm = math.sqrt(sum(x * x for x in raw)) or 1.0
    return [x / norm for x in raw]


def _default_embeddings(request: dict[str, Any]) -> dict[str, Any]:
    inputs = request.get("input", [])
    texts = [inputs] if isinstance(inputs, str) else list(inputs)
    dimensions = int(request.get("dimensions") or 1536)
    return {
        "object": "list",
        "model": request.get("model", "test"),
        "data": [
            {"object": "embedding", "index": i, "embedding": _vector(t, dimensions)}
            for i, t in enumerate(texts)
        ],
        "usage": {"prompt_tokens": len(texts), "total_tokens": len(texts)},
    }


@contextmanager
def running_llm_server() -> Iterator[LLMServer]:
    state = LLMServer(url="")
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            request = json.loads(self.rfile.read(length) or b"{}")
            with lock:
                state.requests.append((self.path, request))
                scripted = state.script.pop(0) if state.script else None
            if scripted is not None and scripted.delay_seconds:
                threading.Event().wait(scripted.delay_seconds)
            if scripted is None or scripted.body is None:
                status, body = (scripted.status if scripted else 200), _default_embeddings(request)
            else:
                status, body = scripted.status, scripted.body
            payload = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
