"""A local OpenAI-compatible HTTP server for tests: replays scripted responses to the real client.

Each request pops the next scripted response; with none left it answers with a
deterministic, well-formed default (an embedding, or a short assistant text). Requests
are kept so tests can assert what was sent.
"""

from __future__ import annotations

import hashlib
import json
import math
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Scripted:
    status: int = 200
    body: Any = None
    delay_seconds: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)
    raw: bytes | None = None
    """Sent as the body instead of `body` as JSON: for answers that are not JSON at all."""


@dataclass
class LLMServer:
    url: str
    script: list[Scripted] = field(default_factory=list)
    requests: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    responder: Callable[[str, dict[str, Any]], Scripted | None] | None = None
    """Answers a request the script has nothing for (path, body) → response or None."""

    def chat_requests(self) -> list[dict[str, Any]]:
        return [body for path, body in self.requests if path.endswith("/chat/completions")]


def gateway_settings(server: LLMServer, **overrides: Any) -> Any:
    """Settings that point the model gateway at this server, with fast retries and prices."""
    from pydantic import SecretStr

    from compound.platform.config import ModelPrice, Settings

    values: dict[str, Any] = {
        "openai_base_url": server.url,
        "openai_api_key": SecretStr("test-key"),
        "llm_retry_base_seconds": 0.01,
        "llm_timeout_seconds": 5.0,
        "llm_prices": {"fast-model": ModelPrice(input=1.0, output=2.0)},
        "llm_model_fast": "fast-model",
        "llm_model_smart": "smart-model",
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)


def _usage(prompt: int, completion: int) -> dict[str, int]:
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
    }


def _completion(
    message: dict[str, Any], finish_reason: str, prompt_tokens: int, completion_tokens: int
) -> Scripted:
    return Scripted(
        body={
            "id": "chatcmpl-test",
            "object": "chat.completion",
            "created": 0,
            "model": "scripted",
            "choices": [{"index": 0, "finish_reason": finish_reason, "message": message}],
            "usage": _usage(prompt_tokens, completion_tokens),
        }
    )


def chat_text(content: str, *, prompt_tokens: int = 100, completion_tokens: int = 20) -> Scripted:
    """An assistant answer with text (or JSON text, for structured output)."""
    return _completion(
        {"role": "assistant", "content": content}, "stop", prompt_tokens, completion_tokens
    )


def chat_json(value: Any, **tokens: int) -> Scripted:
    return chat_text(json.dumps(value), **tokens)


def chat_tool_calls(
    calls: Sequence[tuple[str, str | dict[str, Any]]],
    *,
    prompt_tokens: int = 120,
    completion_tokens: int = 30,
) -> Scripted:
    """An assistant answer calling tools; arguments given as a dict are sent as JSON text,
    as a string they are sent verbatim (to script malformed arguments)."""
    tool_calls = [
        {
            "id": f"call_{index}",
            "type": "function",
            "function": {
                "name": name,
                "arguments": arguments if isinstance(arguments, str) else json.dumps(arguments),
            },
        }
        for index, (name, arguments) in enumerate(calls)
    ]
    return _completion(
        {"role": "assistant", "content": None, "tool_calls": tool_calls},
        "tool_calls",
        prompt_tokens,
        completion_tokens,
    )


def rate_limited(retry_after: float = 0.0) -> Scripted:
    return Scripted(
        status=429,
        body={"error": {"message": "Rate limit reached", "type": "rate_limit_error"}},
        headers={"Retry-After": f"{retry_after:g}"},
    )


def hang(seconds: float) -> Scripted:
    """Answers only after `seconds`: longer than the client's timeout, it is a hang."""
    return Scripted(delay_seconds=seconds, body=chat_text("too late").body)


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


def _default_body(path: str, request: dict[str, Any]) -> Any:
    if path.endswith("/chat/completions"):
        return chat_text("ok").body
    return _default_embeddings(request)


class _Server(ThreadingHTTPServer):
    # A scripted hang must not hold up the test's teardown.
    daemon_threads = True


@contextmanager
def running_llm_server() -> Iterator[LLMServer]:
    state = LLMServer(url="")
    lock = threading.Lock()
    stopping = threading.Event()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            request = json.loads(self.rfile.read(length) or b"{}")
            with lock:
                state.requests.append((self.path, request))
                scripted = state.script.pop(0) if state.script else None
            if scripted is None and state.responder is not None:
                scripted = state.responder(self.path, request)
            if (
                scripted is not None
                and scripted.delay_seconds
                and stopping.wait(scripted.delay_seconds)
            ):
                return  # the server is stopping: the hang ends with no answer
            if scripted is None:
                scripted = Scripted()
            if scripted.raw is not None:
                payload = scripted.raw
            else:
                body = scripted.body
                if body is None:
                    body = _default_body(self.path, request)
                payload = json.dumps(body).encode()
            try:
                self.send_response(scripted.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                for name, value in scripted.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(payload)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (a timeout test); nothing to answer

    server = _Server(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        stopping.set()
        server.shutdown()
        server.server_close()
