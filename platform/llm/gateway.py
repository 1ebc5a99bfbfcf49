"""The one way to call a chat model: tiers mapped to models, retries, a hard timeout, and a
record of every attempt's tokens, cost, latency and outcome."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import random
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from openai import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AsyncOpenAI,
    OpenAIError,
    RateLimitError,
)

from compound.platform.config import ModelPrice, Settings
from compound.platform.errors import ServiceUnavailable
from compound.platform.llm.endpoint import openai_client

_MAX_BACKOFF_SECONDS = 30.0
_MAX_RETRY_AFTER_SECONDS = 60.0


class Tier(StrEnum):
    """How much model an agent asks for; the router maps a tier to a model name."""

    FAST = "fast"
    SMART = "smart"


class CallOutcome(StrEnum):
    OK = "ok"
    RATE_LIMITED = "rate_limited"
    SERVER_ERROR = "server_error"
    TIMEOUT = "timeout"
    CONNECTION_ERROR = "connection_error"
    REJECTED = "rejected"
    MALFORMED = "malformed"


class ModelCallFailed(ServiceUnavailable):
    """A model call that did not produce a usable answer after its attempts."""

    code = "MODEL_CALL_FAILED"

    def __init__(self, message: str, *, outcome: CallOutcome) -> None:
        super().__init__(message)
        self.outcome = outcome


@dataclass(frozen=True)
class ToolSpec:
    """A function the model may call; `parameters` is the arguments' JSON schema."""

    name: str
    description: str
    parameters: Mapping[str, Any]

    def as_openai(self) -> dict[str, Any]:
        return {
            "type": "function",
            "function": {
                "name": self.name,
                "description": self.description,
                "parameters": dict(self.parameters),
            },
        }


@dataclass(frozen=True)
class ToolCall:
    """A call the model asked for; `arguments` is the raw JSON text, not yet trusted."""

    id: str
    name: str
    arguments: str


@dataclass(frozen=True)
class OutputSchema:
    """A JSON schema the answer must follow (structured outputs)."""

    name: str
    schema: Mapping[str, Any]


@dataclass(frozen=True)
class CallRecord:
    """One attempt at a model call, as the gateway saw it."""

    model: str
    tier: Tier
    outcome: CallOutcome
    latency_ms: float
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    error: str | None = None


@dataclass(frozen=True)
class Completion:
    """The model's answer: text (or JSON text for structured output) and/or tool calls."""

    model: str
    tier: Tier
    content: str | None
    tool_calls: tuple[ToolCall, ...]
    finish_reason: str | None
    prompt_tokens: int
    completion_tokens: int
    cost_usd: float
    latency_ms: float
    attempts: tuple[CallRecord, ...] = field(default=())

    def assistant_message(self) -> dict[str, Any]:
        """This answer as the assistant turn to send back in the next call's messages."""
        message: dict[str, Any] = {"role": "assistant", "content": self.content}
        if self.tool_calls:
            message["tool_calls"] = [
                {
                    "id": call.id,
                    "type": "function",
                    "function": {"name": call.name, "arguments": call.arguments},
                }
                for call in self.tool_calls
            ]
        return message


CallRecorder = Callable[[CallRecord], Awaitable[None]]


def cost_of(prices: Mapping[str, ModelPrice], model: str, prompt: int, completion: int) -> float:
    """USD for one call; a model missing from the price table costs 0 (and is visible as such)."""
    price = prices.get(model)
    if price is None:
        return 0.0
    return (prompt * price.input + completion * price.output) / 1_000_000


def endpoint_configured(settings: Settings) -> bool:
    """Whether agents reach a model: a base URL, or a key alone (then OpenAI's own API).
    Without either, every agent runs its offline engine."""
    return bool(settings.openai_base_url or settings.openai_api_key)


class ModelGateway:
    """Chat completions through the `openai` client against any OpenAI-compatible endpoint."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._client: AsyncOpenAI | None = None
        if endpoint_configured(settings):
            key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else "none"
            # Retries are ours (below) so each attempt is timed, priced and recorded.
            self._client = openai_client(
                settings.openai_base_url,
                key,
                timeout=settings.llm_timeout_seconds,
                max_retries=0,
            )

    @property
    def available(self) -> bool:
        """Whether a model endpoint is configured; without one agents run offline engines."""
        return self._client is not None

    def model_for(self, tier: Tier, overrides: Mapping[Tier, str] | None = None) -> str:
        if overrides and tier in overrides:
            return overrides[tier]
        if tier is Tier.SMART:
            return self._settings.llm_model_smart
        return self._settings.llm_model_fast

    async def close(self) -> None:
        if self._client is not None:
            await self._client.close()

    async def complete(
        self,
        *,
        tier: Tier,
        messages: Sequence[Mapping[str, Any]],
        tools: Sequence[ToolSpec] = (),
        output: OutputSchema | None = None,
        models: Mapping[Tier, str] | None = None,
        record: CallRecorder | None = None,
    ) -> Completion:
        """Ask the tier's model; retry 429/5xx/timeouts with backoff; record every attempt."""
        if self._client is None:
            raise ModelCallFailed(
                "no model endpoint is configured (COMPOUND_OPENAI_BASE_URL)",
                outcome=CallOutcome.CONNECTION_ERROR,
            )
        model = self.model_for(tier, models)
        request: dict[str, Any] = {"model": model, "messages": [dict(m) for m in messages]}
        if tools:
            request["tools"] = [tool.as_openai() for tool in tools]
        if output is not None:
            request["response_format"] = {
                "type": "json_schema",
                "json_schema": {"name": output.name, "schema": dict(output.schema)},
            }
        attempts: list[CallRecord] = []
        for attempt in range(1, self._settings.llm_max_attempts + 1):
            started = time.perf_counter()
            try:
                completion = await self._attempt(request, model, tier, started)
            except _RetryableFailure as failure:
                attempts.append(failure.record)
                if record is not None:
                    await record(failure.record)
                if attempt == self._settings.llm_max_attempts:
                    raise ModelCallFailed(
                        f"model {model} failed {attempt} times; last: {failure.record.error}",
                        outcome=failure.record.outcome,
                    ) from None
                await asyncio.sleep(self._backoff(attempt, failure.retry_after))
                continue
            except ModelCallFailed as failure:
                rejected = CallRecord(
                    model=model,
                    tier=tier,
                    outcome=failure.outcome,
                    latency_ms=_elapsed_ms(started),
                    error=failure.message,
                )
                if record is not None:
                    await record(rejected)
                raise
            success = CallRecord(
                model=model,
                tier=tier,
                outcome=CallOutcome.OK,
                latency_ms=completion.latency_ms,
                prompt_tokens=completion.prompt_tokens,
                completion_tokens=completion.completion_tokens,
                cost_usd=completion.cost_usd,
            )
            if record is not None:
                await record(success)
            return _with_attempts(completion, (*attempts, success))
        raise AssertionError("unreachable: the loop returns or raises")

    def _backoff(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return min(retry_after, _MAX_RETRY_AFTER_SECONDS)
        base = self._settings.llm_retry_base_seconds * 2.0 ** (attempt - 1)
        # Full jitter: many runs hitting one rate limit should not retry in lockstep.
        jitter: float = random.uniform(0.5, 1.0)  # noqa: S311 — jitter, not secrecy
        return min(_MAX_BACKOFF_SECONDS, base) * jitter

    async def _attempt(
        self, request: dict[str, Any], model: str, tier: Tier, started: float
    ) -> Completion:
        response = await self._send(request, model, tier, started)
        return _completion(
            response,
            model=model,
            tier=tier,
            latency_ms=_elapsed_ms(started),
            prices=self._settings.llm_prices,
        )

    async def _send(self, request: dict[str, Any], model: str, tier: Tier, started: float) -> Any:
        """The endpoint's response; a failure raised as _RetryableFailure or ModelCallFailed."""
        assert self._client is not None
        try:
            # The client's own timeout covers each read; wait_for bounds the whole call,
            # so a server that trickles bytes cannot hold a run forever.
            return await asyncio.wait_for(
                self._client.chat.completions.create(**request),
                timeout=self._settings.llm_timeout_seconds,
            )
        except (TimeoutError, APITimeoutError):
            raise _RetryableFailure(
                model,
                tier,
                CallOutcome.TIMEOUT,
                started,
                f"no answer within {self._settings.llm_timeout_seconds:g} s",
            ) from None
        except RateLimitError as error:
            raise _RetryableFailure(
                model,
                tier,
                CallOutcome.RATE_LIMITED,
                started,
                _status_text(error),
                retry_after=_retry_after(error.response),
            ) from None
        except APIStatusError as error:
            if error.status_code >= 500 or error.status_code in (408, 409):
                raise _RetryableFailure(
                    model, tier, CallOutcome.SERVER_ERROR, started, _status_text(error)
                ) from None
            raise ModelCallFailed(
                f"model {model} refused the request: {_status_text(error)}",
                outcome=CallOutcome.REJECTED,
            ) from None
        except APIConnectionError as error:
            raise _RetryableFailure(
                model, tier, CallOutcome.CONNECTION_ERROR, started, str(error)
            ) from None
        except (OpenAIError, ValueError, TypeError, KeyError, json.JSONDecodeError) as error:
            raise ModelCallFailed(
                f"model {model} sent an unreadable answer: {type(error).__name__}: {error}",
                outcome=CallOutcome.MALFORMED,
            ) from None


class _RetryableFailure(Exception):
    def __init__(
        self,
        model: str,
        tier: Tier,
        outcome: CallOutcome,
        started: float,
        error: str,
        *,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(error)
        self.record = CallRecord(
            model=model, tier=tier, outcome=outcome, latency_ms=_elapsed_ms(started), error=error
        )
        self.retry_after = retry_after


def _elapsed_ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000


def _status_text(error: APIStatusError) -> str:
    return f"HTTP {error.status_code}: {str(error.message)[:300]}"


def _retry_after(response: Any) -> float | None:
    value = response.headers.get("retry-after")
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None


def _completion(
    response: Any,
    *,
    model: str,
    tier: Tier,
    latency_ms: float,
    prices: Mapping[str, ModelPrice],
) -> Completion:
    """The answer in a chat completion response; ModelCallFailed if it has no usable choice."""
    try:
        choice = response.choices[0]
        message = choice.message
        tool_calls = tuple(
            ToolCall(
                id=call.id or f"call_{index}",
                name=call.function.name,
                arguments=call.function.arguments or "",
            )
            for index, call in enumerate(message.tool_calls or [])
            if getattr(call, "function", None) is not None
        )
        usage = response.usage
        prompt_tokens = int(usage.prompt_tokens or 0) if usage else 0
        completion_tokens = int(usage.completion_tokens or 0) if usage else 0
        content = message.content if isinstance(message.content, str) else None
        finish_reason = choice.finish_reason
    except (AttributeError, IndexError, TypeError, ValueError) as error:
        raise ModelCallFailed(
            f"model {model} sent an answer without a usable choice: {error}",
            outcome=CallOutcome.MALFORMED,
        ) from None
    return Completion(
        model=model,
        tier=tier,
        content=content,
        tool_calls=tool_calls,
        finish_reason=finish_reason,
        prompt_tokens=prompt_tokens,
        completion_tokens=completion_tokens,
        cost_usd=cost_of(prices, model, prompt_tokens, completion_tokens),
        latency_ms=latency_ms,
    )


def _with_attempts(completion: Completion, attempts: tuple[CallRecord, ...]) -> Completion:
    return dataclasses.replace(completion, attempts=attempts)
