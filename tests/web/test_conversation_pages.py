"""The Conversations pages over ASGI on the real database, with real mail taken in through the
ingest and processing path: the list (filter, person and company scopes, cursor paging), a
thread (text, quoted text, attachments, sender checks, parse defects, triage, links), the
MIME structure, reprocessing (CSRF, viewers), hostile mail escaped, unknown and garbage ids."""

from __future__ import annotations

import html
import re
import uuid
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import format_datetime

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from compound.platform.email.ingest import Envelope
from compound.platform.email.models import Attachment, Channel, Conversation, Message
from compound.platform.queue.models import Job
from tests.agent_driver import drive
from tests.conftest import REPOSITORY_ROOT
from tests.platform.email.test_processing import mail, receive
from tests.web.test_pages import signed_in

STALWART = REPOSITORY_ROOT.parent / "shared" / "corpora" / "email" / "stalwart"
OUR_CORPUS = REPOSITORY_ROOT / "tests" / "corpora" / "email"


def subjects_in(page: str) -> list[str]:
    return [
        html.unescape(subject)
        for subject in re.findall(r'<a href="/conversations/[0-9a-f-]{36}">([^<]*)</a>', page)
    ]


def dated(raw: bytes, hours_ago: float) -> bytes:
    """The message with its Date header moved back (Date headers have whole seconds: two
    threads written in one second would tie)."""
    message = message_from_bytes(raw, policy=policy.default)
    message.replace_header("Date", format_datetime(datetime.now(UTC) - timedelta(hours=hours_ago)))
    return message.as_bytes()


async def thread_of(
    session: AsyncSession, tag: str, *, replies: int = 0, hours_ago: float = 0
) -> list[Message]:
    """A thread from a customer at `<tag>.example`, with `replies` answers from us."""
    first = await receive(
        session,
        dated(
            mail(
                sender=f"Ana Lima <ana@{tag}.example>",
                subject=f"Pilot {tag}",
                message_id=f"<pilot-{tag}@{tag}.example>",
                body=f"Could we run a pilot with 40 robots? ({tag})",
            ),
            hours_ago,
        ),
    )
    thread = [first]
    for index in range(replies):
        thread.append(
            await receive(
                session,
                mail(
                    sender="Sam Seller <sam@compound.localhost>",
                    to=f"ana@{tag}.example",
                    subject=f"Re: Pilot {tag}",
                    in_reply_to=f"<pilot-{tag}@{tag}.example>",
                    message_id=f"<reply-{index}-{tag}@compound.localhost>",
                    body=f"Yes, next week works.\n\n> Could we run a pilot ({tag})?\n",
                ),
            )
        )
    await session.commit()
    return thread


async def test_the_pages_send_a_stranger_to_sign_in(web_client: httpx.AsyncClient) -> None:
    thread = f"/conversations/{uuid.uuid4()}"
    for path in ("/conversations", thread):
        response = await web_client.get(path)
        assert response.status_code == 303
        assert response.headers["location"].startswith("/sign-in?next=")
    posted = await web_client.post(f"{thread}/messages/{uuid.uuid4()}/reprocess", data={})
    assert posted.status_code == 303
    assert posted.headers["location"].startswith("/sign-in?next=")


async def test_the_list_shows_threads_newest_first_with_participants_and_company(
    web_client: httpx.AsyncClient, session: AsyncSession
) -> None:
    tag = uuid.uuid4().hex[:8]
    older = await thread_of(session, f"older{tag}", hours_ago=1)
    newer = await thread_of(session, f"newer{tag}", replies=2)
    await signed_in(web_client, "viewer")

    page = await web_client.get("/conversations", params={"q": tag})
    assert page.status_code == 200
    assert 'aria-current="page">Conversations' in page.text
    assert "2 conversations" in page.text
    assert subjects_in(page.text) == [f"Pilot newer{tag}", f"Pilot older{tag}"]
    row = page.text.split(f"Pilot newer{tag}</a>")[1].split("</tr>")[0]
    assert "Ana Lima" in row and "sam@compound.localhost" in row
    assert '<td class="number">3</td>' in row
    conversation = await session.get(Conversation, newer[0].conversation_id)
    assert conversation is not None and conversation.company_id is not None
    assert f'<a href="/companies/{conversation.company_id}">' in row
    assert older[0].conversation_id != newer[0].conversation_id


async def test_the_filter_finds_a_participant_not_in_the_subject_and_scopes_by_person(
    web_client: httpx.AsyncClient, session: AsyncSession
) -> None:
    tag = uuid.uuid4().hex[:8]
    [message] = await thread_of(session, tag)
    await thread_of(session, f"other{uuid.uuid4().hex[:8]}")
    await signed_in(web_client, "member")

    by_address = await web_client.get("/conversations", params={"q": f"ANA@{tag}.EXAMPLE"})
    assert subjects_in(by_address.text) == [f"Pilot {tag}"]
    nothing = await web_client.get("/conversations", params={"q": f"50%_{tag}"})
    assert subjects_in(nothing.text) == []
    assert f"No conversations with “50%_{tag}” in their subject or participants" in nothing.text

    thread = await web_client.get(f"/conversations/{message.conversation_id}")
    person_link = re.search(r'href="/people/([0-9a-f-]{36})"', thread.text)
    company_link = re.search(r'href="/companies/([0-9a-f-]{36})"', thread.text)
    assert person_link is not None and company_link is not None
    scoped = await web_client.get("/conversations", params={"person": person_link.group(1)})
    assert scoped.status_code == 200
    assert subjects_in(scoped.text) == [f"Pilot {tag}"]
    assert "Conversations with Ana Lima" in scoped.text
    by_company = await web_client.get("/conversations", params={"company": company_link.group(1)})
    assert subjects_in(by_company.text) == [f"Pilot {tag}"]

    # The person and company pages lead here.
    person_page = await web_client.get(f"/people/{person_link.group(1)}")
    assert f'href="/conversations?person={person_link.group(1)}"' in person_page.text
    company_page = await web_client.get(f"/companies/{company_link.group(1)}")
    assert f'href="/conversations/{message.conversation_id}"' in company_page.text


async def test_bad_filters_and_cursors_are_a_400_with_a_message(
    web_client: httpx.AsyncClient,
) -> None:
    await signed_in(web_client, "member")
    cases = [
        ({"after": "not-a-cursor"}, "invalid cursor"),
        ({"person": "not-an-id"}, "person: not a valid id"),
        ({"company": "1" * 150}, "company: not a valid id"),
        ({"q": "x" * 300}, "the limit is 200"),
        ({"q": "nul\x00inside"}, "control character U+0000"),
    ]
    for params, problem in cases:
        response = await web_client.get("/conversations", params=params)
        assert response.status_code == 400, params
        assert problem in html.unescape(response.text), params


async def test_the_list_pages_with_a_cursor(
    web_client: httpx.AsyncClient, session: AsyncSession
) -> None:
    tag = uuid.uuid4().hex[:8]
    for index in range(52):
        await receive(session, mail(subject=f"Batch {tag} {index:02d}", message_id=None))
    await session.commit()
    await signed_in(web_client, "viewer")
    first = await web_client.get("/conversations", params={"q": f"batch {tag}"})
    assert "52 conversations" in first.text
    assert len(subjects_in(first.text)) == 50
    match = re.search(r'href="(/conversations\?[^"]+)" rel="next"', first.text)
    assert match is not None
    second = await web_client.get(html.unescape(match.group(1)))
    assert second.status_code == 200
    assert len(subjects_in(second.text)) == 2
    assert not set(subjects_in(first.text)) & set(subjects_in(second.text))
    assert 'rel="next"' not in second.text


async def test_a_real_thread_shows_text_quotes_attachments_defects_and_sender_checks(
    web_client: httpx.AsyncClient, session: AsyncSession
) -> None:
    # Third-party mail: a reply with three attached messages, a broken multipart and
    # Authentication-Results from a server that is not ours (so not believed).
    proxmox = await receive(session, (STALWART / "thirdparty" / "015.eml").read_bytes())
    quoted = await receive(session, (OUR_CORPUS / "044-reply-gmail-quoted.eml").read_bytes())
    await session.commit()
    await signed_in(web_client, "member")

    page = await web_client.get(f"/conversations/{proxmox.conversation_id}")
    assert page.status_code == 200
    text = html.unescape(page.text)
    assert "Re: (#5290765) Proxmox Shop E-Mails" in text
    assert "jsterr@proxforge.de" in text
    for name in ("training-mail.txt", "office-reply.txt", "shop-mail.txt"):
        assert name in text
    assert "Parse defects" in text
    assert "multipart/alternative part: start boundary not found" in text
    # gmx.net's header says dkim=pass; it is not our relay's, so nothing is believed.
    assert "DKIM: unknown" in text and "DKIM: pass" not in text
    assert "sender not authenticated" in text
    # Each attachment links to its download, in this thread.
    assert text.count(f'href="/conversations/{proxmox.conversation_id}/attachments/') == 3

    reply = html.unescape((await web_client.get(f"/conversations/{quoted.conversation_id}")).text)
    assert '<details class="quoted">' in reply
    assert quoted.quoted_text.strip()[:40] in reply
    assert quoted.new_text.strip()[:40] in reply


async def test_a_believed_sender_check_shows_pass_badges(
    web_client: httpx.AsyncClient, session: AsyncSession
) -> None:
    tag = uuid.uuid4().hex[:8]
    # On top, where the trusted relay puts its verdict.
    relayed = (
        b"Authentication-Results: compound.localhost; spf=pass smtp.mailfrom=x; "
        b"dkim=pass header.d=x; dmarc=pass header.from=x\n"
    )
    message = await receive(
        session,
        relayed + mail(sender=f"ana@{tag}.example", subject=f"Checked {tag}"),
        Envelope(channel=Channel.SMTP, peer="10.0.0.2", trusted_authserv_id="compound.localhost"),
    )
    await session.commit()
    await signed_in(web_client, "viewer")
    page = (await web_client.get(f"/conversations/{message.conversation_id}")).text
    for method in ("SPF", "DKIM", "DMARC"):
        assert f'<span class="verdict verdict-pass">{method}: pass</span>' in page
    assert "source trusted-header · sender authenticated" in page


async def test_the_triage_verdict_is_shown_once_the_router_ran(
    web_client: httpx.AsyncClient, session: AsyncSession
) -> None:
    tag = uuid.uuid4().hex[:8]
    [message] = await thread_of(session, tag)
    await drive(session)  # the real email.route agent, offline engine, in this transaction
    routed = await session.get(Message, message.id, populate_existing=True)
    assert routed is not None and isinstance(routed.triage, dict)
    kind = routed.triage["kind"]
    await signed_in(web_client, "viewer")

    listed = await web_client.get("/conversations", params={"q": tag})
    assert f'<span class="triage-kind">{kind}</span>' in listed.text
    page = html.unescape((await web_client.get(f"/conversations/{message.conversation_id}")).text)
    assert f'<span class="triage-kind">{kind}</span>' in page
    assert f"confidence {routed.triage['confidence']:.2f}" in page
    assert f"Ask: {routed.triage['ask']}" in page
    if routed.triage.get("triage_run_id"):
        assert f'href="/runs/{routed.triage["triage_run_id"]}"' in page


async def test_the_mime_structure_is_read_for_the_message_asked_about(
    web_client: httpx.AsyncClient, session: AsyncSession
) -> None:
    message = await receive(session, (OUR_CORPUS / "014-pdf-attachment.eml").read_bytes())
    await session.commit()
    await signed_in(web_client, "viewer")
    plain = (await web_client.get(f"/conversations/{message.conversation_id}")).text
    assert "MIME structure</h3>" not in plain
    assert f"?structure={message.id}#message-{message.id}" in plain
    page = await web_client.get(
        f"/conversations/{message.conversation_id}", params={"structure": str(message.id)}
    )
    assert "MIME structure</h3>" in page.text
    assert "<td>multipart/mixed</td>" in page.text and "<td>quote.pdf</td>" in page.text
    garbage = await web_client.get(
        f"/conversations/{message.conversation_id}", params={"structure": "../../etc"}
    )
    assert garbage.status_code == 200 and "MIME structure</h3>" not in garbage.text


async def test_hostile_mail_is_escaped_everywhere(
    web_client: httpx.AsyncClient, session: AsyncSession
) -> None:
    tag = uuid.uuid4().hex[:8]
    message = await receive(
        session,
        mail(
            sender=f'"<img src=x onerror=alert(1)>" <evil@{tag}.example>',
            subject=f"<script>alert('subject')</script> {tag}",
            body="<script>alert('body')</script>\n<a href=\"javascript:alert(2)\">click</a>\n",
        ),
    )
    await session.commit()
    await signed_in(web_client, "member")
    for path in (f"/conversations?q={tag}", f"/conversations/{message.conversation_id}"):
        page = (await web_client.get(path)).text
        assert "<script>alert" not in page, path
        assert "<img src=x" not in page, path
        assert "&lt;script&gt;alert(&#39;subject&#39;)&lt;/script&gt;" in page, path
    thread = (await web_client.get(f"/conversations/{message.conversation_id}")).text
    assert "&lt;script&gt;alert(&#39;body&#39;)&lt;/script&gt;" in thread
    assert 'href="javascript:' not in thread
    assert "&lt;img src=x onerror=alert(1)&gt;" in thread


async def test_unknown_and_garbage_ids_are_a_404_page(web_client: httpx.AsyncClient) -> None:
    await signed_in(web_client, "member")
    missing = uuid.uuid4()
    for shown in (str(missing), "not-a-uuid", "<script>alert(1)", "9" * 5000):
        response = await web_client.get(f"/conversations/{shown}")
        assert response.status_code == 404, shown[:40]
        assert response.headers["content-type"].startswith("text/html")
        assert "there is no conversation with id" in response.text
        assert "<script>alert" not in response.text
        assert len(response.text) < 10_000  # a garbage id is not echoed in full
    assert (
        f"there is no conversation with id {missing}"
        in (await web_client.get(f"/conversations/{missing}")).text
    )


async def reprocess_jobs(session: AsyncSession, message_id: uuid.UUID) -> int:
    count = await session.scalar(
        select(func.count())
        .select_from(Job)
        .where(col(Job.actor_name) == "email.process_message")
        .where(col(Job.message)["kwargs"]["message_id"].astext == str(message_id))
    )
    return int(count or 0)


async def state_of(session: AsyncSession, message_id: uuid.UUID) -> str:
    message = await session.get(Message, message_id, populate_existing=True)
    assert message is not None
    return message.state


async def test_reprocessing_queues_the_message_and_comes_back_with_a_flash(
    web_client: httpx.AsyncClient, session: AsyncSession
) -> None:
    tag = uuid.uuid4().hex[:8]
    [message] = await thread_of(session, tag)
    jobs_before = await reprocess_jobs(session, message.id)
    csrf = await signed_in(web_client, "member")
    thread = f"/conversations/{message.conversation_id}"
    page = await web_client.get(thread)
    assert f'action="{thread}/messages/{message.id}/reprocess"' in page.text

    response = await web_client.post(
        f"{thread}/messages/{message.id}/reprocess", data={"csrf": csrf}
    )
    assert response.status_code == 303
    assert response.headers["location"] == f"{thread}?flash=reprocess#message-{message.id}"
    assert await state_of(session, message.id) == "received"
    assert await reprocess_jobs(session, message.id) == jobs_before + 1
    back = await web_client.get(response.headers["location"])
    assert "Queued: the message will be parsed, threaded and linked again" in back.text
    assert '<span class="status message-state">received</span>' in back.text


async def test_reprocessing_without_csrf_or_as_a_viewer_is_refused_and_changes_nothing(
    web_client: httpx.AsyncClient, session: AsyncSession
) -> None:
    tag = uuid.uuid4().hex[:8]
    [message] = await thread_of(session, tag)
    target = f"/conversations/{message.conversation_id}/messages/{message.id}/reprocess"
    member_csrf = await signed_in(web_client, "member")
    for data in ({}, {"csrf": "forged"}):
        refused = await web_client.post(target, data=data)
        assert refused.status_code == 403
        assert "security token (CSRF)" in refused.text
    assert await state_of(session, message.id) == "processed"

    await web_client.post("/sign-out", data={"csrf": member_csrf})
    viewer_csrf = await signed_in(web_client, "viewer")
    page = await web_client.get(f"/conversations/{message.conversation_id}")
    assert "/reprocess" not in page.text
    refused = await web_client.post(target, data={"csrf": viewer_csrf})
    assert refused.status_code == 403
    assert "viewers cannot reprocess messages" in refused.text
    assert await state_of(session, message.id) == "processed"


async def test_reprocessing_a_message_of_another_thread_or_a_garbage_id_is_a_404(
    web_client: httpx.AsyncClient, session: AsyncSession
) -> None:
    [mine] = await thread_of(session, uuid.uuid4().hex[:8])
    [theirs] = await thread_of(session, uuid.uuid4().hex[:8])
    csrf = await signed_in(web_client, "member")
    for path in (
        f"/conversations/{mine.conversation_id}/messages/{theirs.id}/reprocess",
        f"/conversations/{mine.conversation_id}/messages/{uuid.uuid4()}/reprocess",
        f"/conversations/{mine.conversation_id}/messages/not-an-id/reprocess",
        f"/conversations/garbage/messages/{mine.id}/reprocess",
    ):
        response = await web_client.post(path, data={"csrf": csrf})
        assert response.status_code == 404, path
        assert "there is no message in this conversation with id" in response.text
    assert await state_of(session, theirs.id) == "processed"
    assert await state_of(session, mine.id) == "processed"


async def test_an_attachment_downloads_as_it_arrived_and_never_renders_on_our_site(
    web_client: httpx.AsyncClient, session: AsyncSession
) -> None:
    hostile = b"<script>alert(document.cookie)</script>"
    message = EmailMessage()
    message["From"] = "Renata <renata@larkspur.example>"
    message["To"] = "leads@compound.localhost"
    message["Subject"] = f"Cohort deck {uuid.uuid4().hex[:6]}"
    message.set_content("The deck is attached.")
    message.add_attachment(
        hostile, maintype="text", subtype="html", filename='r\u00e9sum\u00e9 "final";.html'
    )
    stored = await receive(session, message.as_bytes())
    await session.commit()
    [attachment] = (
        await session.execute(select(Attachment).where(col(Attachment.message_id) == stored.id))
    ).scalars()
    await signed_in(web_client, "viewer")  # reading is enough
    url = f"/conversations/{stored.conversation_id}/attachments/{attachment.id}"
    assert (
        f'href="{url}"' in (await web_client.get(f"/conversations/{stored.conversation_id}")).text
    )

    download = await web_client.get(url)
    assert download.status_code == 200
    assert download.content == hostile  # the bytes as they arrived
    assert download.headers["content-type"] == "application/octet-stream"
    assert download.headers["x-content-type-options"] == "nosniff"
    assert download.headers["content-security-policy"].startswith("sandbox")
    disposition = download.headers["content-disposition"]
    assert disposition.startswith('attachment; filename="r_sum_ _final__.html"')
    assert "filename*=UTF-8''r%C3%A9sum%C3%A9%20%22final%22%3B.html" in disposition

    [other] = await thread_of(session, f"other{uuid.uuid4().hex[:6]}")
    await session.commit()
    for wrong in (
        f"/conversations/{other.conversation_id}/attachments/{attachment.id}",  # not in that thread
        f"/conversations/{stored.conversation_id}/attachments/{uuid.uuid4()}",
        f"/conversations/{stored.conversation_id}/attachments/not-an-id",
        f"/conversations/{stored.conversation_id}/attachments/{'9' * 5000}",
    ):
        refused = await web_client.get(wrong)
        assert refused.status_code == 404 and hostile not in refused.content, wrong

    web_client.cookies.clear()
    stranger = await web_client.get(url)
    assert stranger.status_code == 303 and stranger.headers["location"].startswith("/sign-in")


async def test_a_message_cut_at_the_part_cap_says_so_and_downloads_whole(
    web_client: httpx.AsyncClient, session: AsyncSession
) -> None:
    from tests.platform.email.test_part_limit import many_parts

    raw = many_parts(600, tag=f"cap-{uuid.uuid4().hex[:6]}")
    stored = await receive(session, raw)
    await session.commit()
    await signed_in(web_client, "viewer")
    thread = f"/conversations/{stored.conversation_id}"

    page = (await web_client.get(thread)).text
    assert "Attachments (498)" in page
    assert re.search(
        r'<p class="parts-left-out" role="note">Not all of this message was read: 500 of 602 '
        r"MIME parts kept; the rest are only in the raw message \(<a href=\""
        + re.escape(f"{thread}/messages/{stored.id}/raw"),
        page,
    ), page[:3000]
    structure = (await web_client.get(f"{thread}?structure={stored.id}")).text
    assert "MIME structure (its first 200 parts, depth first)" in structure
    download = await web_client.get(f"{thread}/messages/{stored.id}/raw")
    assert download.status_code == 200 and download.content == raw
    assert download.headers["content-type"] == "application/octet-stream"
    assert download.headers["content-security-policy"].startswith("sandbox")
    assert f'filename="message-{stored.id}.eml"' in download.headers["content-disposition"]

    [other] = await thread_of(session, f"other{uuid.uuid4().hex[:6]}")
    await session.commit()
    for wrong in (
        f"/conversations/{other.conversation_id}/messages/{stored.id}/raw",  # not in that thread
        f"{thread}/messages/{uuid.uuid4()}/raw",
        f"{thread}/messages/not-an-id/raw",
    ):
        refused = await web_client.get(wrong)
        assert refused.status_code == 404 and b"AAAA1" not in refused.content, wrong
    web_client.cookies.clear()
    stranger = await web_client.get(f"{thread}/messages/{stored.id}/raw")
    assert stranger.status_code == 303 and stranger.headers["location"].startswith("/sign-in")
