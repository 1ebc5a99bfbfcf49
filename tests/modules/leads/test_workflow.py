"""The leads workflow end to end on the real database and queue: a colleague forwards a list,
the companies are extracted, judged, researched one run each, counted on the ledger, and
only the exceptions and questions reach the Inbox; a summary goes back in the thread."""

from __future__ import annotations

import uuid
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

import pytest
from sqlalchemy import func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from compound.agents.inbox import service as inbox
from compound.agents.inbox.models import InboxItem
from compound.agents.runtime.models import AgentRun, RunStep
from compound.agents.runtime.undo import undo_run
from compound.modules.leads import imports, service
from compound.modules.leads.agents import start_import
from compound.modules.leads.imports import parse_companies_csv
from compound.modules.leads.models import ImportSource, Lead, LeadImport
from compound.modules.leads.settings import get_leads_settings
from compound.platform.auth import service as auth
from compound.platform.auth.actor import Actor
from compound.platform.config import get_settings
from compound.platform.email.ingest import Envelope
from compound.platform.email.models import Channel, Message
from compound.platform.queue.models import Job
from compound.platform.records.models import Company, Note, RecordProvenance, Task
from tests.agent_driver import drive
from tests.factories import make_company
from tests.platform.email.test_processing import mail, receive
from tests.platform.email.test_replies import sent_to

COLLEAGUE = "ana@compound.localhost"


def cohort(tag: str) -> str:
    return f"""Hi team,

forwarding the Spring cohort from Larkspur, worth a look.

---------- Forwarded message ---------
From: Renata Holm <renata@larkspur-accelerator.example>
Subject: Larkspur Spring cohort — 5 companies raising

Renata from Larkspur Accelerator here. These five are raising in the next 60 days:

1. Quillmate{tag} (quillmate{tag}.io) — contract review assistant for small law firms. Seed · Boston, MA
2. Harborline Freight (harborline-{tag}.example) — load matching for short-haul carriers. Series A · Omaha, NE
3. Foo Labs — developer tools for testing data pipelines. Pre-seed · Denver, CO
4. Zephyrine{tag} Dynamics — drone inspection of wind turbine blades. Seed · Austin, TX
5. Acme{tag} Widgets (acme{tag}-widgets.example) — procurement software for machine shops. Seed · Dayton, OH

Spring was made possible by our partners: Front Range Community Bank and Ellery & Voss LLP.

Best,
Renata Holm
Larkspur Accelerator
"""


async def ledger_of(session: AsyncSession, message_id: uuid.UUID) -> LeadImport:
    ledger = (
        await session.execute(select(LeadImport).where(col(LeadImport.message_id) == message_id))
    ).scalar_one()
    await session.refresh(ledger)
    return ledger


async def items_under(session: AsyncSession, root: uuid.UUID) -> list[InboxItem]:
    rows = await session.execute(
        select(InboxItem)
        .where(col(InboxItem.root_run_id) == root)
        .order_by(col(InboxItem.created_at), col(InboxItem.id))
    )
    return list(rows.scalars())


async def test_a_forwarded_list_becomes_companies_and_leads_and_only_exceptions_wait(
    session: AsyncSession, actor: Actor, outbox: Path
) -> None:
    tag = uuid.uuid4().hex[:6]
    user = await auth.create_user(session, actor, email=COLLEAGUE, role="member", name="Ana")
    harborline = await make_company(
        session,
        name="Harborline Freight",
        domain=f"harborline-{tag}.example",
        description="Freight matching",
        embed=True,
    )
    twins = [
        await make_company(session, name=f"Acme{tag} Widgets Inc", domain=f"acme{tag}.example"),
        await make_company(
            session, name=f"Acme{tag} Widgets GmbH", domain=f"acme{tag}-gmbh.example"
        ),
    ]
    await session.commit()

    message = await receive(
        session,
        mail(
            sender=f"Ana <{COLLEAGUE}>",
            to="leads@compound.localhost",
            subject=f"Fwd: Larkspur Spring cohort {tag}",
            body=cohort(tag),
        ),
        Envelope(channel=Channel.SMTP, submitted_by=f"user:{COLLEAGUE}", submitter_user_id=user.id),
    )
    await session.commit()
    await drive(session)

    ledger = await ledger_of(session, message.id)
    assert ledger.state == "done"
    assert (ledger.found, ledger.skipped, ledger.added, ledger.known) == (5, 0, 3, 1)
    assert ledger.need_you == 2
    assert imports.summary_line(ledger) == "3 added, 1 already known and updated, 2 need you"
    assert ledger.requester_user_id == user.id
    sponsors = await session.execute(
        select(Company).where(col(Company.name).in_(["Front Range Community Bank", "Larkspur"]))
    )
    assert sponsors.first() is None

    # Only the exception (no URL) and the question (which Acme?) wait, under the import.
    items = await items_under(session, ledger.id)
    assert sorted((item.kind, item.status) for item in items) == [
        ("exception", "open"),
        ("question", "open"),
    ]
    [exception] = [item for item in items if item.kind == "exception"]
    assert exception.title.startswith(f"No URL found for Zephyrine{tag} Dynamics: tried")
    [question] = [item for item in items if item.kind == "question"]
    assert question.proposal is not None
    choices = question.proposal["choices"]
    assert choices[-1] == "Create a new company"
    assert {f"Acme{tag} Widgets Inc", f"Acme{tag} Widgets GmbH"} <= {
        evidence["label"].split(" — ")[0] for evidence in question.evidence
    }

    # The companies: one created with its URL, one found in the directory, one without.
    quill = (
        await session.execute(select(Company).where(col(Company.name) == f"Quillmate{tag}"))
    ).scalar_one()
    assert quill.domain == f"quillmate{tag}.io"
    foo = (
        await session.execute(select(Company).where(col(Company.name) == "Foo Labs"))
    ).scalar_one()
    assert foo.domain == "foolabs.example"
    leads = {
        lead.company_id: lead
        for lead in (
            await session.execute(select(Lead).where(col(Lead.source_message_id) == message.id))
        ).scalars()
    }
    assert set(leads) >= {quill.id, foo.id, harborline.id}
    assert all(
        lead.status == "qualified" and lead.owner_user_id == user.id for lead in leads.values()
    )
    note = (
        await session.execute(select(Note).where(col(Note.company_id) == quill.id))
    ).scalar_one()
    assert "Why they fit" in note.body and str(message.id) in note.body
    created = (
        await session.execute(
            select(RecordProvenance)
            .where(col(RecordProvenance.subject_id) == quill.id)
            .where(col(RecordProvenance.field).is_(None))
        )
    ).scalar_one()
    assert created.agent == "leads.research_company" and created.tool == "resolve_or_create_company"
    assert created.source["message_id"] == str(message.id)

    # The summary went back in the thread, and the sender has a follow-up task.
    [reply] = [
        raw
        for raw in sent_to(outbox, COLLEAGUE)
        if tag.encode() in raw and b"worked through" in raw
    ]
    assert b"3 added, 1 already known and updated, 2 need you" in reply
    stored_reply = (
        await session.execute(
            select(Message)
            .where(col(Message.conversation_id) == message.conversation_id)
            .where(col(Message.channel) == "outbound")
            .where(col(Message.text_body).contains("worked through"))
        )
    ).scalar_one()
    assert stored_reply.in_reply_to == message.internet_message_id
    task = (
        await session.execute(select(Task).where(col(Task.assignee_user_id) == user.id))
    ).scalar_one()
    assert task.due_date is not None and task.due_date.weekday() < 5
    assert "3 added" in task.title

    # The person answers the question: the company is linked, the ledger counts it.
    link = next(choice for choice in choices if f"Acme{tag} Widgets Inc" in choice)
    await inbox.decide(session, actor, question.id, inbox.Action.ANSWER, answer=link)
    await session.commit()
    await drive(session)
    ledger = await ledger_of(session, message.id)
    assert (ledger.known, ledger.need_you) == (2, 1)
    acme_lead = await service.lead_of_company(session, twins[0].id)
    assert acme_lead is not None and acme_lead.status == "qualified"
    assert await service.lead_of_company(session, twins[1].id) is None


async def test_a_list_with_no_companies_is_reported_and_writes_nothing(
    session: AsyncSession, actor: Actor
) -> None:
    before = len((await session.execute(select(Company.id))).all())
    ledger = await start_import(
        session,
        actor,
        source=ImportSource.TEXT,
        title="demo day logistics",
        requested_by="tests",
        text="Doors open at 5pm. Parking is in the garage on 5th street. Pizza after.",
    )
    await session.commit()
    await drive(session)
    ledger = await imports.get_import(session, ledger.id)
    assert (ledger.state, ledger.found) == ("done", 0)
    assert imports.summary_line(ledger) == "found no companies"
    [report] = await items_under(session, ledger.id)
    assert report.kind == "report" and report.title.startswith("Found no companies")
    assert len((await session.execute(select(Company.id))).all()) == before
    tasks = await session.execute(select(Task).where(col(Task.title).contains("demo day")))
    assert tasks.first() is None
    run = await session.get(AgentRun, ledger.id)
    assert run is not None and run.state == "done"


async def test_a_failing_research_run_is_an_exception_and_the_batch_still_completes(
    session: AsyncSession, actor: Actor, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # A directory that is not there: every lookup fails, loudly, naming the file.
    monkeypatch.setenv("COMPOUND_LEADS_DIRECTORY_PATH", str(tmp_path / "gone.csv"))
    get_leads_settings.cache_clear()
    try:
        tag = uuid.uuid4().hex[:6]
        ledger = await start_import(
            session,
            actor,
            source=ImportSource.CSV,
            title="two companies",
            requested_by="tests",
            companies=parse_companies_csv(
                "name,url,one_liner\n"
                f"Withsite{tag},withsite{tag}.io,route planning for couriers\n"
                f"Nosite{tag},,route planning for bakeries\n"
            ),
        )
        import_id = ledger.id
        await session.commit()
        await drive(session)
    finally:
        get_leads_settings.cache_clear()
    ledger = await imports.get_import(session, import_id)
    assert (ledger.state, ledger.added, ledger.failed, ledger.need_you) == ("done", 1, 1, 1)
    [failed] = [line for line in ledger.lines if line["outcome"] == "failed"]
    assert failed["name"] == f"Nosite{tag}" and "gone.csv does not exist" in failed["detail"]
    [exception] = await items_under(session, ledger.id)
    assert exception.kind == "exception" and "gone.csv does not exist" in exception.explanation
    # No account behind "tests": the follow-up task is unassigned and names the sender.
    task = (
        await session.execute(select(Task).where(col(Task.title).contains("two companies")))
    ).scalar_one()
    assert task.assignee_user_id is None and task.title.startswith("tests: Follow up on")


async def test_a_long_list_is_researched_in_batches_and_counted_as_it_goes(
    session: AsyncSession, actor: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COMPOUND_LEADS_BATCH_SIZE", "2")
    get_settings.cache_clear()
    tag = uuid.uuid4().hex[:6]
    try:
        ledger = await start_import(
            session,
            actor,
            source=ImportSource.CSV,
            title="five companies",
            requested_by="tests",
            companies=parse_companies_csv(
                "name,url\n" + "".join(f"Batchco{tag}{i},batchco{tag}{i}.io\n" for i in range(5))
            ),
        )
    finally:
        get_settings.cache_clear()
    import_id = ledger.id
    await session.commit()
    # The first batch: two research runs, the ledger counts them before the rest start.
    await drive(session, most=4)
    ledger = await imports.get_import(session, import_id)
    assert ledger.to_research == 5 and 0 < ledger.researched <= 2
    assert imports.summary_line(ledger).endswith(f"{ledger.researched}/5 researched so far")
    await drive(session)
    ledger = await imports.get_import(session, import_id)
    assert (ledger.state, ledger.added, ledger.researched) == ("done", 5, 5)
    steps = (
        await session.execute(
            select(RunStep)
            .where(col(RunStep.run_id) == import_id)
            .where(col(RunStep.kind) == "children")
            .where(col(RunStep.name) == "leads.research_company")
        )
    ).scalars()
    assert [step.arguments["count"] for step in steps if step.arguments] == [2, 2, 1]


async def test_undoing_an_import_takes_back_its_companies_notes_and_leads(
    session: AsyncSession, actor: Actor
) -> None:
    tag = uuid.uuid4().hex[:6]
    known = await make_company(session, name=f"Knownundo{tag}", domain=f"knownundo{tag}.io")
    ledger = await start_import(
        session,
        actor,
        source=ImportSource.CSV,
        title="undo me",
        requested_by="tests",
        companies=parse_companies_csv(
            "name,url,one_liner\n"
            f"Newundo{tag},newundo{tag}.io,route planning for couriers\n"
            f"Knownundo{tag},knownundo{tag}.io,\n"
        ),
    )
    import_id = ledger.id
    await session.commit()
    await drive(session)
    created = (
        await session.execute(select(Company).where(col(Company.name) == f"Newundo{tag}"))
    ).scalar_one()
    assert await service.lead_of_company(session, known.id) is not None

    report = await undo_run(session, actor, import_id)
    await session.commit()
    assert await session.get(Company, created.id) is None
    assert await service.lead_of_company(session, known.id) is None
    assert await session.get(Company, known.id) is not None  # not the run's to delete
    assert any(line.startswith("deleted lead (qualified") for line in report.reverted)


def html_only(subject: str, html: str) -> bytes:
    message = EmailMessage()
    message["From"] = f"Ana <{COLLEAGUE}>"
    message["To"] = "leads@compound.localhost"
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain="compound.localhost")
    message.set_content(html, subtype="html")
    return message.as_bytes()


async def test_an_html_only_list_with_a_runaway_name_and_non_urls_gets_clear_ledger_lines(
    session: AsyncSession,
) -> None:
    tag = uuid.uuid4().hex[:6]
    user = await auth.create_user(
        session, Actor.system("tests"), email=COLLEAGUE, role="member", name="Ana"
    )
    long_name = f"Runaway{tag} " + "Supercalifragilistic Holdings " * 10
    html = f"""<html><body><p>Fwd: our demo day batch, all raising:</p><ul>
<li><b>Htmlco{tag}</b> (<a href="https://htmlco{tag}.io/?utm_source=x">htmlco{tag}.io</a>)
 — invoicing for plumbers. Seed · Denver, CO</li>
<li><b>Soonco{tag}</b> (coming soon) — payroll for dentists. Seed · Austin, TX</li>
<li><b>{long_name}</b> (runaway{tag}.io) — data tools for farms. Seed · Boston, MA</li>
</ul><p>Thanks to our sponsor Brightbank.</p></body></html>"""
    message = await receive(
        session,
        html_only(f"Fwd: demo day {tag}", html),
        Envelope(channel=Channel.SMTP, submitted_by=f"user:{COLLEAGUE}", submitter_user_id=user.id),
    )
    await session.commit()
    await drive(session)
    ledger = await ledger_of(session, message.id)
    assert (ledger.state, ledger.found) == ("done", 3)
    lines = {line["name"][:20]: line for line in ledger.lines}
    assert lines[f"Htmlco{tag}"]["outcome"] == "added"
    htmlco = (
        await session.execute(select(Company).where(col(Company.name) == f"Htmlco{tag}"))
    ).scalar_one()
    assert htmlco.domain == f"htmlco{tag}.io"
    assert "not a website" in lines[f"Soonco{tag}"]["detail"]
    [runaway] = [line for name, line in lines.items() if name.startswith("Runaway")]
    assert "name cut to 200 characters" in runaway["detail"]


async def test_a_run_that_crashes_twice_is_an_exception_and_the_batch_still_completes(
    session: AsyncSession, actor: Actor
) -> None:
    tag = uuid.uuid4().hex[:6]
    # A real failure below our code: the database refuses this company's research note
    # with an error no tool expects (a crash, not a refusal).
    await session.execute(
        text(
            f"""CREATE FUNCTION refuse_note_{tag}() RETURNS trigger AS $$
            BEGIN
              IF NEW.body LIKE '%Crashco{tag}%' THEN RAISE EXCEPTION 'disk on fire'; END IF;
              RETURN NEW;
            END $$ LANGUAGE plpgsql"""
        )
    )
    await session.execute(
        text(
            f"CREATE TRIGGER refuse_note_{tag} BEFORE INSERT ON note "
            f"FOR EACH ROW EXECUTE FUNCTION refuse_note_{tag}()"
        )
    )
    ledger = await start_import(
        session,
        actor,
        source=ImportSource.CSV,
        title="one crashes",
        requested_by="tests",
        companies=parse_companies_csv(
            f"name,url\nCrashco{tag},crashco{tag}.io\nCalmco{tag},calmco{tag}.io\n"
        ),
    )
    import_id = ledger.id
    await session.commit()
    await drive(session)
    crashed = (
        await session.execute(
            select(AgentRun)
            .where(col(AgentRun.root_id) == import_id)
            .where(col(AgentRun.title) == f"Research Crashco{tag}")
        )
    ).scalar_one()
    assert (crashed.state, crashed.crashes) == ("queued", 1)  # retried later, not given up
    assert "disk on fire" in (crashed.error or "")
    # The retry is due in two seconds; bring it forward instead of sleeping.
    await session.execute(
        update(Job)
        .where(col(Job.actor_name) == "agents.advance_run")
        .where(col(Job.state) == "queued")
        .values(eta=func.now())
    )
    await session.commit()
    await drive(session)
    await session.refresh(crashed)
    assert (crashed.state, crashed.crashes) == ("failed", 2)
    ledger = await imports.get_import(session, import_id)
    assert (ledger.state, ledger.added, ledger.failed) == ("done", 1, 1)
    [exception] = await items_under(session, import_id)
    assert exception.title == f"Research Crashco{tag}: crashed and gave up"
