"""The endpoint's base URL as the openai client gets it: a key in its query reaches the
server on every request, at the right path."""

from __future__ import annotations

from compound.platform.llm.endpoint import split_query
from compound.platform.llm.gateway import ModelGateway, Tier
from tests.llm_server import chat_text, gateway_settings, running_llm_server


def test_the_query_is_split_off_the_base_url() -> None:
    assert split_query("https://gw.example/v1?api-key=k&api-version=2024#x") == (
        "https://gw.example/v1",
        {"api-key": "k", "api-version": "2024"},
    )
    assert split_query("http://u:p@127.0.0.1:8/v1") == ("http://u:p@127.0.0.1:8/v1", {})


async def test_a_key_in_the_base_urls_query_is_sent_with_every_request() -> None:
    with running_llm_server() as server:
        server.script.append(chat_text("hi"))
        settings = gateway_settings(server, openai_base_url=f"{server.url}?api-key=k%26ey")
        gateway = ModelGateway(settings)
        try:
            completion = await gateway.complete(
                tier=Tier.FAST, messages=[{"role": "user", "content": "hello"}]
            )
        finally:
            await gateway.close()
    assert completion.content == "hi"
    # Before, the client glued the path onto the query: /v1/?api-key=kchat/completions.
    assert [path for path, _ in server.requests] == ["/v1/chat/completions?api-key=k%26ey"]
