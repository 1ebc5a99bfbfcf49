"""GraphQL over email: threads, every detail of a message, and reprocessing."""

from __future__ import annotations

import uuid
from email.message import EmailMessage

from sqlalchemy.ext.asyncio import AsyncSession

from tests.conftest import GraphQLClient, Tokens
from tests.platform.email.test_processing import mail, receive

MESSAGE = """query($id: ID!) { message(id: $id) { id state subject internetMessageId channel
  sender { address name } to cc newText quotedText defects isBulk senderAuthenticated
  senderInternal authentication { spf dkim dmarc source authenticated }
  headers { name value } parts { path contentType filename }
  attachments { filename contentType size sha256 inline }
  participants { role address person { name company { domain } } }
  conversation { id subject messageCount } } }"""
CONVERSATIONS = """query($filter: ConversationFilterInput) { conversations(first: 10,
  filter: $filter) { totalCount edges { node { id subject messageCount company { id domain }
  messages { subject sender { address } } } } } }"""
REPROCESS = """mutation($id: ID!) { reprocessMessage(id: $id) { message { id state }
  userErrors { field code message } } }"""


def with_attachment(tag: str) -> bytes:
    message = EmailMessage()
    message["From"] = f"Ana Lima <ana@{tag}.example>"
    message["To"] = "support@compound.localhost"
    message["Subject"] = f"Invoice {tag}"
    message["Message-ID"] = f"<invoice-{tag}@{tag}.example>"
    message.set_content("Please find the invoice attached.\n\n> old quoted line\n")
    message.add_attachment(
        b"%PDF-1.4 fake", maintype="application", subtype="pdf", filename="invoice.pdf"
    )
    return message.as_bytes()


async def test_a_message_shows_what_was_received_parsed_and_linked(
    graphql: GraphQLClient, session: AsyncSession
) -> None:
    tag = uuid.uuid4().hex[:6]
    message = await receive(session, with_attachment(tag))
    await session.commit()
    body = await graphql.execute(MESSAGE, {"id": str(message.id)})
    found = body["data"]["message"]
    assert found["state"] == "processed"
    assert found["internetMessageId"] == f"invoice-{tag}@{tag}.example"
    assert found["sender"] == {"address": f"ana@{tag}.example", "name": "Ana Lima"}
    assert found["to"] == ["support@compound.localhost"]
    assert found["newText"].startswith("Please find the invoice attached.")
    assert "old quoted line" in found["quotedText"]
    assert [a["filename"] for a in found["attachments"]] == ["invoice.pdf"]
    assert found["attachments"][0]["size"] == len(b"%PDF-1.4 fake")
    assert [p["contentType"] for p in found["parts"]][:1] == ["multipart/mixed"]
    assert any(p["filename"] == "invoice.pdf" for p in found["parts"])
    assert {"name": "Subject", "value": f"Invoice {tag}"} in found["headers"]
    assert found["authentication"] == {
        "spf": "unknown",
        "dkim": "unknown",
        "dmarc": "unknown",
        "source": "none",
        "authenticated": False,
    }
    sender = next(p for p in found["participants"] if p["role"] == "from")
    assert sender["person"] == {"name": "Ana Lima", "company": {"domain": f"{tag}.example"}}
    assert found["conversation"]["messageCount"] == 1


async def test_conversations_list_threads_with_filters(
    graphql: GraphQLClient, session: AsyncSession
) -> None:
    tag = uuid.uuid4().hex[:6]
    first = await receive(
        session,
        mail(sender=f"ana@{tag}.example", subject=f"Pilot {tag}", message_id=f"<p-{tag}@x>"),
    )
    await receive(
        session,
        mail(
            sender="sales@compound.localhost",
            to=f"ana@{tag}.example",
            subject=f"Re: Pilot {tag}",
            in_reply_to=f"<p-{tag}@x>",
        ),
    )
    await session.commit()
    body = await graphql.execute(CONVERSATIONS, {"filter": {"subjectContains": f"pilot {tag}"}})
    [edge] = body["data"]["conversations"]["edges"]
    thread = edge["node"]
    assert thread["id"] == str(first.conversation_id)
    assert thread["messageCount"] == 2
    assert thread["company"]["domain"] == f"{tag}.example"
    assert [m["subject"] for m in thread["messages"]] == [f"Pilot {tag}", f"Re: Pilot {tag}"]
    by_company = await graphql.execute(
        CONVERSATIONS, {"filter": {"companyId": thread["company"]["id"]}}
    )
    assert [e["node"]["id"] for e in by_company["data"]["conversations"]["edges"]] == [thread["id"]]
    bad = await graphql.execute(CONVERSATIONS, {"filter": {"personId": "nope"}})
    assert "personId" in bad["errors"][0]["message"]
    # `_` is a character, not a wildcard; NUL and a page of text are refused by name.
    assert (await graphql.execute(CONVERSATIONS, {"filter": {"subjectContains": f"pilot_{tag}"}}))[
        "data"
    ]["conversations"]["edges"] == []
    for hostile in ("pilot\x00", "x" * 10_000):
        refused = await graphql.execute(CONVERSATIONS, {"filter": {"subjectContains": hostile}})
        assert refused["data"] is None and "subjectContains" in refused["errors"][0]["message"]


async def test_reprocessing_needs_write_and_queues_the_message_again(
    graphql: GraphQLClient, session: AsyncSession, tokens: Tokens
) -> None:
    message = await receive(session, b"\x00\x01 garbage, not a message \xff")
    await session.commit()
    assert message.state == "unparseable"
    refused = await graphql.as_token(tokens.read_only).execute(REPROCESS, {"id": str(message.id)})
    assert "write" in refused["errors"][0]["message"]
    done = await graphql.execute(REPROCESS, {"id": str(message.id)})
    assert done["data"]["reprocessMessage"] == {
        "message": {"id": str(message.id), "state": "received"},
        "userErrors": [],
    }
    missing = await graphql.execute(REPROCESS, {"id": str(uuid.uuid4())})
    assert missing["data"]["reprocessMessage"]["userErrors"][0]["code"] == "NOT_FOUND"
