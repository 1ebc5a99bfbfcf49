"""The model gateway: the real openai client against the local scripted server."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from pydantic import SecretStr

from compound.platform.config import Settings
from compound.platform.llm.gateway import (
    CallOutcome,
    CallRecord,
    ModelCallFailed,
    ModelGateway,
    OutputSchema,
    Tier,
    ToolSpec,
)
from tests.llm_server import (
    LLMServer,
    Scripted,
    chat_json,
    chat_text,
    chat_tool_calls,
    gateway_settings,
    hang,
    rate_limited,
    running_llm_server,
)

MESSAGES = [{"role": "user", "content": "hello"}]


def gateway_for(server: LLMServer, **overrides: Any) -> ModelGateway:
    return ModelGateway(gateway_settings(server, **overrides))


class Recorder:
    def __init__(self) -> None:
        self.records: list[CallRecord] = []

    async def __call__(self, record: CallRecord) -> None:
        self.records.append(record)


async def test_text_answer_is_priced_and_recorded() -> None:
    recorder = Recorder()
    with running_llm_server() as server:
        server.script.append(chat_text("hi there", prompt_tokens=1000, completion_tokens=500))
        completion = await gateway_for(server).complete(
            tier=Tier.FAST, messages=MESSAGES, record=recorder
        )
    assert completion.content == "hi there"
    assert completion.model == "fast-model"
    assert (completion.prompt_tokens, completion.completion_tokens) == (1000, 500)
    assert completion.cost_usd == pytest.approx((1000 * 1.0 + 500 * 2.0) / 1_000_000)
    assert [r.outcome for r in recorder.records] == [CallOutcome.OK]
    assert recorder.records[0].cost_usd == completion.cost_usd
    assert server.chat_requests()[0]["model"] == "fast-model"


async def test_tier_and_agent_override_pick_the_model() -> None:
    with running_llm_server() as server:
        gateway = gateway_for(server)
        await gateway.complete(tier=Tier.SMART, messages=MESSAGES)
        await gateway.complete(tier=Tier.FAST, messages=MESSAGES, models={Tier.FAST: "tiny"})
    assert [r["model"] for r in server.chat_requests()] == ["smart-model", "tiny"]


async def test_unpriced_model_costs_nothing_but_keeps_tokens() -> None:
    with running_llm_server() as server:
        completion = await gateway_for(server).complete(tier=Tier.SMART, messages=MESSAGES)
    assert completion.cost_usd == 0.0
    assert completion.prompt_tokens == 100


async def test_tools_and_output_schema_are_sent_and_tool_calls_parsed() -> None:
    tool = ToolSpec(
        name="find_company",
        description="Find a company",
        parameters={"type": "object", "properties": {"name": {"type": "string"}}},
    )
    schema = OutputSchema(name="verdict", schema={"type": "object", "properties": {}})
    with running_llm_server() as server:
        server.script.append(chat_tool_calls([("find_company", {"name": "Acme"})]))
        completion = await gateway_for(server).complete(
            tier=Tier.FAST, messages=MESSAGES, tools=[tool], output=schema
        )
    sent = server.chat_requests()[0]
    assert sent["tools"][0]["function"]["name"] == "find_company"
    assert sent["response_format"]["json_schema"]["name"] == "verdict"
    assert [(c.name, json.loads(c.arguments)) for c in completion.tool_calls] == [
        ("find_company", {"name": "Acme"})
    ]
    assert completion.assistant_message()["tool_calls"][0]["function"]["name"] == "find_company"


async def test_malformed_tool_arguments_are_passed_through_raw() -> None:
    # Validating arguments is the runtime's job; the gateway must not choke on them.
    with running_llm_server() as server:
        server.script.append(chat_tool_calls([("find_company", "{not json")]))
        completion = await gateway_for(server).complete(tier=Tier.FAST, messages=MESSAGES)
    assert completion.tool_calls[0].arguments == "{not json"


async def test_429_then_success_is_retried_and_both_attempts_recorded() -> None:
    recorder = Recorder()
    with running_llm_server() as server:
        server.script += [rate_limited(0.05), chat_json({"ok": True})]
        completion = await gateway_for(server).complete(
            tier=Tier.FAST, messages=MESSAGES, record=recorder
        )
    assert json.loads(completion.content or "") == {"ok": True}
    assert [r.outcome for r in recorder.records] == [CallOutcome.RATE_LIMITED, CallOutcome.OK]
    assert len(completion.attempts) == 2
    assert "429" in (recorder.records[0].error or "")


async def test_server_errors_until_attempts_run_out_fail_cleanly() -> None:
    recorder = Recorder()
    with running_llm_server() as server:
        server.script += [Scripted(status=503, body={"error": {"message": "overloaded"}})] * 3
        with pytest.raises(ModelCallFailed) as failure:
            await gateway_for(server, llm_max_attempts=3).complete(
                tier=Tier.FAST, messages=MESSAGES, record=recorder
            )
    assert failure.value.outcome is CallOutcome.SERVER_ERROR
    assert "failed 3 times" in failure.value.message
    assert len(recorder.records) == 3


async def test_a_hang_past_the_timeout_is_abandoned_then_retried() -> None:
    recorder = Recorder()
    with running_llm_server() as server:
        server.script += [hang(30), chat_text("second try")]
        started = time.perf_counter()
        completion = await gateway_for(server, llm_timeout_seconds=0.5).complete(
            tier=Tier.FAST, messages=MESSAGES, record=recorder
        )
        elapsed = time.perf_counter() - started
    assert completion.content == "second try"
    assert [r.outcome for r in recorder.records] == [CallOutcome.TIMEOUT, CallOutcome.OK]
    assert elapsed < 5


async def test_a_hang_on_every_attempt_raises_a_timeout() -> None:
    with running_llm_server() as server:
        server.script += [hang(30)] * 2
        with pytest.raises(ModelCallFailed) as failure:
            await gateway_for(server, llm_timeout_seconds=0.3, llm_max_attempts=2).complete(
                tier=Tier.FAST, messages=MESSAGES
            )
    assert failure.value.outcome is CallOutcome.TIMEOUT


async def test_a_client_error_is_not_retried() -> None:
    recorder = Recorder()
    with running_llm_server() as server:
        server.script.append(Scripted(status=400, body={"error": {"message": "bad schema"}}))
        with pytest.raises(ModelCallFailed) as failure:
            await gateway_for(server).complete(tier=Tier.FAST, messages=MESSAGES, record=recorder)
    assert failure.value.outcome is CallOutcome.REJECTED
    assert "bad schema" in failure.value.message
    assert len(server.chat_requests()) == 1
    assert [r.outcome for r in recorder.records] == [CallOutcome.REJECTED]


@pytest.mark.parametrize(
    "scripted",
    [
        Scripted(raw=b"<html>502 Bad Gateway</html>"),
        Scripted(body={"choices": []}),
        Scripted(body={"id": "x", "choices": [{"index": 0}]}),
        Scripted(body=["not", "an", "object"]),
    ],
    ids=["not-json", "no-choices", "choice-without-message", "array"],
)
async def test_unreadable_answers_are_malformed_not_crashes(scripted: Scripted) -> None:
    with running_llm_server() as server:
        server.script.append(scripted)
        with pytest.raises(ModelCallFailed) as failure:
            await gateway_for(server).complete(tier=Tier.FAST, messages=MESSAGES)
    assert failure.value.outcome is CallOutcome.MALFORMED


async def test_without_an_endpoint_the_gateway_is_unavailable() -> None:
    gateway = ModelGateway(Settings(openai_base_url=None, openai_api_key=None))
    assert not gateway.available
    with pytest.raises(ModelCallFailed):
        await gateway.complete(tier=Tier.FAST, messages=MESSAGES)


async def test_an_endpoint_that_is_down_is_a_connection_error() -> None:
    gateway = ModelGateway(
        Settings(
            openai_base_url="http://127.0.0.1:9/v1",
            openai_api_key=SecretStr("k"),
            llm_retry_base_seconds=0.0,
            llm_max_attempts=2,
        )
    )
    with pytest.raises(ModelCallFailed) as failure:
        await gateway.complete(tier=Tier.FAST, messages=MESSAGES)
    assert failure.value.outcome is CallOutcome.CONNECTION_ERROR
